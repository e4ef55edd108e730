//go:build !linux

package store

import "os"

// folderStamp is what changes in a folder's status when an entry is
// removed from it or renamed away: its modification time.
type folderStamp struct{ sec, nsec int64 }

// stampOf returns f's folderStamp (os.File.Stat: one allocation).
func stampOf(f *os.File) (folderStamp, error) {
	fi, err := f.Stat()
	if err != nil {
		return folderStamp{}, err
	}
	t := fi.ModTime()
	return folderStamp{sec: t.Unix(), nsec: int64(t.Nanosecond())}, nil
}
