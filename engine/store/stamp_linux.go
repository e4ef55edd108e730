//go:build linux

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// folderStamp is what changes in a folder's status when an entry is
// removed from it or renamed away: its modification time, and its link
// count (one per subfolder, on the filesystems that count them).
type folderStamp struct {
	sec, nsec int64
	nlink     uint64
}

// stampOf returns f's folderStamp, with no allocation (one fstat(2)).
func stampOf(f *os.File) (folderStamp, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return folderStamp{}, err
	}
	return folderStamp{sec: st.Mtim.Sec, nsec: st.Mtim.Nsec, nlink: uint64(st.Nlink)}, nil
}
