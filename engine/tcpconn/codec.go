package tcpconn

import (
	"math"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Flag bits of a connection record.
const (
	recSynSynack    = 1 << iota // HandshakeSynSynackMs present
	recSynackAck                // HandshakeSynackAckMs present
	recSACK                     // SACKPermitted
	recSawStart                 // SawStart
	recSawEnd                   // SawEnd
	recBoundary                 // BoundaryOnly
	recRTT                      // HandshakeRTTMs present
	recClientWScale             // ClientWScale present
	recServerWScale             // ServerWScale present
	recClientMSS                // ClientMSS present
	recServerMSS                // ServerMSS present
	recStateOther   = 0xff      // conn_state byte: a string follows
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
func AppendConn(e *pdu.Enc, iface uint16, r *observe.TCPConnection) { appendConn(e, iface, r, nil) }

// AppendConn is the package's AppendConn for a row t is passing its emit
// now, unchanged: that row's addresses are written from the netip.Addr
// its text was made of, not parsed back from the text (issue 14: ~3.5
// instructions a packet of the 5M corpus, a row being 2 canonicalIPv4 of
// ~110 each; as rtt's Tracker.AppendSample). The bytes are AppendConn's:
// pdu.Enc.AddrString writes the canonical literal pdu.Arena.Addr made
// (netip.Addr.String; "" for the zero Addr) as Enc.Addr writes the
// address, and a connection's addresses, made from its key's bytes,
// carry no zone. Any other row takes AppendConn's path.
func (t *Tracker) AppendConn(e *pdu.Enc, iface uint16, r *observe.TCPConnection) {
	if r != t.cur {
		appendConn(e, iface, r, nil)
		return
	}
	appendConn(e, iface, r, &t.curAddrs)
}

// appendConn is AppendConn, taking the addresses from addrs (client,
// server) when it is not nil: they must be those r's text was made of.
func appendConn(e *pdu.Enc, iface uint16, r *observe.TCPConnection, addrs *[2]netip.Addr) {
	e.Uvarint(uint64(iface))
	e.String(r.Class)
	e.ID(pdu.IDConn, r.ConnID)
	var fl uint64
	for _, b := range [...]struct {
		set bool
		bit uint64
	}{
		{r.HandshakeRTTMs != nil, recRTT}, {r.ClientWScale != nil, recClientWScale}, {r.ServerWScale != nil, recServerWScale},
		{r.ClientMSS != nil, recClientMSS}, {r.ServerMSS != nil, recServerMSS},
	} {
		if b.set {
			fl |= b.bit
		}
	}
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
	e.Uvarint(fl)
	if addrs != nil {
		e.Addr(addrs[0])
		e.Uvarint(uint64(r.ClientPort))
		e.Addr(addrs[1])
		e.Uvarint(uint64(r.ServerPort))
	} else {
		e.AddrPort(r.ClientAddr, r.ClientPort)
		e.AddrPort(r.ServerAddr, r.ServerPort)
	}
	e.Times(r.StartTime, r.EndTime)
	if r.HandshakeSynSynackMs != nil {
		e.Varint(msToNs(*r.HandshakeSynSynackMs))
	}
	if r.HandshakeSynackAckMs != nil {
		e.Varint(msToNs(*r.HandshakeSynackAckMs))
	}
	if r.HandshakeRTTMs != nil {
		e.Varint(msToNs(*r.HandshakeRTTMs))
	}
	for _, v := range [...]uint64{
		r.ClientPayloadBytes, r.ClientMissingBytes, r.ClientPackets, r.ClientRetransmissions, r.ClientOutOfOrder, r.ClientZeroWindows,
		r.ClientKeepalives, r.ClientZeroWindowProbes, r.ClientZeekRetransmissions, r.ClientStraySYNs,
	} {
		e.Uvarint(v)
	}
	appendOpts(e, r.ClientWScale, r.ClientMSS)
	for _, v := range [...]uint64{
		r.ServerPayloadBytes, r.ServerMissingBytes, r.ServerPackets, r.ServerRetransmissions, r.ServerOutOfOrder, r.ServerZeroWindows,
		r.ServerKeepalives, r.ServerZeroWindowProbes, r.ServerZeekRetransmissions, r.ServerStraySYNs,
	} {
		e.Uvarint(v)
	}
	appendOpts(e, r.ServerWScale, r.ServerMSS)
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
	iface = d.Uint16()
	r.Class = d.String()
	r.ConnID = d.Uvarint()
	fl := d.Uvarint()
	r.SACKPermitted = fl&recSACK != 0
	r.SawStart = fl&recSawStart != 0
	r.SawEnd = fl&recSawEnd != 0
	r.BoundaryOnly = fl&recBoundary != 0
	r.ClientAddr, r.ClientPort = d.AddrPort()
	r.ServerAddr, r.ServerPort = d.AddrPort()
	r.StartTime, r.EndTime = d.Times()
	r.DurationS = float64(r.EndTime-r.StartTime) / 1e9
	if fl&recSynSynack != 0 {
		r.HandshakeSynSynackMs = decodeMs(d)
	}
	if fl&recSynackAck != 0 {
		r.HandshakeSynackAckMs = decodeMs(d)
	}
	if fl&recRTT != 0 {
		r.HandshakeRTTMs = decodeMs(d)
	}
	for _, p := range [...]*uint64{
		&r.ClientPayloadBytes, &r.ClientMissingBytes, &r.ClientPackets, &r.ClientRetransmissions, &r.ClientOutOfOrder, &r.ClientZeroWindows,
		&r.ClientKeepalives, &r.ClientZeroWindowProbes, &r.ClientZeekRetransmissions, &r.ClientStraySYNs,
	} {
		*p = d.Uvarint()
	}
	r.ClientWScale, r.ClientMSS = decodeOpts(d, fl&recClientWScale != 0, fl&recClientMSS != 0)
	for _, p := range [...]*uint64{
		&r.ServerPayloadBytes, &r.ServerMissingBytes, &r.ServerPackets, &r.ServerRetransmissions, &r.ServerOutOfOrder, &r.ServerZeroWindows,
		&r.ServerKeepalives, &r.ServerZeroWindowProbes, &r.ServerZeekRetransmissions, &r.ServerStraySYNs,
	} {
		*p = d.Uvarint()
	}
	r.ServerWScale, r.ServerMSS = decodeOpts(d, fl&recServerWScale != 0, fl&recServerMSS != 0)
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

// appendOpts writes a side's window scale (zig-zag) and MSS when present.
func appendOpts(e *pdu.Enc, wscale *int16, mss *uint16) {
	if wscale != nil {
		e.Varint(int64(*wscale))
	}
	if mss != nil {
		e.Uvarint(uint64(*mss))
	}
}

// decodeOpts reads what appendOpts wrote (present per the flags).
func decodeOpts(d *pdu.Dec, hasWScale, hasMSS bool) (wscale *int16, mss *uint16) {
	if hasWScale {
		v := d.Varint()
		if v < math.MinInt16 || v > math.MaxInt16 {
			corrupt(d)
		}
		wscale = d.A.Int16(int16(v))
	}
	if hasMSS {
		v := d.Uvarint()
		if v > math.MaxUint16 {
			corrupt(d)
		}
		mss = d.A.Uint16(uint16(v))
	}
	return wscale, mss
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
	return d.A.Float(float64(ns) / 1e6)
}
