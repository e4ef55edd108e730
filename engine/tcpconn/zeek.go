package tcpconn

// This file ports Zeek's TCP endpoint state machine, history letters and
// conn_state codes (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc,
// src/analyzer/protocol/tcp/TCP_Endpoint.cc, scripts/base/protocols/conn/
// main.zeek) so that conn_state and history read as in Zeek's conn.log.

// Endpoint states (Zeek's TCP_ENDPOINT_*).
const (
	stInactive uint8 = iota
	stSynSent
	stSynAckSent
	stPartial
	stEstablished
	stClosed
	stReset
)

// Zeek's history masks; the responder's are shifted 16 bits.
const (
	histSYN      uint32 = 0x1
	histFIN      uint32 = 0x2
	histRST      uint32 = 0x4
	histFINRST   uint32 = 0x8
	histData     uint32 = 0x10
	histACK      uint32 = 0x20
	histMulti    uint32 = 0x40
	histCapacity        = 48 // letters kept; later ones are dropped and counted
)

// tooLargeSeqDelta is Zeek's TOO_LARGE_SEQ_DELTA: SYN and RST sequence
// numbers further than this from the last one are not trusted.
const tooLargeSeqDelta = 1 << 20

// zeekSide is the per-endpoint state Zeek keeps for the state machine and
// the history letters that every segment reads (in the conn's line 1).
type zeekSide struct {
	state, prev uint8
	start, last uint32 // Zeek's StartSeq and LastSeq (32-bit)
}

// zeekCold is the rest of Zeek's per-endpoint state (in the side's cold
// lines): what SYN, FIN, RST, retransmitted and zero-window segments
// touch.
type zeekCold struct {
	lastSYN       uint32 // relative seq of the last SYN, FIN end, RST
	lastFIN       uint32
	lastRST       uint32
	rxmt, rxmtThr uint32 // 'T' letters at 1, 10, 100, ... retransmissions
	win0, win0Thr uint32 // 'W' letters at 1, 10, 100, ... zero windows
	rexmits       uint64 // every retransmission of Zeek's rule (the count behind 'T')
}

func (z *zeekSide) setState(s uint8) {
	if s != z.state {
		z.prev, z.state = z.state, s
	}
}

// history is a connection's Zeek history string being built (the masks
// seen are conn.seen, in the conn's first line).
type history struct {
	n    uint8
	lost bool // a letter did not fit
	b    [histCapacity]byte
}

func (h *history) add(code byte) {
	if int(h.n) < len(h.b) {
		h.b[h.n] = code
		h.n++
		return
	}
	h.lost = true
}

// check adds code the first time mask is seen and reports whether it had
// been seen before (Zeek's Connection::CheckHistory).
func (c *conn) check(mask uint32, code byte) bool {
	if c.seen&mask == 0 {
		c.seen |= mask
		c.hist.add(code)
		return false
	}
	return true
}

// letter returns code for the originator (upper case) or the responder.
func letter(code byte, orig bool) byte {
	if orig {
		return code
	}
	return code + ('a' - 'A')
}

// scaled counts one event and adds its letter at 1, 10, 100, ... events
// (Zeek's Connection::ScaledHistoryEntry with base 10).
func (h *history) scaled(code byte, counter, threshold *uint32) {
	if *threshold == 0 {
		*threshold = 1
	}
	*counter++
	if *counter == *threshold {
		h.add(code)
		if next := *threshold * 10; next <= *threshold {
			*counter = 0
		} else {
			*threshold = next
		}
	}
}

