package filter

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// sctpFilters are port filters over testdata/edge/21-sctp-ports (SCTP over
// IPv4 and IPv6, one SCTP header cut by the snap length after its ports,
// UDP and TCP on the same port), with the frames tcpdump 4.99 selects
// (`tcpdump -nn -r input.pcap FILTER | wc -l`). libpcap's `port` and
// `portrange` cover SCTP, and `sctp port` is SCTP's only; the sieve
// matched TCP and UDP only (port 9: 2 frames) and refused `sctp port`.
var sctpFilters = []struct {
	filter string
	frames int
}{
	{"port 9", 7}, {"sctp port 9", 5}, {"sctp src port 9", 3}, {"sctp dst port 9", 2},
	{"portrange 8-10", 7}, {"sctp portrange 8-10", 5}, {"udp port 9", 1}, {"tcp port 9", 1},
	{"sctp port 7000", 1}, {"ip6 and sctp port 9", 1}, {"not port 9", 1}, {"sctp and not port 9", 1},
	{"src port 9", 4},
}

// TestSCTPPorts checks the sieve (and Expr.Match, and the BPF program:
// equivalence) against tcpdump on the SCTP capture, and the counts
// written above without it.
func TestSCTPPorts(t *testing.T) {
	path := filepath.Join(samplesDir(t), "edge", "21-sctp-ports", "input.pcap")
	frames := loadFrames(t, path)
	srcs := make([]string, len(sctpFilters))
	cases := make([]eqCase, len(sctpFilters))
	for i, c := range sctpFilters {
		srcs[i], cases[i] = c.filter, eqCase{ours: c.filter}
	}
	sv, err := Compile(srcs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range sctpFilters {
		n := 0
		for _, fr := range frames {
			var got Set
			sv.Match(&fr.d, &got)
			if got.Has(i) {
				n++
			}
		}
		if n != c.frames {
			t.Errorf("%q: %d frames, tcpdump %d", c.filter, n, c.frames)
		}
	}
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	equivalence(t, byLinkType(t, []string{path})[0], true, cases, func(string, int) {})
}
