//go:build linux

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncTree makes every file written under dir durable with one syncfs(2)
// of dir's filesystem (the parts Run.Write streams are not fsynced one by
// one); syncfs covers the folders' entries too.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
