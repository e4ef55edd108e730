package tcpconn

// maxHoles bounds the sequence holes remembered per direction (1 KiB).
// When a new hole does not fit, the holes the peer has acknowledged past
// are settled: the receiver has their bytes, so no segment will fill them
// (a capture drop), and their size joins the missing bytes for good. When
// none is, the lowest hole is given up (Stats.HolesGivenUp): its bytes
// stay missing even if a retransmission fills it later, which then counts
// as a retransmission only. Merging the two closest holes instead (up to
// 2026-12) counted the seen bytes between them as missing: 108 MB of
// 1.45 MB at 1 % capture loss over 100,000 segments.
const maxHoles = 64

// span is a half-open range [lo, hi) of relative sequence positions.
type span struct{ lo, hi int64 }

// side is the sequence-space and Wireshark-style analysis state of one
// direction of a connection. Positions are 64-bit and relative to base:
// position 0 is the SYN (or, without a SYN, the byte before the first one
// seen), so that the first payload byte is position 1 as in tshark's
// relative sequence numbers.
//
// Its first cache line holds what a segment reads or writes of its
// sender's side and of its peer's (issue 14; TestConnLayout); the rest
// is touched by the handshake, holes, rare segments (retransmissions,
// zero windows, boundary-only, one-way captures) and the row. A side is
// four lines, so that both sides of a conn start on a line.
type side struct {
	// line 0
	high       int64  // highest sequence-space end seen (exclusive), zero-window probes included
	ackHigh    int64  // highest position acknowledged by the peer (0: none)
	next       int64  // Wireshark's nextseq: high without the zero-window probes
	nextNs     int64  // capture time next last advanced (Wireshark's nextseqtime)
	lastAckNs  int64  // timer clock of lastAck
	base       uint32 // raw sequence number of position 0
	lastAck    uint32 // last ACK number this side sent (Wireshark tcp.analysis state)
	window     uint16 // last raw window this side advertised
	dupAcks    uint8  // consecutive duplicate ACKs this side sent, up to 255 (only >= 2 matters)
	based      bool   // base is known (this side sent a segment)
	sawSYN     bool   // base is this side's ISN
	placed     bool   // a segment other than a RST placed this side's stream (base is not a guess from a RST)
	fin        bool   // a FIN was seen
	rst        bool   // a RST was seen from this side
	hasLastAck bool
	hasWindow  bool

	// cold
	start   int64  // position of the first payload byte (1, or lower for midstream)
	finPos  int64  // position of the FIN flag (after the FIN segment's data)
	holes   []span // sequence ranges not seen, sorted, disjoint
	settled int64  // bytes of the holes taken out of holes when maxHoles were open
	givenUp uint64 // of those, holes not acknowledged past (Stats.HolesGivenUp)
	bEnd    uint32 // boundary-only: FIN end or RST seq, relative to base
	bAck    uint32 // boundary-only: highest ACK of this side's data in the peer's FIN/RST

	// line 2: boundary and wscale, what conn.init writes, together
	boundary bool // boundary-only positions (32-bit, from base)
	bHasEnd  bool
	bHasAck  bool
	// A side whose segments are never seen (a one-way capture) is known
	// from the peer's ACKs only, as Zeek's init_peer does: its ISN is the
	// first ACK number - 1 (acked set), its highest position acknowledged
	// ackedHigh (see ackedUnseen).
	acked     bool
	ackedBase uint32
	ackedHigh int64
	wscale    int16
	mss       uint16
	sackPerm  bool
	synOpts   bool // options taken from this side's SYN
	// Counters for the row (packets: conn.packets).
	retrans, ooo, zeroWin uint64
	keepAlives, zwProbes  uint64 // tcp.analysis.keep_alive, tcp.analysis.zero_window_probe
	straySYNs             uint64 // SYNs with another ISN that did not start a new connection (ignored)
	// alts are the SYN-ACKs with other ISNs seen while this side had sent
	// nothing after its first one (nil until one comes): the connection
	// follows one of them instead when the client acknowledges it
	// (conn.followAcked).
	alts *altSynAcks
	zc   zeekCold // Zeek's endpoint state not needed by every segment
	_    [8]byte  // 256 bytes: four lines
}

