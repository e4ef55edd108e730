// Package fsync makes files and the names in a folder durable: the rules
// the store's atomic files, the journal's segments and checkpoints, the
// probe's epoch file and the queries' derived tables share. It imports no
// package of the module (engine/deps_test.go lets queries/ import it).
package fsync

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// syncFolder fsyncs an open folder; tests make it fail.
var syncFolder = (*os.File).Sync

// Dir fsyncs folder dir so that the creations, renames and removals in it
// survive a crash. A filesystem that cannot fsync a folder (EINVAL) is
// tolerated: there is nothing more to do on it.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := syncFolder(d); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// Tree fsyncs every file and folder under dir, dir included (folders as
// Dir does). Errors: the first file or folder that cannot be opened or
// synced.
func Tree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return Dir(path)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

// WriteFile creates or replaces path with the bytes fill writes, whole or
// not at all: into the hidden temporary file ".<name>.tmp" beside it
// (which matches neither *.parquet nor the name; one left by a crash is
// overwritten), mode 0644 less the umask, fsynced, closed, renamed over
// path, then the folder fsynced (Dir). If fill or any step fails the
// temporary file is removed and path is untouched.
func WriteFile(path string, fill func(w io.Writer) error) (err error) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close() // a second Close after a successful one is harmless
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return Dir(filepath.Dir(path))
}
