package tcpconn

import (
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestConnChunks: connection pages are cut from chunks of 1, 2, 4 ...
// connChunk pages (fewer when MaxConns leaves fewer connections: a full
// table still holds exactly MaxConns), a chunk of 2 MiB or more is advised
// into transparent huge pages (the "hg" VmFlag of proc(5) smaps, where the
// kernel has them) and Release takes the advice back.
func TestConnChunks(t *testing.T) {
	small := New(Config{MaxConns: 200})
	a := small.page(connPage)
	small.made = connPage // as create counts them
	b := small.page(200 - connPage)
	if len(small.chunks) != 2 || len(small.chunks[0]) != connPage || len(small.chunks[1]) != 200-connPage || &a[0] != &small.chunks[0][0] || &b[0] != &small.chunks[1][0] {
		t.Fatalf("MaxConns 200: %d chunks (want one of a page, then one of the 72 connections MaxConns leaves)", len(small.chunks))
	}

	big := New(Config{MaxConns: 1 << 16})
	for range 2*connChunk - 1 + 1 { // 1+2+...+64 pages in 7 chunks, then one page of an eighth
		big.page(connPage)
	}
	var sizes []int
	for _, c := range big.chunks {
		sizes = append(sizes, len(c)/connPage)
	}
	if want := []int{1, 2, 4, 8, 16, 32, 64, 64}; !slices.Equal(sizes, want) {
		t.Fatalf("chunks of %v pages, want %v", sizes, want)
	}
	first := big.chunks[6] // the first of connChunk pages
	mid := uintptr(unsafe.Pointer(&first[len(first)/2]))
	flags, err := testref.VMFlags(mid)
	if err != nil {
		t.Fatal(err)
	}
	_, thp := os.Stat("/sys/kernel/mm/transparent_hugepage")
	if got, want := strings.Contains(" "+flags+" ", " hg "), thp == nil; got != want {
		t.Errorf("VmFlags %q of the first chunk's mapping: hg %v, want %v", flags, got, want)
	}
	big.Release()
	if flags, err = testref.VMFlags(mid); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("VmFlags %q after Release: still hg", flags)
	}
}
