package pdu

import (
	"net"
	"syscall"
)

// setSocketBuffers asks for n bytes of receive and send buffer on conn:
// SO_RCVBUFFORCE/SO_SNDBUFFORCE first (with CAP_NET_ADMIN they pass
// net.core.rmem_max/wmem_max), else SO_RCVBUF/SO_SNDBUF, which the kernel
// caps at those limits. It returns the receive buffer the kernel granted,
// in the bytes asked for (the value read back is twice that: the kernel's
// bookkeeping).
func setSocketBuffers(conn *net.UDPConn, n int) int {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	raw.Control(func(fd uintptr) {
		if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, n) != nil {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
		}
		if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, n) != nil {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, n)
		}
		got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	return got / 2
}
