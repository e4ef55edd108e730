package filter

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestIPv6ZeroLengthEquivalence: on IPv6 frames whose Payload Length is 0
// (engine/dissect's testdata/ipv6-zero-length.pcap: 1 and 2 TSO/GSO sends
// of TCP and UDP, 3 and 4 jumbograms, 5 No Next Header, 6 a hop-by-hop
// header without Jumbo Payload option), the sieve and Expr.Match select
// what tcpdump 4.99.3 selects, and so do the classic BPF programs on
// frames 1, 2 and 5; frames 3, 4 and 6, a hop-by-hop header the program
// cannot place within a Payload Length of 0, go to user space (accepted,
// never dropped). The dissector takes a TSO frame's length from the frame
// and finds its ports, and the program now does as well: before, it read
// the Payload Length, saw no TCP header and dropped frames 1 and 2 for
// `tcp port 80` and `udp port 5001`, which the sieve keeps.
func TestIPv6ZeroLengthEquivalence(t *testing.T) {
	testenv.Tool(t, "tcpdump")
	const path = "../dissect/testdata/ipv6-zero-length.pcap"
	frames := loadFrames(t, path)
	hbh := map[uint64]bool{3: true, 4: true, 6: true}
	for _, c := range []eqCase{
		{ours: "tcp port 80"}, {ours: "udp port 5001"}, {ours: "ip6 and tcp"}, {ours: "ip6 proto 0"},
		{ours: "ip6 proto 59"}, {ours: "src port 40000 or src port 40001"}, {ours: "not port 80"},
		{ours: "tcp-ack", tcpdump: tcpFlag("tcp-ack", 16)}, {ours: "ip6[4:2] = 0"}, {ours: "len > 1000"},
	} {
		td := c.tcpdump
		if td == "" {
			td = c.ours
		}
		want := tcpdumpFrames(t, path, td, frames)
		sv, err := Compile([]string{c.ours})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := Parse(c.ours)
		var sieve, ref, judged []uint64
		for i := range frames {
			var set Set
			if sv.Match(&frames[i].d, &set); set.Has(0) {
				sieve = append(sieve, frames[i].num)
			}
			if e.Match(&frames[i].d) {
				ref = append(ref, frames[i].num)
			}
			if slices.Contains(want, frames[i].num) && !hbh[frames[i].num] {
				judged = append(judged, frames[i].num)
			}
		}
		if !slices.Equal(sieve, want) || !slices.Equal(ref, want) {
			t.Errorf("%q: sieve %v, Expr.Match %v, tcpdump %v", c.ours, sieve, ref, want)
		}
		for i, got := range bpfSelect(t, c.ours, frames, hbh) {
			if !slices.Equal(got, judged) {
				t.Errorf("%q: cBPF (kernel VLAN %v) %v on frames 1, 2, 5, tcpdump %v", c.ours, i == 1, got, judged)
			}
		}
		for i, got := range bpfSelect(t, c.ours, frames, nil) {
			for _, n := range want {
				if !slices.Contains(got, n) {
					t.Errorf("%q: cBPF (kernel VLAN %v) drops frame %d, which the sieve keeps", c.ours, i == 1, n)
				}
			}
		}
	}
}
