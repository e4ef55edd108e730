//go:build !linux

package store

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tmonbench/tmonbench/internal/fsync"
)

// syncTree fsyncs every file and folder under dir (no syncfs here).
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return fsync.Dir(path)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
