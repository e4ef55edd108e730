package testref

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Resident returns how many of the 4 KiB pages overlapping the n bytes at
// address a are resident, and how many there are (mincore(2)): a page
// written once is, a fresh anonymous page not yet touched is not.
func Resident(a, n uintptr) (resident, pages int, err error) {
	const page = 4 << 10
	lo, hi := a&^(page-1), (a+n+page-1)&^(page-1)
	vec := make([]byte, (hi-lo)/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(unsafe.SliceData(vec)))); e != 0 {
		return 0, len(vec), e
	}
	for _, v := range vec {
		resident += int(v & 1)
	}
	return resident, len(vec), nil
}
