//go:build linux

package netlab

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/live/ethtool"
)

// Flood writes n IPv4/UDP frames of payload bytes from A (AddrA, port
// 40000) to B (AddrB, port) on A's end of the link, as fast as one
// AF_PACKET socket sends them, and returns their flow (IP bytes known
// exactly). A socket in B is bound to the port meanwhile (never read: B
// answers nothing, no ICMP port unreachable).
func (l *Lab) Flood(n, payload int, port uint16) (Flow, error) {
	a, b := netip.MustParseAddr(AddrA), netip.MustParseAddr(AddrB)
	sink, err := listenUDP(l.B, netip.AddrPortFrom(b, port))
	if err != nil {
		return Flow{}, err
	}
	defer sink.Close()
	macA, err := l.A.MAC(l.IfA)
	if err != nil {
		return Flow{}, err
	}
	macB, err := l.B.MAC(l.IfB)
	if err != nil {
		return Flow{}, err
	}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = udpFrame(macB, macA, port, payload, uint16(i))
	}
	if err := l.A.Inject(l.IfA, frames); err != nil {
		return Flow{}, err
	}
	return Flow{Proto: 17, Src: netip.AddrPortFrom(a, 40000), Dst: netip.AddrPortFrom(b, port),
		Packets: uint64(n), IPBytes: uint64(n * (28 + payload))}, nil
}

// udpFrame is an Ethernet frame of an IPv4/UDP datagram from AddrA:40000
// to AddrB:port with IP identification id (checksums filled; UDP's 0).
func udpFrame(dst, src []byte, port uint16, payload int, id uint16) []byte {
	f := make([]byte, 14+20+8+payload)
	copy(f, dst)
	copy(f[6:], src)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(28+payload))
	binary.BigEndian.PutUint16(ip[4:], id)
	a, b := netip.MustParseAddr(AddrA).As4(), netip.MustParseAddr(AddrB).As4()
	copy(ip[12:], a[:])
	copy(ip[16:], b[:])
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	u := f[34:]
	binary.BigEndian.PutUint16(u, 40000)
	binary.BigEndian.PutUint16(u[2:], port)
	binary.BigEndian.PutUint16(u[4:], uint16(8+payload))
	return f
}

// Offload setters of the SIOCETHTOOL ioctl (linux/ethtool.h), each taking
// struct ethtool_value: the same settings live.Inspect reads.
var ethtoolSets = []uint32{
	0x2c, // ETHTOOL_SGRO
	0x24, // ETHTOOL_SGSO
	0x1f, // ETHTOOL_STSO
	0x15, // ETHTOOL_SRXCSUM
	0x17, // ETHTOOL_STXCSUM
}

// SetOffloads turns GRO, GSO, TSO and the rx and tx checksum offloads of
// ifc in n on or off (as ethtool -K does, without the ethtool command); a
// setting the driver refuses is left as it is (LRO is not set: veth has
// none).
func (n *NS) SetOffloads(ifc string, on bool) error {
	return n.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		data := uint32(0)
		if on {
			data = 1
		}
		for _, cmd := range ethtoolSets {
			ethtool.Value(fd, ifc, cmd, data)
		}
		return nil
	})
}
