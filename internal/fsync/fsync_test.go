package fsync

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

// TestDir: a folder fsyncs; a missing one is the open's error
// (fs.ErrNotExist), not silently passed over.
func TestDir(t *testing.T) {
	dir := t.TempDir()
	if err := Dir(dir); err != nil {
		t.Fatalf("Dir(%s) = %v, want nil", dir, err)
	}
	if err := Dir(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Dir(missing) = %v, want fs.ErrNotExist", err)
	}
}
