//go:build linux

package flow

import (
	"runtime"
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

// Populate faults in the pages of b's memory at once (MADV_POPULATE_WRITE,
// Linux 5.14), as the first writes to them would one page at a time,
// without changing b. On the probe virtual machine a first write to a
// fresh 4 KiB page cost ~12.5 µs of CPU (a page fault each) and
// populating 48 KiB at once ~1.1 µs a page (issue 14: the flow records'
// chunks, the index's slot arrays and the id list took 8.8 k faults per
// run of the 5M corpus, ~20 ns a packet). Only for memory that will be
// written soon and whole (a chunk of records handed out one after the
// other, an array rewritten at once): pages never written would be
// resident for nothing. The whole pages overlapping b are populated,
// including the parts of its first and last page that other objects of
// the heap hold (their contents are not changed). b under a page is left
// alone; kernels without the advice refuse it and b stays as it was.
func Populate[T any](b []T) {
	const page = 4 << 10
	n := uintptr(len(b)) * unsafe.Sizeof(*new(T))
	if n < page {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := start &^ (page - 1) // madvise takes a page-aligned start: the raw call, no pointer made before b
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, lo, start+n-lo, unix.MADV_POPULATE_WRITE)
	runtime.KeepAlive(b)
}

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