// zeekPacket runs one segment through Zeek's per-endpoint logic in Zeek's
// order: endpoint init, history letters, zero window, last-seq update (the
// 'T' letters), state machine. A stray SYN (another ISN on a connection
// that was not reused, see sequence) does not rebase Zeek's sequence
// numbers either: Zeek does, which is zeek#3313.
func (c *conn) zeekPacket(orig bool, seq, payload uint32, flags uint16, window uint16, stray bool) {
	ep, peer, ec := &c.z[1], &c.z[0], &c.s[1].zc
	if orig {
		ep, peer, ec = &c.z[0], &c.z[1], &c.s[0].zc
	}
	syn, fin, rst, ackf := flags&flagSYN != 0, flags&flagFIN != 0, flags&flagRST != 0, flags&flagACK != 0
	segLen := payload
	if syn {
		segLen++
	}
	if fin {
		segLen++
	}
	if rst {
		segLen -= payload
	}
	end := seq + segLen

	// init_endpoint
	switch {
	case stray:
	case ep.state == stInactive:
		if syn {
			ep.start = seq
		} else {
			ep.start = seq - 1
			end = seq
		}
		ep.last = end
	case ep.state == stSynSent, ep.state == stSynAckSent:
		if syn && seq != ep.start {
			ep.start, ep.last = seq, end
		}
	case ep.state == stEstablished, ep.state == stPartial:
		if syn {
			ep.start, ep.last = seq, end
		}
	case ep.state == stReset:
		if syn && ep.prev == stInactive {
			ep.start, ep.last = seq, end
		}
	}
	rel := seq - ep.start

	// update_history
	h := &c.hist
	shift := uint32(0)
	if !orig {
		shift = 16
	}
	// which of SYN, FIN, RST: none (most segments, tested first), more
	// than one (a bit besides the lowest), or one (issue 14: counting
	// them was ~8 instructions a segment)
	switch m := flags & (flagSYN | flagFIN | flagRST); {
	case m == 0:
		if payload > 0 {
			c.check(histData<<shift, letter('D', orig))
		} else if ackf {
			c.check(histACK<<shift, letter('A', orig))
		}
	case m&(m-1) != 0:
		if fin && rst {
			c.check(histFINRST<<shift, letter('I', orig))
		} else {
			c.check(histMulti<<shift, letter('Q', orig))
		}
	default:
		if syn {
			code := byte('S')
			if ackf {
				code = 'H'
			}
			if c.check(histSYN<<shift, letter(code, orig)) && rel != ec.lastSYN {
				h.add(letter(code, orig))
			}
			ec.lastSYN = rel
		}
		if fin {
			if c.check(histFIN<<shift, letter('F', orig)) && rel+payload != ec.lastFIN {
				h.add(letter('F', orig))
			}
			ec.lastFIN = rel + payload
		}
		if rst {
			if c.check(histRST<<shift, letter('R', orig)) && rel != ec.lastRST {
				h.add(letter('R', orig))
			}
			ec.lastRST = rel
		}
	}

	// update_window: zero windows that matter
	if window == 0 && !rst && peer.state != stClosed && ep.state != stReset {
		h.scaled(letter('W', orig), &ec.win0, &ec.win0Thr)
	}

	// update_last_seq
	delta := int32(seq + segLen - ep.last)
	switch {
	case stray:
	case (syn || rst) && (delta > tooLargeSeqDelta || delta < -tooLargeSeqDelta):
	case fin && ep.last == ep.start+1:
		ep.last = seq + segLen
	case ep.state == stReset:
	case delta > 0:
		ep.last = seq + segLen
	case payload > 0:
		ec.rexmits++
		h.scaled(letter('T', orig), &ec.rxmt, &ec.rxmtThr)
	}

	c.zeekStateMachine(ep, peer, orig, payload, syn, fin, rst, ackf)
}

