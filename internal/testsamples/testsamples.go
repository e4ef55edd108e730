// Package testsamples finds the shared test captures for the tests of every
// package: ../shared/samples beside the repository (the public captures,
// the lab captures with their ground truth, the edge cases).
package testsamples

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/replay"
)

// Dir returns the absolute path of ../shared/samples relative to the
// module root (the folder holding go.mod, found from the test's working
// directory upwards). The test is skipped when the folder is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("go.mod not found above the test directory")
		}
		dir = parent
	}
	s := filepath.Join(dir, "..", "shared", "samples")
	if _, err := os.Stat(s); err != nil {
		tb.Skipf("../shared/samples absent: %v", err)
	}
	return s
}

// Frames reads every packet of the capture at path (relative to Dir, or
// absolute) into memory, data copied, for benchmarks and fuzz seeds. A
// damaged capture ends at the damage.
func Frames(tb testing.TB, path string) ([][]byte, []pkt.Meta) {
	tb.Helper()
	if !filepath.IsAbs(path) {
		path = filepath.Join(Dir(tb), path)
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
