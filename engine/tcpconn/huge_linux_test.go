package tcpconn

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// TestConnChunks: connection pages are cut from chunks of connChunk pages
// (fewer when MaxConns leaves fewer connections: a full table still holds
// exactly MaxConns), a chunk of 2 MiB or more is advised into transparent
// huge pages (the "hg" VmFlag of proc(5) smaps, where the kernel has them)
// and Release takes the advice back.
func TestConnChunks(t *testing.T) {
	small := New(Config{MaxConns: 200})
	a, b := small.page(connPage), small.page(200-connPage)
	if len(small.chunks) != 1 || len(small.chunks[0]) != 200 || &a[0] != &small.chunks[0][0] || &b[0] != &small.chunks[0][connPage] {
		t.Fatalf("MaxConns 200: %d chunks (want 1 of 200 connections holding both pages)", len(small.chunks))
	}

	big := New(Config{MaxConns: 1 << 16})
	for range connChunk + 1 {
		big.page(connPage)
	}
	if len(big.chunks) != 2 || len(big.chunks[0]) != connChunk*connPage {
		t.Fatalf("%d chunks after %d pages, the first of %d connections; want 2, %d", len(big.chunks), connChunk+1, len(big.chunks[0]), connChunk*connPage)
	}
	first := big.chunks[0]
	mid := uintptr(unsafe.Pointer(&first[len(first)/2]))
	flags, err := vmFlags(mid)
	if err != nil {
		t.Fatal(err)
	}
	_, thp := os.Stat("/sys/kernel/mm/transparent_hugepage")
	if got, want := strings.Contains(" "+flags+" ", " hg "), thp == nil; got != want {
		t.Errorf("VmFlags %q of the first chunk's mapping: hg %v, want %v", flags, got, want)
	}
	big.Release()
	if flags, err = vmFlags(mid); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("VmFlags %q after Release: still hg", flags)
	}
}

// vmFlags returns the VmFlags of the mapping of /proc/self/smaps holding
// address a (as engine/flow's test).
func vmFlags(a uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			in = lo <= a && a < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", a)
}
