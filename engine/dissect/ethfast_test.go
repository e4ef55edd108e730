package dissect

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// TestEtherIPTypeAsLink: on every frame of every capture of testdata
// (VLAN and Q-in-Q tags, MPLS, PPPoE, 802.3, cooked and raw captures,
// truncated frames among them), a frame Dissect takes apart through
// etherIPType is one link would have returned the same for (network header
// at 14, that EtherType) without writing to the dissection or the
// counters; and both kinds of frames occur.
func TestEtherIPTypeAsLink(t *testing.T) {
	root := testsamples.Dir(t)
	fast, slow := 0, 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.Contains(e.Name(), ".pcap") {
			return err
		}
		src, err := replay.Open(path)
		if err != nil {
			return nil // the malformed captures' headers: not frames
		}
		defer src.Close()
		d := New()
		for {
			b, m, err := src.Next()
			if errors.Is(err, io.EOF) || err != nil {
				return nil
			}
			et := etherIPType(b, m.LinkType)
			if et == 0 {
				slow++
				continue
			}
			fast++
			var out Dissection
			off, e, ok := d.link(b, m.LinkType, &out)
			if off != 14 || e != et || !ok || !reflect.DeepEqual(out, Dissection{}) || d.Stats != (Stats{}) {
				t.Fatalf("%s frame %d: etherIPType %#x, link (%d, %#x, %v), dissection %+v, stats %+v",
					path, m.Frame, et, off, e, ok, out, d.Stats)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if fast < 1000 || slow < 100 {
		t.Fatalf("%d frames through etherIPType, %d through link: want both kinds", fast, slow)
	}
	t.Logf("%d frames through etherIPType, %d through link", fast, slow)
}
