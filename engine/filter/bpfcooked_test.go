package filter

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestTcpdumpCooked holds the plain filters' equivalence with tcpdump on
// Linux cooked captures: the frames of the untagged Ethernet captures of
// TestTcpdumpEquivalence (plainCaptures), cooked as SLL (DLT 113) and
// SLL2 (DLT 276) by cookFrame and written as one capture per link type,
// are selected by tcpdump (libpcap compiling each filter for that link
// type) exactly as by Expr.Match and by the filter's program. The real
// cooked captures there hold only TCP and ARP; these add IPv6 and its
// fragments, IPv4 fragments, ICMP errors, DNS, FTP and MPLS.
func TestTcpdumpCooked(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	var eth [][]byte
	for _, s := range plainCaptures {
		for _, fr := range loadFrames(t, filepath.Join(samplesDir(t), s)) {
			if fr.d.Meta.LinkType == pkt.LinkEthernet {
				eth = append(eth, fr.data)
			}
		}
	}
	for _, lt := range []pkt.LinkType{pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2} {
		var raw [][]byte
		for _, b := range eth {
			raw = append(raw, cookFrame(b, lt))
		}
		path := writePcap(t, t.TempDir(), lt, raw)
		frames := loadFrames(t, path)
		t.Logf("%s: %d frames", lt, len(frames))
		for _, c := range plainFilters {
			td := c.tcpdump
			if td == "" {
				td = c.ours
			}
			want := tcpdumpFrames(t, path, td, frames)
			e, err := Parse(c.ours)
			if err != nil {
				t.Fatal(err)
			}
			var match []uint64
			for i := range frames {
				if e.Match(&frames[i].d) {
					match = append(match, frames[i].num)
				}
			}
			if !slices.Equal(match, want) {
				t.Errorf("%s %q: Expr.Match %d frames, tcpdump %q %d", lt, c.ours, len(match), td, len(want))
			}
			for _, got := range bpfSelect(t, c.ours, frames, nil) {
				if !slices.Equal(got, want) {
					t.Errorf("%s %q: cBPF %d frames, tcpdump %q %d", lt, c.ours, len(got), td, len(want))
				}
			}
		}
	}
}
