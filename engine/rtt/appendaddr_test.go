package rtt

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestTrackerAppendSampleBytes checks that Tracker.AppendSample, which
// writes the emitted sample's addresses from their netip.Addr, gives the
// bytes of AppendSample, which parses them from their text, for every
// sample of the package's captures (IPv4 and IPv6 samples of every kind
// the captures hold), and for a sample that is not the tracker's own.
func TestTrackerAppendSampleBytes(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.pcap*")
	if err != nil || len(paths) == 0 {
		t.Fatalf("captures: %v %v", paths, err)
	}
	for i := range paths {
		if paths[i], err = filepath.Abs(paths[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"lab/dns-snmp-ntp/A.pcap", "lab/tcp-mix/A.pcap",
		"pcap/ipv6/zeek_icmp_icmp6-ping.pcap", "pcap/ipv6/chrissanders_http_ip4and6.pcapng", "pcap/mixed/zeek_wikipedia.pcap"} {
		paths = append(paths, filepath.Join(samplesDir(t), c))
	}
	cfg := DefaultConfig()
	cfg.Kinds = nil // every kind
	n, v6 := 0, 0   // samples, of IPv6
	for _, path := range paths {
		pkts := readCapture(t, path)
		tr := New(cfg)
		var e1, e2 pdu.Enc
		emit := func(s *observe.RTTSample) {
			e1.B, e2.B = e1.B[:0], e2.B[:0]
			AppendSample(&e1, s)
			tr.AppendSample(&e2, s)
			if !bytes.Equal(e1.B, e2.B) {
				t.Errorf("%s: sample %+v: Tracker.AppendSample % x, AppendSample % x", path, *s, e2.B, e1.B)
			}
			n++
			if netip.MustParseAddr(s.ClientAddr).Is6() {
				v6++
			}
			c := CloneSample(s) // not the tracker's: AppendSample's path
			e2.B = e2.B[:0]
			tr.AppendSample(&e2, &c)
			if !bytes.Equal(e1.B, e2.B) {
				t.Errorf("%s: cloned sample: % x, want % x", path, e2.B, e1.B)
			}
		}
		for i := range pkts {
			if pkts[i].ok {
				tr.Packet(&pkts[i].d, uint64(i), emit)
			}
		}
		tr.Flush(nil)
	}
	if n == 0 || v6 == 0 {
		t.Fatalf("%d samples, %d of IPv6: the captures should give both", n, v6)
	}
}

// TestTrackerAppendSampleAddrForms checks the address forms one by one:
// Tracker.AppendSample of its emitted sample writes what AppendSample
// writes of the text emitSample makes (netip.Addr.AppendTo), including
// the zero Addr ("") and an IPv4-mapped IPv6 address; a zoned address,
// which AddrString keeps as a string, takes AppendSample's path.
func TestTrackerAppendSampleAddrForms(t *testing.T) {
	for _, a := range []netip.Addr{
		{},
		netip.MustParseAddr("192.0.2.1"),
		netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("255.255.255.255"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("::ffff:192.0.2.1"),
		netip.MustParseAddr("::"),
		netip.MustParseAddr("fe80::1%eth0"),
	} {
		tr := New(DefaultConfig())
		var e1, e2 pdu.Enc
		emitted := false
		tr.emitSample(KindICMPEcho, 1, a, 0, a, 0, 7, 1e9, 1e9, 2e9, 2e9, tr.closes, func(s *observe.RTTSample) {
			emitted = true
			if s.ClientAddr != string(a.AppendTo(nil)) {
				t.Fatalf("%v: ClientAddr %q", a, s.ClientAddr)
			}
			AppendSample(&e1, s)
			tr.AppendSample(&e2, s)
		})
		if !emitted {
			t.Fatalf("%v: no sample", a)
		}
		if !bytes.Equal(e1.B, e2.B) {
			t.Errorf("%v: Tracker.AppendSample % x, AppendSample % x", a, e2.B, e1.B)
		}
	}
}
