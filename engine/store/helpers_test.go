package store

import (
	"path/filepath"
	"testing"
)

// beginTestRun begins a run of testManifest in a temporary folder; it is
// aborted when the test ends.
func beginTestRun(t *testing.T) *Run {
	t.Helper()
	r, err := BeginRun(filepath.Join(t.TempDir(), "out"), testManifest())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Abort() })
	return r
}
