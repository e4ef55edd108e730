// Package testframes loads the packets of a shared test capture into
// memory for benchmarks and fuzz seeds (kept apart from testsamples, which
// replay's own tests use: this one imports replay).
package testframes

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// Frames reads every packet of the capture at path (relative to Dir, or
// absolute) into memory, data copied, for benchmarks and fuzz seeds. A
// damaged capture ends at the damage.
func Frames(tb testing.TB, path string) ([][]byte, []pkt.Meta) {
	tb.Helper()
	if !filepath.IsAbs(path) {
		path = filepath.Join(testsamples.Dir(tb), path)
	}
	src, err := replay.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	var frames [][]byte
	var metas []pkt.Meta
	for {
		data, m, err := src.Next()
		if err != nil {
			return frames, metas
		}
		frames = append(frames, append([]byte(nil), data...))
		metas = append(metas, m)
	}
}
