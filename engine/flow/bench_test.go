package flow

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchKeys returns n distinct keys shaped like the 5 M corpus's flows
// (IPv4 TCP/UDP, clients in 10.i.0.0/16, a few servers and ports).
func benchKeys(n int) []Key {
	ks := make([]Key, n)
	for i := range ks {
		c := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		s := netip.AddrFrom4([4]byte{198, 19, 0, byte(i % 7)})
		ks[i] = Key{Class: uint16(i % 3), IPVersion: 4, Protocol: 6, SrcAddr: c, DstAddr: s, SrcPort: uint16(32768 + i%28000), DstPort: 80}
	}
	return ks
}

// BenchmarkLookup measures the flow-table stage per packet: Lookup of a
// flow already held, picked at random among the live flows (a table of
// 200 k flows, the corpus's, does not fit the caches), the packet's key
// read in sequence (as the probe builds it from the packet: in cache).
// "new" adds one new flow per 25 packets (the corpus: 197 k flows in 5 M
// packets), the older half expired each time the table doubled.
func BenchmarkLookup(b *testing.B) {
	for _, live := range []int{1 << 10, 200_000} {
		for _, churn := range []bool{false, true} {
			name := fmt.Sprintf("flows=%d", live)
			if churn {
				name += "/new"
			}
			b.Run(name, func(b *testing.B) { benchLookup(b, live, churn) })
		}
	}
}

func benchLookup(b *testing.B, live int, churn bool) {
	ks := benchKeys(live)
	tb := New(3, 1<<30, 0)
	none := func(*Flow) {}
	for i := range live {
		tb.Lookup(ks[i], int64(i), none)
	}
	r := rand.New(rand.NewPCG(1, 2))
	stream := make([]Key, 1<<15)
	for i := range stream {
		stream[i] = ks[r.IntN(live)]
	}
	fresh := benchKeys(live + 1<<17)[live:]
	nf, now := 0, int64(live)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if churn && i%25 == 0 {
			k := fresh[nf%len(fresh)]
			k.Class = 0
			tb.Lookup(k, now, none)
			nf++
			if nf%live == 0 {
				tb.Expire(0, now-int64(live)/2, none)
			}
		} else {
			f, _ := tb.Lookup(stream[i&(len(stream)-1)], now, none)
			f.LastSeenNs = now
		}
		now++
	}
	b.StopTimer()
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns, "ns/pkt")
	b.ReportMetric(float64(tb.Len()), "flows")
}