// maxAltSynAcks bounds the other ISNs a server side remembers before its
// first data: a SYN-ACK with a further ISN is counted as a stray and never
// followed.
const maxAltSynAcks = 3

// altSynAck is the first SYN-ACK of one other ISN (n of them seen, the
// first at at, acknowledging ack; the first since the client's last SYN
// at mru when hasMru).
type altSynAck struct {
	isn, ack, n uint32
	at, mru     instant
	hasMru      bool
}

// altSynAcks are a side's SYN-ACKs with other ISNs, in order of arrival.
type altSynAcks struct {
	a [maxAltSynAcks]altSynAck
	n int
}

// note remembers a SYN-ACK with another ISN: the first of each ISN keeps
// its time (a retransmission only counts), and so does the first since the
// client's last SYN when afterSyn (the client sent a SYN and no handshake
// ACK yet).
func (x *altSynAcks) note(isn, ack uint32, at instant, afterSyn bool) {
	for i := range x.a[:x.n] {
		if a := &x.a[i]; a.isn == isn {
			a.n++
			if afterSyn && !a.hasMru {
				a.mru, a.hasMru = at, true
			}
			return
		}
	}
	if x.n < len(x.a) {
		x.a[x.n] = altSynAck{isn: isn, ack: ack, n: 1, at: at, mru: at, hasMru: afterSyn}
		x.n++
	}
}

// sent forgets the SYN-ACKs since the client's last SYN: it sent another
// (x may be nil).
func (x *altSynAcks) sent() {
	if x == nil {
		return
	}
	for i := range x.a[:x.n] {
		x.a[i].hasMru = false
	}
}

// acked returns the SYN-ACK whose ISN ack acknowledges (ISN+1), or nil.
func (x *altSynAcks) acked(ack uint32) *altSynAck {
	for i := range x.a[:x.n] {
		if x.a[i].isn+1 == ack {
			return &x.a[i]
		}
	}
	return nil
}

// pos unwraps a 32-bit sequence number to a position, against the highest
// position seen or acknowledged: any 32-bit step of less than 2^31 forward
// or backward is taken literally, so holes of up to 2 GiB between two seen
// segments (or ACKs) and transfers of any size are followed.
func (s *side) pos(seq uint32) int64 {
	ref := s.high
	if s.ackHigh > ref {
		ref = s.ackHigh
	}
	return ref + int64(int32(seq-(s.base+uint32(ref))))
}

// rebase moves position 0 to the raw sequence number isn (this side's
// SYN, seen late) and takes the SYN as seen: every position shifts by the
// difference, and the sequence space between the SYN and the first byte
// seen is a hole.
func (s *side) rebase(isn uint32) {
	s.sawSYN = true
	d := int64(int32(s.base - isn))
	if d == 0 {
		return
	}
	s.base = isn
	s.start += d
	s.high += d
	s.next += d
	if s.ackHigh > 0 {
		s.ackHigh += d
	}
	s.finPos += d
	for i := range s.holes {
		s.holes[i].lo += d
		s.holes[i].hi += d
	}
	if s.start > 1 {
		s.addHole(1, s.start)
		s.start = 1
	}
}

// addHole records [lo, hi) as not seen.
func (s *side) addHole(lo, hi int64) {
	if hi <= lo {
		return
	}
	if len(s.holes) == maxHoles {
		s.settle()
	}
	i := len(s.holes)
	for i > 0 && s.holes[i-1].lo > lo {
		i--
	}
	if s.holes == nil {
		s.holes = make([]span, 0, 8)
	}
	s.holes = append(s.holes, span{})
	copy(s.holes[i+1:], s.holes[i:])
	s.holes[i] = span{lo, hi}
}

