//go:build linux

package bench

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// preload reads the capture at path into anonymous memory outside the Go
// heap (mmap), so that the collector neither counts nor paces by it (in
// the heap, 2.9 GiB of preloaded 5M corpus against the runs' 156 MiB
// memory limit, raised by the preload, had the collector run 329 cycles
// in a full run instead of 12), in transparent huge pages where the
// kernel gives them (MADV_HUGEPAGE: fewer TLB misses as the runs walk
// it); a pipe, an empty file or a failed mmap falls back to the heap
// (inHeap). release unmaps it; data must not be used after it.
func preload(path string) (data []byte, release func(), inHeap bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, false, err
	}
	n := st.Size()
	if n <= 0 || n != int64(int(n)) {
		b, err := os.ReadFile(path) // a pipe or an empty file: the heap
		return b, func() {}, true, err
	}
	b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		b, err := os.ReadFile(path)
		return b, func() {}, true, err
	}
	_ = syscall.Madvise(b, madvHugePage) // advice: without it, 4 KiB pages
	release = func() { syscall.Munmap(b) }
	if _, err := io.ReadFull(f, b); err != nil {
		release()
		return nil, nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return b, release, false, nil
}

// madvHugePage is MADV_HUGEPAGE (linux/mman.h), which package syscall does
// not name.
const madvHugePage = 14
