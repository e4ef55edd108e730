package replay

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestMergeOne: Merge of a single source (replay of one file) passes its
// packets through as Merge of several does: Last 0 for each, then the
// source's error once, wrapped ("replay: merge source 0: ..."), recorded
// in Errs, with Last -1, then io.EOF; the source is not read again after
// its error. The source: the 25 good packets of http-fault-post, cut short
// in packet 26 (capinfos: "cut short in the middle of a packet").
func TestMergeOne(t *testing.T) {
	f, err := Open(filepath.Join(samplesDir(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	src := &countNext{src: f}
	m := Merge(src)
	defer m.Close()
	if m.Last() != -1 {
		t.Errorf("Last before the first packet = %d", m.Last())
	}
	n := 0
	for {
		_, meta, err := m.Next()
		if err != nil {
			if !strings.HasPrefix(err.Error(), "replay: merge source 0: ") || !errors.Is(err, pkt.ErrTruncated) || m.Last() != -1 {
				t.Fatalf("after %d packets: %v, Last %d", n, err, m.Last())
			}
			break
		}
		n++
		if meta.Frame != uint64(n) || m.Last() != 0 {
			t.Fatalf("packet %d: frame %d, Last %d", n, meta.Frame, m.Last())
		}
	}
	if errs := m.Errs(); n != 25 || len(errs) != 1 || !errors.Is(errs[0], pkt.ErrTruncated) {
		t.Fatalf("%d packets, Errs %v", n, errs)
	}
	for range 2 {
		if _, _, err := m.Next(); err != io.EOF || m.Last() != -1 {
			t.Fatalf("after the error: %v, Last %d", err, m.Last())
		}
	}
	if src.calls != 26 {
		t.Errorf("source read %d times, want 26 (25 packets, the error)", src.calls)
	}

	empty := Merge(&countNext{src: mustReader(t, pcapHeader(le, false, 2, 4, 0, 1))})
	if _, _, err := empty.Next(); err != io.EOF || empty.Last() != -1 || len(empty.Errs()) != 0 {
		t.Fatalf("empty capture: %v, Last %d, Errs %v", err, empty.Last(), empty.Errs())
	}
}

// countNext counts the calls to its source's Next.
type countNext struct {
	src   pkt.Source
	calls int
}

func (c *countNext) Next() ([]byte, pkt.Meta, error) {
	c.calls++
	return c.src.Next()
}

func (c *countNext) Close() error { return c.src.Close() }
