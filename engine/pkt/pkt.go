// Package pkt holds the leaf value types every other package shares: a
// captured packet's metadata (capture time in Unix nanoseconds, lengths, link
// type, interface) and the Source interface that replay/ and live/ implement.
//
// It imports nothing of tmonbench, so replay/ and live/ can depend on it
// without reaching into the engines (house style: imports run one way).
package pkt

import (
	"errors"
	"fmt"
)

// LinkType is a LINKTYPE_* value from the tcpdump.org link-layer header
// registry (https://www.tcpdump.org/linktypes.html), as stored in pcap and
// pcapng headers. Only the full 16-bit value is meaningful: 276 (SLL2) must
// never be truncated to a byte.
type LinkType uint16

// Link types the dissector understands.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte host-order address family
	LinkEthernet  LinkType = 1   // IEEE 802.3 Ethernet, with 802.1Q/802.1ad tags
	LinkPPP       LinkType = 9   // PPP (RFC 1661), HDLC-like framing optional
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkLoop      LinkType = 108 // OpenBSD loopback: 4-byte network-order family
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1, 16-byte header
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2, 20-byte header
)

// FileLinkType is the link type a capture file's header (pcap) or
// Interface Description Block (pcapng) gives as v. The DLT_RAW values
// that old libpcap versions wrote in files before LINKTYPE_RAW (101)
// existed, 12 (most systems) and 14 (OpenBSD), are raw IP (LinkRaw), as
// libpcap reads 12 and Wireshark (pcap-common.c) reads both.
func FileLinkType(v uint32) LinkType {
	switch v {
	case 12, 14:
		return LinkRaw
	}
	return LinkType(v)
}

// String names the link type as libpcap does (EN10MB, LINUX_SLL2, ...).
func (l LinkType) String() string {
	switch l {
	case LinkNull:
		return "NULL"
	case LinkEthernet:
		return "EN10MB"
	case LinkPPP:
		return "PPP"
	case LinkRaw:
		return "RAW"
	case LinkLoop:
		return "LOOP"
	case LinkLinuxSLL:
		return "LINUX_SLL"
	case LinkIPv4:
		return "IPV4"
	case LinkIPv6:
		return "IPV6"
	case LinkLinuxSLL2:
		return "LINUX_SLL2"
	}
	return "LINKTYPE_" + itoa(int(l))
}

// Supported reports whether the dissector can find the IP header behind l.
func (l LinkType) Supported() bool {
	switch l {
	case LinkNull, LinkEthernet, LinkPPP, LinkRaw, LinkLoop, LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2:
		return true
	}
	return false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// MaxIfaces is the number of capture interfaces one probe can have:
// Meta.Iface (16 bits) numbers them 0 to 65,535. A pcapng describing more
// is damaged at the 65,537th (replay); captures of one probe whose
// interfaces add up to more are refused before any packet is read
// (pipeline.Assign); probe.New refuses an Identity naming more.
const MaxIfaces = 1 << 16

// Meta describes one captured packet. It is a small value type, copied freely.
type Meta struct {
	// TimeNs is the capture time in nanoseconds since the Unix epoch (UTC),
	// as stamped by the capturing kernel or stored in the capture file.
	TimeNs int64
	// CapLen is the number of bytes captured (len of the data slice).
	CapLen uint32
	// WireLen is the original length of the frame on the wire, in bytes,
	// including the link header (pcap's orig_len; pcap-filter's `len`).
	WireLen uint32
	// LinkType says how to find the network header.
	LinkType LinkType
	// Iface is the index of the capture interface within its probe (0 for
	// the first), as configured: it keeps flows apart per interface
	// (design 3.2).
	Iface uint16
	// TimeBorrowed says the packet has no capture time of its own: TimeNs
	// is the previous packet's, given by the source (a pcapng Simple
	// Packet Block carries no time; a pcapng timestamp beyond the int64
	// ns range) or by the probe (a time before 1970 or after 2116). The
	// packet counts everywhere as any other (flows, bytes, timers, FTP,
	// TCP analysis); only a measurement made of the times of two packets
	// leaves it out: rtt never times a round trip from or to it (its
	// pairs count in rtt's Stats.Unmeasured), tcpconn no handshake time
	// (NULL).
	TimeBorrowed bool // in Iface's padding: Meta stays 40 bytes
	// Frame is the 1-based record number within the capture source, for
	// error messages and cross-checks with tshark's frame.number.
	Frame uint64
	// ClockNs is the probe's timer clock at this packet: capture time with
	// the capture's clock steps taken out (a step back of more than a
	// second, a jump forward of more than ten minutes count as no time),
	// set by the probe before the analysers run. Analysers run their
	// timeouts and measure durations on it (Clock), and report TimeNs. 0
	// (sources, hand-made metadata) means TimeNs.
	ClockNs int64
}

// Source yields captured packets in capture order. Implementations:
// replay.File (pcap/pcapng files) and live capture (live/). The engines'
// read loop (probe.Loop) drives any Source.
type Source interface {
	// Next returns the next packet. data is borrowed: it is valid only
	// until the next call to Next. At the end it returns io.EOF; a
	// damaged capture returns an error wrapping ErrTruncated or
	// ErrMalformed after the last good packet.
	Next() (data []byte, m Meta, err error)
	// Close releases the source.
	Close() error
}

// MetaSource is a Source that also fills the caller's Meta in place:
// NextInto(m) is Next with the Meta stored through m (the zero Meta with
// an error). A Meta returned by value is copied twice on the stack at
// each level of wrapped sources (issue 14: the 40 bytes do not fit the
// result registers beside the data and the error), so the read loop and
// the wrappers on its path use NextInto when their source has it.
type MetaSource interface {
	Source
	NextInto(m *Meta) (data []byte, err error)
}

// Message returns err's text for a person, such as an event's message
// (capture_damaged): that of its Message method when err has one (a
// capture's error without its package's prefix: replay.Error reads
// "a.pcap: frame 26 at byte 8877: ...", not "replay: a.pcap: ..."), else
// err.Error().
func Message(err error) string {
	if m, ok := err.(interface{ Message() string }); ok {
		return m.Message()
	}
	return err.Error()
}

// Errors a Source returns after the last good packet of damaged input.
var (
	// ErrTruncated means the capture ends in the middle of a record.
	ErrTruncated = errors.New("pkt: capture truncated")
	// ErrMalformed means a record header is inconsistent and the rest of
	// the capture cannot be read.
	ErrMalformed = errors.New("pkt: capture malformed")
	// ErrIdle (possibly wrapped) is what a live Source's Next returns when
	// no packet came within its wait (a ring block timeout): not an end.
	// The read loop advances the probe clock with the wall clock (timers,
	// intervals, PDU regulation go on without traffic) and calls Next again.
	ErrIdle = errors.New("pkt: no packet within the wait")
	// ErrWake wraps ErrIdle: what a wrapper of a live Source returns to
	// wake the read loop for its periodic work while packets flow (health
	// events, metrics, switch-overs). The loop does that work but does not
	// move the probe clock with the wall clock: the capture ring may still
	// hold packets older than it, which would count in a later interval
	// than their time.
	ErrWake = fmt.Errorf("%w: a wake-up while packets flow", ErrIdle)
)
