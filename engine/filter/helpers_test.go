package filter

import (
	"errors"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/replay"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// frame is one dissected packet of a capture.
type frame struct {
	num  uint64 // 1-based frame number (Meta.Frame)
	data []byte // captured bytes (a copy)
	d    dissect.Dissection
	err  error // Dissect's result: nil, dissect.ErrNotIP or dissect.ErrMalformed
}

// loadFrames reads and dissects every packet of a capture with the
// replay reader and the engine's dissector. Packet bytes are copied, so the
// borrowed slices in each Dissection stay valid.
func loadFrames(t testing.TB, path string) []frame {
	t.Helper()
	f, err := replay.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	ds := dissect.New()
	var out []frame
	for {
		data, m, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		fr := frame{num: m.Frame, data: append([]byte(nil), data...)}
		fr.err = ds.Dissect(fr.data, m, &fr.d)
		out = append(out, fr)
	}
	return out
}