// zeekStateMachine is Zeek's TCPSessionAdapter::UpdateStateMachine. The
// SYN/SYN-ACK role reversal (Connection::FlipRoles) is not ported: the
// client is fixed when the connection is created (doc.go).
func (c *conn) zeekStateMachine(ep, peer *zeekSide, orig bool, payload uint32, syn, fin, rst, ackf bool) {
	switch ep.state {
	case stInactive:
		if syn {
			if orig {
				if ackf {
					ep.setState(stSynAckSent)
				} else {
					ep.setState(stSynSent)
				}
			} else {
				if peer.state == stSynSent {
					peer.setState(stEstablished)
				}
				ep.setState(stEstablished)
			}
		}
		if fin {
			ep.setState(stClosed)
		}
		if rst {
			ep.setState(stReset)
		}
		if ep.state == stInactive {
			switch {
			case !orig && payload == 0 && c.z[0].state == stSynSent:
				// an ACK of the SYN before the SYN-ACK: not a partial connection
			case ackf && peer.state == stEstablished:
				ep.setState(stEstablished)
			default:
				ep.setState(stPartial)
			}
		}
	case stSynSent, stSynAckSent:
		if fin {
			ep.setState(stClosed)
		}
		if rst {
			ep.setState(stReset)
		}
	case stEstablished, stPartial:
		if syn && ep.state == stPartial && peer.state == stInactive && !ackf {
			ep.setState(stSynSent)
		}
		if fin && !rst {
			ep.setState(stClosed)
			if peer.state == stReset && peer.prev == stClosed {
				peer.setState(stClosed)
			}
		}
		if rst {
			ep.setState(stReset)
		}
	case stClosed:
		if rst && peer.state != stClosed {
			ep.setState(stReset)
		}
	}
}

// Zeek conn_state codes (base/protocols/conn/main.zeek).
const (
	StateS0     = "S0"     // connection attempt seen, no reply
	StateS1     = "S1"     // established, not terminated
	StateSF     = "SF"     // normal establishment and termination
	StateREJ    = "REJ"    // connection attempt rejected
	StateS2     = "S2"     // established, close attempt by originator seen (no reply)
	StateS3     = "S3"     // established, close attempt by responder seen (no reply)
	StateRSTO   = "RSTO"   // established, originator aborted (RST)
	StateRSTR   = "RSTR"   // responder sent a RST
	StateRSTOS0 = "RSTOS0" // originator sent a SYN then a RST, no SYN-ACK seen
	StateRSTRH  = "RSTRH"  // responder sent a SYN-ACK then a RST, no SYN seen
	StateSH     = "SH"     // originator sent a SYN then a FIN, no SYN-ACK seen
	StateSHR    = "SHR"    // responder sent a SYN-ACK then a FIN, no SYN seen
	StateOTH    = "OTH"    // no SYN seen, midstream traffic
)

// connStates lists the codes in the order of their wire code (codec.go).
var connStates = [...]string{StateS0, StateS1, StateSF, StateREJ, StateS2, StateS3,
	StateRSTO, StateRSTR, StateRSTOS0, StateRSTRH, StateSH, StateSHR, StateOTH}

// connState is Zeek's conn_state() for TCP. origBytes and respBytes are the
// payload sizes (Zeek's c$orig$size, c$resp$size).
func connState(os, rs uint8, origBytes, respBytes uint64, hist []byte) string {
	oInactive := os == stInactive || os == stPartial
	rInactive := rs == stInactive || rs == stPartial
	switch {
	case rs == stReset:
		switch {
		case os == stSynSent || os == stSynAckSent || (os == stReset && origBytes == 0 && respBytes == 0):
			return StateREJ
		case oInactive:
			return StateRSTRH
		}
		return StateRSTR
	case os == stReset:
		if rInactive {
			if rstos0(hist) {
				return StateRSTOS0
			}
			return StateOTH
		}
		return StateRSTO
	case rs == stClosed && os == stClosed:
		return StateSF
	case os == stClosed:
		if rInactive {
			return StateSH
		}
		return StateS2
	case rs == stClosed:
		if oInactive {
			return StateSHR
		}
		return StateS3
	case os == stSynSent && rs == stInactive:
		return StateS0
	case os == stEstablished && rs == stEstablished:
		return StateS1
	}
	return StateOTH
}

// rstos0 matches Zeek's /\^?S[^HAFGIQ]*R.*/ against the whole history.
func rstos0(h []byte) bool {
	i := 0
	if i < len(h) && h[i] == '^' {
		i++
	}
	if i >= len(h) || h[i] != 'S' {
		return false
	}
	for i++; i < len(h); i++ {
		switch h[i] {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}
