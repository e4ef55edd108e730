package flow

import (
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestHugePagesAdvised: a slot array of 8 MiB is advised into huge pages:
// the mapping holding its middle carries the "hg" flag (MADV_HUGEPAGE,
// proc(5) smaps VmFlags) where the kernel has transparent huge pages
// (/sys/kernel/mm/transparent_hugepage exists), and a 64-slot one (under
// 2 MiB) is left alone (no madvise, the call returns at once);
// SmallPages takes the advice back.
func TestHugePagesAdvised(t *testing.T) {
	big := make([]slot, 1<<19)
	HugePages(big)
	HugePages(make([]slot, 64))
	mid := uintptr(unsafe.Pointer(&big[len(big)/2]))
	flags, err := testref.VMFlags(mid)
	if err != nil {
		t.Fatal(err)
	}
	_, thp := os.Stat("/sys/kernel/mm/transparent_hugepage")
	if got, want := strings.Contains(" "+flags+" ", " hg "), thp == nil; got != want {
		t.Errorf("VmFlags %q of the slots' mapping: hg %v, want %v", flags, got, want)
	}
	SmallPages(big) // released: the heap reuses the range without the advice
	if flags, err = testref.VMFlags(mid); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("VmFlags %q after SmallPages: still hg", flags)
	}
}
