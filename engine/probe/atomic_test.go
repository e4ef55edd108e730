package probe_test

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestAtomicFragmentInIsolation (RFC 6946 §4: a packet with a Fragment
// header of offset 0 and M=0 "MUST be processed in isolation from any
// other packets/fragments, even if such packets/fragments contain the same
// set {IPv6 Source Address, IPv6 Destination Address, Fragment
// Identification}"). A 3000-byte UDP datagram 53>40005 in three fragments
// of identification 0x77 has, between its first and second fragment, an
// atomic fragment of the same addresses and identification carrying a
// whole 64-byte UDP datagram 53>40006. Each is its own datagram: 53>40005
// is reassembled (3 packets, 3000 payload bytes, ip_reassembled 1), the
// atomic one counts 1 packet of 120 bytes (40 + 8 + 8 + 64) in 53>40006
// and needs no reassembly; nothing fails. Before, the atomic fragment
// joined the datagram's context: an IPv6 overlap discarded both (one
// ip_reassembly_failures) and the later fragments counted in 53>40006.
func TestAtomicFragmentInIsolation(t *testing.T) {
	const cfg = `
classes:
  - name: dns
    filter: "udp port 53"
    analyses: [counters]
`
	srv := capgen.AP("[2001:db8::53]:53")
	big := capgen.UDP{Src: srv, Dst: capgen.AP("[2001:db8::10]:40005"), Payload: payload(3000)}.Frame()
	small := capgen.UDP{Src: srv, Dst: capgen.AP("[2001:db8::10]:40006"), Payload: payload(64)}.Frame()
	fr := capgen.Fragment6(big, 1232, 0x77)
	atomic := capgen.Fragment6(small, 1232, 0x77)
	if len(fr) != 3 || len(atomic) != 1 {
		t.Fatalf("%d fragments, %d atomic", len(fr), len(atomic))
	}
	b := runFrames(t, cfg, "frag-atomic.pcap", framesAt(0, fr[0], atomic[0], fr[1], fr[2]))
	for _, c := range []struct {
		dport            uint16
		packets, ipBytes uint64
		payload          float64
		reassembled      uint64
	}{{40005, 3, 3*48 + 8 + 3000, 3000, 1}, {40006, 1, 120, 64, 0}} {
		fl := flowByPorts(b, 53, c.dport)
		if fl == nil {
			t.Errorf("no flow 53>%d", c.dport)
			continue
		}
		_, sum := metric(b, fl.FlowID, "l4_payload_bytes")
		re, _ := metric(b, fl.FlowID, "ip_reassembled")
		fail, _ := metric(b, fl.FlowID, "ip_reassembly_failures")
		if fl.Packets != c.packets || fl.Bytes != c.ipBytes || sum != c.payload || re != c.reassembled || fail != 0 {
			t.Errorf("flow 53>%d: packets %d bytes %d payload %v reassembled %d failures %d; want %d %d %v %d 0",
				c.dport, fl.Packets, fl.Bytes, sum, re, fail, c.packets, c.ipBytes, c.payload, c.reassembled)
		}
	}
	if n := len(flowsOf(b, "all")); n != 2 {
		t.Errorf("%d flows in class all, want 2 (no port-less one)", n)
	}
}
