package filter

import (
	"fmt"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestBPFKernelAccepts attaches the program of every filter of the
// equivalence tables (byte offsets and arithmetic included), compiled for
// Ethernet as a file's frames and with the kernel's VLAN metadata, to an
// AF_PACKET socket: the Linux classic BPF checker accepts each (scratch
// memory written before read on every path, jumps in range), so live
// captures attach them instead of falling back to user space.
func TestBPFKernelAccepts(t *testing.T) {
	testenv.Root(t)
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0x0300) // ETH_P_ALL, host order swapped
	if err != nil {
		t.Fatalf("AF_PACKET socket: %v", err)
	}
	defer syscall.Close(fd)
	var filters []string
	for _, c := range plainFilters {
		filters = append(filters, c.ours)
	}
	for _, v := range vlanCaptures {
		for _, c := range v.filters {
			filters = append(filters, c.ours)
		}
	}
	n := 0
	for _, f := range filters {
		e, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, kernelVLAN := range []bool{false, true} {
			prog, err := e.BPF(BPFTarget{LinkType: pkt.LinkEthernet, KernelVLAN: kernelVLAN})
			if err != nil {
				t.Fatalf("%q: %v", f, err)
			}
			if err := attach(fd, prog); err != nil {
				t.Errorf("%q (kernel VLAN %v, %d instructions): %v", f, kernelVLAN, len(prog), err)
			}
			n++
		}
	}
	t.Logf("%d programs attached", n)
}

// attach sets prog as the socket filter of fd (SO_ATTACH_FILTER).
func attach(fd int, prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return err
	}
	fp := syscall.SockFprog{Len: uint16(len(raw)), Filter: (*syscall.SockFilter)(unsafe.Pointer(&raw[0]))}
	_, _, errno := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&fp)), unsafe.Sizeof(fp), 0)
	if errno != 0 {
		return fmt.Errorf("SO_ATTACH_FILTER: %w", errno)
	}
	return nil
}