// settle makes room in a full hole list (maxHoles): it takes out every
// hole the peer acknowledged past, or else the lowest, adding their bytes
// to settled.
func (s *side) settle() {
	n := 0
	for s.ackHigh > 0 && n < len(s.holes) && s.holes[n].hi <= s.ackHigh { // 0: no ACK seen
		n++
	}
	if n == 0 {
		n = 1
		s.givenUp++
	}
	for _, h := range s.holes[:n] {
		s.settled += h.hi - h.lo
	}
	s.holes = append(s.holes[:0], s.holes[n:]...)
}

// fill removes [lo, hi) from the holes and reports how many bytes of it
// were in a hole (seen for the first time).
func (s *side) fill(lo, hi int64) int64 {
	var filled int64
	for i := 0; i < len(s.holes) && s.holes[i].lo < hi; {
		h := s.holes[i]
		a, b := max(lo, h.lo), min(hi, h.hi)
		if a >= b {
			i++
			continue
		}
		filled += b - a
		switch {
		case a == h.lo && b == h.hi: // whole hole filled
			s.holes = append(s.holes[:i], s.holes[i+1:]...)
			continue
		case a == h.lo:
			s.holes[i].lo = b
		case b == h.hi:
			s.holes[i].hi = a
		default: // split: [lo, hi) lies inside this hole, so in no other
			s.holes[i].hi = a
			s.addHole(b, h.hi)
			return filled
		}
		i++
	}
	return filled
}

// ackedUnseen follows the peer's ACK number ack for a side none of whose
// segments was seen (not based): Zeek's init_peer takes the first one - 1
// as the side's ISN (exact when it is the SYN-ACK's), later ones advance
// its highest position by steps of less than 2^31 (RFC 1982 order); a
// RST's ACK sets the ISN only (Zeek trusts no ACK of a RST further).
func (s *side) ackedUnseen(ack uint32, rst bool) {
	switch {
	case !s.acked:
		s.acked, s.ackedBase, s.ackedHigh = true, ack-1, 1
	case rst:
	default:
		if a := s.ackedHigh + int64(int32(ack-(s.ackedBase+uint32(s.ackedHigh)))); a > s.ackedHigh {
			s.ackedHigh = a
		}
	}
}

// missing returns the sequence space never seen: holes, settled holes, and
// acknowledged bytes beyond the highest segment seen (all of them for a
// side never seen).
func (s *side) missing() uint64 {
	if s.boundary {
		return 0
	}
	if !s.based {
		return s.ackedPayload()
	}
	m := uint64(s.settled)
	for _, h := range s.holes {
		m += uint64(h.hi - h.lo)
	}
	if s.ackHigh > s.high && s.high > 0 {
		m += uint64(s.ackHigh - s.high)
	}
	return m
}

// payload returns the payload bytes sent, from sequence numbers: the
// highest position reached (seen or acknowledged) minus the first payload
// position, without the FIN's sequence number. In boundary-only mode it is
// the FIN end (or RST sequence number) minus the ISN minus 1, modulo 2^32.
func (s *side) payload() uint64 {
	if s.boundary {
		switch {
		case !s.sawSYN:
			return 0
		case s.bHasEnd:
			return uint64(max(s.bEnd, 1) - 1)
		case s.bHasAck:
			return uint64(max(s.bAck, 1) - 1)
		}
		return 0
	}
	if !s.based {
		return s.ackedPayload()
	}
	end := max(s.high, s.ackHigh)
	p := end - s.start
	if s.fin && s.finPos < end {
		p--
	}
	return uint64(max(p, 0))
}

// ackedPayload is the payload of a side never seen: the bytes the peer
// acknowledged after its first ACK (Zeek's Size() of an endpoint known
// from init_peer; a FIN acknowledged counts 1, as for any FIN not seen).
func (s *side) ackedPayload() uint64 {
	if !s.acked {
		return 0
	}
	return uint64(s.ackedHigh - 1)
}
