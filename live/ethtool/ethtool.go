//go:build linux

// Package ethtool issues the one SIOCETHTOOL request the live capture
// (reading an interface's offloads) and the test lab (turning them off)
// both need: a command with a 32-bit value (struct ethtool_value).
package ethtool

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Value sends the ethtool command cmd with data to the interface ifc
// through the socket fd (any AF_INET socket) and returns the value the
// kernel wrote back: the setting for a get command. errno is non-zero
// when the driver refused or does not report the setting.
func Value(fd int, ifc string, cmd, data uint32) (uint32, unix.Errno) {
	v := struct{ cmd, data uint32 }{cmd: cmd, data: data}
	var ifr struct {
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [16]byte
	}
	copy(ifr.name[:], ifc)
	ifr.data = unsafe.Pointer(&v)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(&v)
	return v.data, errno
}
