package fsync

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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

// TestFolderEINVALTolerated: a filesystem that cannot fsync a folder
// (fsync(2) gives EINVAL for a file that "does not support
// synchronization") is passed over by Dir and Tree, which the store and
// queries/dataset share; another error is returned. Before, dataset's
// own walk returned EINVAL and failed the derived table.
func TestFolderEINVALTolerated(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "b", "part-0.parquet"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(old func(*os.File) error) { syncFolder = old }(syncFolder)
	syncFolder = func(*os.File) error { return &fs.PathError{Op: "sync", Err: syscall.EINVAL} }
	if err := Dir(dir); err != nil {
		t.Errorf("Dir with EINVAL = %v, want nil", err)
	}
	if err := Tree(dir); err != nil {
		t.Errorf("Tree with EINVAL = %v, want nil", err)
	}
	syncFolder = func(*os.File) error { return &fs.PathError{Op: "sync", Err: syscall.EIO} }
	if err := Tree(dir); !errors.Is(err, syscall.EIO) {
		t.Errorf("Tree with EIO = %v, want EIO", err)
	}
}

// TestWriteFile: the file holds what fill wrote and no temporary file is
// left; a fill that fails leaves the previous file as it was, and no
// temporary file either.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "probe-A.epoch")
	write := func(s string, ferr error) error {
		return WriteFile(path, func(w io.Writer) error {
			if _, err := io.WriteString(w, s); err != nil {
				return err
			}
			return ferr
		})
	}
	if err := write("1\n", nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := write("2\n", boom); !errors.Is(err, boom) {
		t.Fatalf("failing fill: %v, want boom", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "1\n" {
		t.Errorf("after a failed fill: %q, %v; want the first write's \"1\\n\"", b, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d entries, want the file alone", len(ents))
	}
}
