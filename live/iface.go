//go:build linux

package live

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/live/ethtool"
)

// Errors of Inspect and Open, each wrapped with a one-line explanation
// that says what to do.
var (
	// ErrNoInterface: no interface of that name (in this network namespace).
	ErrNoInterface = errors.New("live: no such interface")
	// ErrDown: the interface is administratively down.
	ErrDown = errors.New("live: interface down")
	// ErrPermission: the process may not open packet sockets (CAP_NET_RAW).
	ErrPermission = errPermission
	// ErrLinkType: the interface's hardware type has no link type here.
	ErrLinkType = errors.New("live: unsupported link type")
)

// lineError is an error whose message is one line saying what to do and
// which unwraps to one of the sentinels above.
type lineError struct {
	kind error
	msg  string
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.kind }

func lineErrorf(kind error, format string, a ...any) error {
	return &lineError{kind: kind, msg: fmt.Sprintf(format, a...)}
}

// Info describes a capture interface as found at start.
type Info struct {
	Name  string
	Index int
	MTU   int // bytes, IP packet (the frame adds its link header)
	Up    bool
	// Carrier: the link has a carrier (IFF_RUNNING): false for a cable
	// out or a veth whose peer is down; nothing is captured meanwhile.
	Carrier  bool
	Loopback bool
	LinkType pkt.LinkType
	// Offloads lists the offloads that are on and change what a probe
	// sees (GRO, GSO, TSO, LRO merge segments; rx/tx checksum offload
	// leaves checksums unverified or unfilled): "gro", "gso", "tso",
	// "lro", "rx-checksum", "tx-checksum". Empty when off or unknown.
	Offloads []string
}

// OffloadAdvice is the command that turns off the offloads of Info, or ""
// when none is on (design 1.4: the probe must see packets as on the wire).
func (i Info) OffloadAdvice() string {
	if len(i.Offloads) == 0 {
		return ""
	}
	var words []string
	for _, o := range i.Offloads {
		switch o {
		case "rx-checksum":
			words = append(words, "rx off")
		case "tx-checksum":
			words = append(words, "tx off")
		default:
			words = append(words, o+" off")
		}
	}
	return "ethtool -K " + i.Name + " " + strings.Join(words, " ")
}

// Inspect finds interface name and checks it can be captured on: it
// exists (ErrNoInterface), is up (ErrDown) and has a link type the
// dissector reads (ErrLinkType). It reads the MTU and the offloads.
func Inspect(name string) (Info, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return Info{}, lineErrorf(ErrNoInterface, "live: no interface %q here (ip link lists the interfaces)", name)
	}
	info := Info{Name: name, Index: ifi.Index, MTU: ifi.MTU, Up: ifi.Flags&net.FlagUp != 0, Carrier: ifi.Flags&net.FlagRunning != 0, Loopback: ifi.Flags&net.FlagLoopback != 0}
	if !info.Up {
		return info, lineErrorf(ErrDown, "live: interface %s is down (ip link set %s up)", name, name)
	}
	hw, err := hardwareType(name)
	if err != nil {
		return info, fmt.Errorf("live: %s: hardware type: %w", name, err)
	}
	switch hw {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		info.LinkType = pkt.LinkEthernet
	case unix.ARPHRD_NONE, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6, unix.ARPHRD_SIT, unix.ARPHRD_IPGRE, unix.ARPHRD_IP6GRE, unix.ARPHRD_PPP, unix.ARPHRD_RAWIP:
		info.LinkType = pkt.LinkRaw
	default:
		return info, lineErrorf(ErrLinkType, "live: %s has hardware type %d: only Ethernet, loopback and IP tunnels are captured", name, hw)
	}
	info.Offloads = offloads(name)
	return info, nil
}

// AnyInterface is the interface name that stands for every interface, as
// in tcpdump -i any: ExpandAny lists the interfaces it means.
const AnyInterface = "any"

// ExpandAny lists the interfaces -i any captures on: every interface that
// is up and whose link type the dissector reads (Inspect), in index order.
// Each is captured on a socket of its own with its link header, and its
// packets carry its name (the tables' interface column), where libpcap's
// "any" device gives cooked headers without the link layer (LINUX_SLL2).
// left says, a line each, which interfaces are left out and why (down, a
// hardware type not read). An interface that comes up later is not
// captured: the list is the one at start. ErrNoInterface when none is
// left.
func ExpandAny() (names, left []string, err error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, nil, fmt.Errorf("live: list the interfaces: %w", err)
	}
	for _, ifi := range ifs {
		if _, err := Inspect(ifi.Name); err != nil {
			if errors.Is(err, ErrDown) || errors.Is(err, ErrLinkType) {
				left = append(left, strings.TrimPrefix(err.Error(), "live: "))
				continue
			}
			return nil, left, err
		}
		names = append(names, ifi.Name)
	}
	if len(names) == 0 {
		return nil, left, lineErrorf(ErrNoInterface, "live: -i any: no interface is up with a link type captured here (%s)", strings.Join(left, "; "))
	}
	return names, left, nil
}

// hardwareType reads the interface's ARPHRD_* type: the address family of
// its hardware address (SIOCGIFHWADDR), which, unlike /sys/class/net, is
// answered in the calling thread's network namespace.
func hardwareType(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, err
	}
	return int(ifr.Uint16()), nil
}

// Ethtool commands (linux/ethtool.h) that read one offload setting.
var ethtoolGets = []struct {
	cmd  uint32
	name string
	bit  uint32 // for ETHTOOL_GFLAGS: the flag; else 0 (data != 0 means on)
}{
	{0x2b, "gro", 0},         // ETHTOOL_GGRO
	{0x23, "gso", 0},         // ETHTOOL_GGSO
	{0x1e, "tso", 0},         // ETHTOOL_GTSO
	{0x25, "lro", 1 << 15},   // ETHTOOL_GFLAGS, ETH_FLAG_LRO
	{0x14, "rx-checksum", 0}, // ETHTOOL_GRXCSUM
	{0x16, "tx-checksum", 0}, // ETHTOOL_GTXCSUM
}

// offloads reads the offload settings with the SIOCETHTOOL ioctl; a
// setting the driver does not report is left out.
func offloads(name string) []string {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	var on []string
	for _, g := range ethtoolGets {
		data, errno := ethtool.Value(fd, name, g.cmd, 0)
		if errno != 0 {
			continue
		}
		if g.bit != 0 && data&g.bit != 0 || g.bit == 0 && data != 0 {
			on = append(on, g.name)
		}
	}
	return on
}
