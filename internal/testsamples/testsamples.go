// Package testsamples finds the shared test captures for the tests of every
// package: ../shared/samples beside the repository (the public captures,
// the lab captures with their ground truth, the edge cases).
package testsamples

import (
	"os"
	"path/filepath"
	"testing"
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
