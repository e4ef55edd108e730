//go:build linux

package store

import "golang.org/x/sys/unix"

// exchange atomically swaps the folders at a and b (renameat2 with
// RENAME_EXCHANGE, Linux 3.15+). It fails (EINVAL, ENOSYS) on filesystems
// that do not support it; the caller then falls back to two renames.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
