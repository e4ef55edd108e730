package tcpconn

import (
	"math"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Flag bits of a connection record.
const (
	recSynSynack  = 1 << iota // HandshakeSynSynackMs present
	recSynackAck              // HandshakeSynackAckMs present
	recSACK                   // SACKPermitted
	recSawStart               // SawStart
	recSawEnd                 // SawEnd
	recBoundary               // BoundaryOnly
	recStateOther = 0xff      // conn_state byte: a string follows
)

// AppendConn encodes one tcp_connections row and the index of its capture
// interface (design 3.14 "TCP Connections observations"). Probe and
// Interface are not encoded: the collector fills them from the PDU's probe
// and the Hello's interface list. Layout: iface, class, conn_id, flags,
// client and server address (pdu.Enc.Addr; a version-0 address is followed
// by the string when it is not an IP address) and port, start_time (zig-zag
// ns), end_time - start_time (zig-zag ns), the handshake times present
// (zig-zag ns, so 1 ns precision), then per side (client, server): payload,
// missing, packets, retransmissions, out-of-order, zero windows (uvarints),
// wscale (zig-zag), MSS; then conn_state (index in Zeek's list, or 0xff and
// the string) and history. duration_s is not sent: DecodeConn derives it
// from the times.
func AppendConn(e *pdu.Enc, iface uint16, r *observe.TCPConnection) {
	e.Uvarint(uint64(iface))
	e.String(r.Class)
	e.Uvarint(r.ConnID)
	var fl byte
	if r.HandshakeSynSynackMs != nil {
		fl |= recSynSynack
	}
	if r.HandshakeSynackAckMs != nil {
		fl |= recSynackAck
	}
	if r.SACKPermitted {
		fl |= recSACK
	}
	if r.SawStart {
		fl |= recSawStart
	}
	if r.SawEnd {
		fl |= recSawEnd
	}
	if r.BoundaryOnly {
		fl |= recBoundary
	}
	e.Byte(fl)
	appendAddr(e, r.ClientAddr)
	e.Uvarint(uint64(r.ClientPort))
	appendAddr(e, r.ServerAddr)
	e.Uvarint(uint64(r.ServerPort))
	e.Varint(r.StartTime)
	e.Varint(r.EndTime - r.StartTime)
	if r.HandshakeSynSynackMs != nil {
		e.Varint(msToNs(*r.HandshakeSynSynackMs))
	}
	if r.HandshakeSynackAckMs != nil {
		e.Varint(msToNs(*r.HandshakeSynackAckMs))
	}
	for _, v := range [...]uint64{
		r.ClientPayloadBytes, r.ClientMissingBytes, r.ClientPackets, r.ClientRetransmissions, r.ClientOutOfOrder, r.ClientZeroWindows,
	} {
		e.Uvarint(v)
	}
	e.Varint(int64(r.ClientWScale))
	e.Uvarint(uint64(r.ClientMSS))
	for _, v := range [...]uint64{
		r.ServerPayloadBytes, r.ServerMissingBytes, r.ServerPackets, r.ServerRetransmissions, r.ServerOutOfOrder, r.ServerZeroWindows,
	} {
		e.Uvarint(v)
	}
	e.Varint(int64(r.ServerWScale))
	e.Uvarint(uint64(r.ServerMSS))
	st := byte(recStateOther)
	for i, s := range connStates {
		if s == r.ConnState {
			st = byte(i)
			break
		}
	}
	e.Byte(st)
	if st == recStateOther {
		e.String(r.ConnState)
	}
	e.String(r.History)
}

// DecodeConn decodes a record written by AppendConn into r (Probe and
// Interface left empty) and returns its interface index. Errors are sticky
// in d (pdu.ErrShort, pdu.ErrCorrupt); on error r holds garbage. It never
// panics and allocates only the row's strings and handshake values.
func DecodeConn(d *pdu.Dec, r *observe.TCPConnection) (iface uint16) {
	*r = observe.TCPConnection{}
	iface = uint16(d.Uvarint())
	r.Class = d.String()
	r.ConnID = d.Uvarint()
	fl := d.Byte()
	r.SACKPermitted = fl&recSACK != 0
	r.SawStart = fl&recSawStart != 0
	r.SawEnd = fl&recSawEnd != 0
	r.BoundaryOnly = fl&recBoundary != 0
	r.ClientAddr = decodeAddr(d)
	r.ClientPort = uint16(d.Uvarint())
	r.ServerAddr = decodeAddr(d)
	r.ServerPort = uint16(d.Uvarint())
	r.StartTime = d.Varint()
	r.EndTime = r.StartTime + d.Varint()
	r.DurationS = float64(r.EndTime-r.StartTime) / 1e9
	if fl&recSynSynack != 0 {
		r.HandshakeSynSynackMs = decodeMs(d)
	}
	if fl&recSynackAck != 0 {
		r.HandshakeSynackAckMs = decodeMs(d)
	}
	for _, p := range [...]*uint64{
		&r.ClientPayloadBytes, &r.ClientMissingBytes, &r.ClientPackets, &r.ClientRetransmissions, &r.ClientOutOfOrder, &r.ClientZeroWindows,
	} {
		*p = d.Uvarint()
	}
	r.ClientWScale = int16(d.Varint())
	r.ClientMSS = uint16(d.Uvarint())
	for _, p := range [...]*uint64{
		&r.ServerPayloadBytes, &r.ServerMissingBytes, &r.ServerPackets, &r.ServerRetransmissions, &r.ServerOutOfOrder, &r.ServerZeroWindows,
	} {
		*p = d.Uvarint()
	}
	r.ServerWScale = int16(d.Varint())
	r.ServerMSS = uint16(d.Uvarint())
	if st := d.Byte(); int(st) < len(connStates) {
		r.ConnState = connStates[st]
	} else if st == recStateOther {
		r.ConnState = d.String()
	} else {
		corrupt(d)
	}
	r.History = d.String()
	return iface
}

// corrupt makes d fail with pdu.ErrCorrupt (a value out of range).
func corrupt(d *pdu.Dec) { d.Fail(pdu.ErrCorrupt) }

// maxHandshakeNs bounds an encoded handshake time (about 19.5 h): within
// it, ns -> ms -> ns is exact, so records re-encode identically.
const maxHandshakeNs = 1 << 46

// msToNs converts a handshake time in ms back to integral nanoseconds,
// clamped to ±maxHandshakeNs (NaN encodes as 0).
func msToNs(ms float64) int64 {
	v := math.Round(ms * 1e6)
	switch {
	case v != v:
		return 0
	case v > maxHandshakeNs:
		return maxHandshakeNs
	case v < -maxHandshakeNs:
		return -maxHandshakeNs
	}
	return int64(v)
}

func decodeMs(d *pdu.Dec) *float64 {
	ns := d.Varint()
	if ns > maxHandshakeNs || ns < -maxHandshakeNs {
		corrupt(d)
		return nil
	}
	v := float64(ns) / 1e6
	return &v
}

// appendAddr writes an address string compactly when it parses.
func appendAddr(e *pdu.Enc, s string) {
	var buf [64]byte
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" && string(a.AppendTo(buf[:0])) == s {
		e.Addr(a)
		return
	}
	e.Addr(netip.Addr{})
	e.String(s)
}

func decodeAddr(d *pdu.Dec) string {
	a := d.Addr()
	if d.Err() != nil {
		return ""
	}
	if !a.IsValid() {
		return d.String()
	}
	return a.String()
}
