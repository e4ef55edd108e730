package dissect_test

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// TestCookedVLAN: a Linux cooked capture of a VLAN-tagged frame (tcpdump
// -i any on a trunk: libpcap puts the tag the kernel took out back, so the
// protocol says 0x8100 and the TCI and the real protocol follow) is IP
// behind its tag, as tcpdump (-r testdata/sll-vlan.pcap: "ethertype IPv4,
// IP 192.0.2.10.40001 > 198.51.100.53.53") and Wireshark (sll.etype 0x8100,
// then vlan) read it. testdata/sll-vlan.pcap (LINUX_SLL, 113) and
// sll2-vlan.pcap (LINUX_SLL2, 276), written with the edge samples'
// pcapgen.py, hold the same 4 DNS packets, each with VLAN 100: an IPv4
// query 40001 > 53 and its response, then an IPv6 pair from port 40002.
// Before, all 4 were "not IP".
func TestCookedVLAN(t *testing.T) {
	for _, name := range []string{"testdata/sll-vlan.pcap", "testdata/sll2-vlan.pcap"} {
		got, _ := framesOf(t, name)
		if len(got) != 4 {
			t.Fatalf("%s: %d IP packets, want 4", name, len(got))
		}
		for i, x := range got {
			wantV, port := uint8(4), uint16(40001)
			if i >= 2 {
				wantV, port = 6, 40002
			}
			cli := x.SrcPort
			if i%2 == 1 {
				cli = x.DstPort
			}
			if x.IPVersion != wantV || cli != port || x.NVLAN != 1 || x.VLANs[0] != 100 || !x.Has(dissect.HasUDP) {
				t.Errorf("%s packet %d: IPv%d port %d, %d VLANs %v", name, i+1, x.IPVersion, cli, x.NVLAN, x.VLANs)
			}
		}
		if got[0].SrcAddr != netip.MustParseAddr("192.0.2.10") {
			t.Errorf("%s: source %v", name, got[0].SrcAddr)
		}
	}
}
