//go:build linux

package flow

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// HugePages advises the kernel to back the whole 2 MiB pages within b's
// memory with transparent huge pages (MADV_HUGEPAGE; the system's
// default, "madvise", gives them only where asked): a large table written
// at random then takes one page fault per 2 MiB instead of one per 4 KiB.
// b under 2 MiB is left alone. Advice only: memory the kernel will not
// back so stays as it was. b must be released with SmallPages before it
// is dropped: the advice stays with the address range, and the Go heap
// reuses it for other objects. The flow index and tcpconn's connection
// table use it.
func HugePages[T any](b []T) { advise(b, unix.MADV_HUGEPAGE) }

// SmallPages takes HugePages' advice back from b (MADV_NOHUGEPAGE): the
// heap memory it leaves does not bring whole huge pages into the
// resident set when smaller objects reuse it.
func SmallPages[T any](b []T) { advise(b, unix.MADV_NOHUGEPAGE) }

func advise[T any](b []T, advice int) {
	const huge = 2 << 20
	n := uintptr(len(b)) * unsafe.Sizeof(*new(T))
	if n < huge {
		return
	}
	mem := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), n)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	lo := (start+huge-1)&^(huge-1) - start // first whole huge page
	hi := (start+n)&^(huge-1) - start
	if hi <= lo {
		return
	}
	_ = unix.Madvise(mem[lo:hi], advice)
}
