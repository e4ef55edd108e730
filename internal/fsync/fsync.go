// Package fsync makes the names in a folder durable: the one rule the
// store's atomic files and the journal's segments and checkpoints share.
package fsync

import (
	"errors"
	"os"
	"syscall"
)

// Dir fsyncs folder dir so that the creations, renames and removals in it
// survive a crash. A filesystem that cannot fsync a folder (EINVAL) is
// tolerated: there is nothing more to do on it.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
