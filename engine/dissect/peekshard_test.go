package dissect_test

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testframes"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// TestPeekShardAgrees: on every packet of every stored capture (the
// repository's testdata/ and this package's: VLAN, Q-in-Q, cooked SLL and
// SLL2, MPLS, PPPoE, fragments, ICMP errors quoting TCP and UDP, IPv6
// extension headers), and on each packet with its IPv4 protocol or IPv6
// next header byte changed to every value and its frame cut at every
// length up to 80 bytes, PeekShard agrees with the dissection: when it
// names a worker and Dissect accepts the packet, Shard names the same one
// and the packet quotes no other flow (HasInner unset), for 1 to 4
// workers. It names one for the plain TCP and UDP packets (most of them),
// so the workers skip their dissection.
func TestPeekShardAgrees(t *testing.T) {
	var files []string
	for _, dir := range []string{testsamples.Dir(t), abs(t, "testdata")} {
		filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.Contains(path, ".pcap") {
				return nil
			}
			if src, err := replay.Open(path); err == nil { // not the captures replay refuses
				src.Close()
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) < 50 {
		t.Fatalf("%d captures found", len(files))
	}
	d := dissect.New()
	var out dissect.Dissection
	var said, tcpUDP, checked int
	check := func(file string, i int, data []byte, m pkt.Meta) {
		for n := 1; n <= 4; n++ {
			s := dissect.PeekShard(data, m.LinkType, n)
			if s < 0 {
				continue
			}
			if s >= n {
				t.Fatalf("%s #%d n=%d: shard %d", file, i+1, n, s)
			}
			if d.Dissect(data, m, &out) != nil {
				continue
			}
			checked++
			if got := out.Shard(n); got != s || out.Flags&dissect.HasInner != 0 {
				t.Fatalf("%s #%d (% x) n=%d: PeekShard %d, Shard %d, HasInner %v", file, i+1, data[:min(len(data), 64)], n, s, got, out.Flags&dissect.HasInner != 0)
			}
		}
	}
	for _, file := range files {
		frames, metas := testframes.Frames(t, file)
		for i, data := range frames {
			if d.Dissect(data, metas[i], &out) == nil && out.Flags&(dissect.HasTCP|dissect.HasUDP) != 0 && out.Flags&dissect.IsFrag == 0 {
				tcpUDP++
				if dissect.PeekShard(data, metas[i].LinkType, 2) >= 0 {
					said++
				}
			}
			check(file, i, data, metas[i])
			if d.Dissect(data, metas[i], &out) == nil || out.IPVersion != 0 {
				// the protocol byte: every value
				at := int(out.NetOff) + 9
				if out.IPVersion == 6 {
					at = int(out.NetOff) + 6
				}
				if at < len(data) && i%4 == 0 {
					b := append([]byte(nil), data...)
					for v := range 256 {
						b[at] = byte(v)
						check(file, i, b, metas[i])
					}
				}
			}
			if i%8 == 0 {
				for cut := range min(len(data), 80) {
					check(file, i, data[:cut], metas[i])
				}
			}
		}
	}
	t.Logf("%d captures; PeekShard named a worker for %d of %d unfragmented TCP and UDP packets; %d checks", len(files), said, tcpUDP, checked)
	if said < tcpUDP*9/10 || checked < 10000 {
		t.Errorf("PeekShard named a worker for %d of %d unfragmented TCP and UDP packets; %d checks", said, tcpUDP, checked)
	}
}
