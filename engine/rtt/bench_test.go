package rtt

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// benchCapture runs the packets of a capture, decoded up front, through
// one Tracker, one packet per b.N iteration; at the end of the capture the
// Tracker is flushed (its memory is reused) and the capture starts again.
// Expire is called before every packet and each sample is encoded into a
// reused PDU buffer, as the probe does.
// Reports ns/pkt and pkts/s; allocs/op is per packet.
func benchCapture(b *testing.B, path string, cfg Config) {
	all := readCapture(b, path)
	var pkts []testPkt
	for _, p := range all {
		if p.ok {
			pkts = append(pkts, p)
		}
	}
	if len(pkts) == 0 {
		b.Fatal("no packets")
	}
	tr := New(cfg)
	var e pdu.Enc
	e.B = make([]byte, 0, 1<<16)
	samples := 0
	emit := func(s *observe.RTTSample) {
		if len(e.B) > 1<<15 {
			e.B = e.B[:0]
		}
		AppendSample(&e, s)
		samples++
	}
	// One warm-up pass grows the tables and buffers.
	for i := range pkts {
		tr.Packet(&pkts[i].d, uint64(i&7), emit)
	}
	tr.Flush(nil)
	samples = 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i, j := 0, 0; i < b.N; i++ {
		tr.Expire(pkts[j].d.Meta.TimeNs, nil)
		tr.Packet(&pkts[j].d, uint64(j&7), emit)
		if j++; j == len(pkts) {
			j = 0
			tr.Flush(nil)
			tr.CloseInterval(0, 1e9, nil)
		}
	}
	el := time.Since(start)
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N), "ns/pkt")
	b.ReportMetric(float64(b.N)/el.Seconds(), "pkts/s")
	b.ReportMetric(float64(samples)/float64(b.N), "samples/pkt")
}

// BenchmarkICMPEcho: 1500 pings each way (lab oneway-icmp, probe A).
func BenchmarkICMPEcho(b *testing.B) {
	benchCapture(b, testsamples.Path(b, "lab", "oneway-icmp", "A.pcap"), Config{Kinds: []string{"icmp_echo"}})
}

// BenchmarkTCP: handshakes and RTTM over HTTP downloads (lab tcp-mix, A).
func BenchmarkTCP(b *testing.B) {
	benchCapture(b, filepath.Join(samplesDir(b), "lab", "tcp-mix", "A.pcap"), Config{Kinds: []string{"tcp_handshake", "tcp_ts"}})
}

// BenchmarkDNS: 210 DNS queries over UDP and TCP (lab dns-snmp-ntp, A).
func BenchmarkDNS(b *testing.B) {
	benchCapture(b, filepath.Join(samplesDir(b), "lab", "dns-snmp-ntp", "A.pcap"), Config{Kinds: []string{"dns"}})
}

// BenchmarkAllKinds: every kind, SNMP included, on
// the lab dns-snmp-ntp capture at A.
func BenchmarkAllKinds(b *testing.B) {
	benchCapture(b, filepath.Join(samplesDir(b), "lab", "dns-snmp-ntp", "A.pcap"), DefaultConfig())
}

// TestZeroAllocs: after a warm-up pass, a whole pass over the ICMP echo,
// TCP (handshake + RTTM) and DNS captures allocates nothing (Flush
// included).
func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, c := range []struct {
		path  string
		kinds []string
	}{
		{"lab/oneway-icmp/A.pcap", []string{"icmp_echo"}},
		{"lab/tcp-mix/A.pcap", []string{"tcp_handshake", "tcp_ts"}},
		{"lab/dns-snmp-ntp/A.pcap", []string{"dns"}},
		{"lab/dns-snmp-ntp/A.pcap", []string{"ntp"}},
		{"lab/dns-snmp-ntp/A.pcap", []string{"snmp"}},
		// SYNs without the TSopt remembered (tsneg.go); the package's own
		// testdata, written by TestTimestampsNegotiatedBothWays
		{"testdata/tcp-ts-negotiation.pcap", []string{"tcp_ts"}},
		// DNS-over-TCP segments held past holes (dnstcp.go), written by
		// TestDNSTCPReorderLossMidstream
		{"testdata/dns-tcp-gaps.pcap", []string{"dns"}},
	} {
		path, err := filepath.Abs(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.path, "testdata/") {
			path = testsamples.Path(t, c.path)
		}
		pkts := readCapture(t, path)
		tr := New(Config{Kinds: c.kinds})
		var e pdu.Enc
		e.B = make([]byte, 0, 1<<20)
		emit := func(s *observe.RTTSample) { AppendSample(&e, s) }
		pass := func() {
			e.B = e.B[:0]
			for i := range pkts {
				if pkts[i].ok {
					tr.Expire(pkts[i].d.Meta.TimeNs, nil)
					tr.Packet(&pkts[i].d, uint64(i&7), emit)
				}
			}
			tr.Flush(nil)
			tr.CloseInterval(0, 1e9, nil)
		}
		pass()
		if n := testing.AllocsPerRun(3, pass); n != 0 {
			t.Errorf("%s: %.0f allocations per pass of %d packets, want 0", c.path, n, len(pkts))
		}
	}
}
