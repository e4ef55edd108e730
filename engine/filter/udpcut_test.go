package filter

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestUDPHeaderCutPorts: a UDP header cut after its ports (4 of its 8
// bytes in the frame, the IPv4 header announcing more) has its ports read
// by the dissector (dissect's transport, as tcpdump's `udp port` reads
// them), so the sieve keeps it for a port filter; the cBPF program asked
// for all 8 bytes and dropped it, breaking its promise never to drop what
// the sieve keeps (found by FuzzBPFAgainstSieve, its corpus entry
// 48a3c71c76ad99f7). tcpdump 4.99 selects it too. The same 4 bytes as
// the whole UDP header the IP length announces (total length 24) of this
// first fragment (MF set, offset 0: the rest of the header may be in the
// next one; outside a fragment the dissector reads the ports past the IP
// length, TestTcpdumpBadOffset): tcpdump
// reads its ports, the dissector takes no ports from a header shorter
// than its 8 bytes, so neither the sieve nor the program keeps it for a
// port filter (the package documentation's differences from tcpdump).
func TestUDPHeaderCutPorts(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	// Ethernet, IPv4 (total length 0x3030, MF, UDP), 4 bytes of UDP: ports 12336, 12336
	data, _ := hex.DecodeString("3030303030303030303030300800453030303030200030113030303030303030303030303030")
	// frame 1: the whole frame as it was on the wire; frame 2: the same
	// frame on a link where the IP header announces only 4 transport bytes
	// (total length 24): no ports for anyone
	short := slices.Clone(data)
	short[16], short[17] = 0, 24
	path := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(path, capgen.PCAP([]capgen.Frame{{Data: data}, {Data: short}}, false), 0o644); err != nil {
		t.Fatal(err)
	}
	frames := loadFrames(t, path)
	for _, expr := range []string{"udp port 12336", "src and dst portrange 1024-65535"} {
		if got := tcpdumpFrames(t, path, expr, frames); !slices.Equal(got, []uint64{1, 2}) {
			t.Errorf("tcpdump %q: frames %v, want 1 and 2", expr, got)
		}
		want := []uint64{1} // frame 2's 4 announced bytes are no UDP header here
		e, err := Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		var sieve []uint64
		for i := range frames {
			if frames[i].err != dissect.ErrMalformed && e.Match(&frames[i].d) {
				sieve = append(sieve, frames[i].num)
			}
		}
		if !slices.Equal(sieve, want) {
			t.Errorf("%q: the sieve keeps frames %v, want %v", expr, sieve, want)
		}
		for i, got := range bpfSelect(t, expr, frames, nil) {
			if !slices.Equal(got, want) {
				t.Errorf("%q: cBPF (kernel VLAN %v) keeps frames %v, want %v", expr, i == 1, got, want)
			}
		}
	}
	if frames[0].d.Meta.LinkType != pkt.LinkEthernet {
		t.Fatalf("link type %s", frames[0].d.Meta.LinkType)
	}
}
