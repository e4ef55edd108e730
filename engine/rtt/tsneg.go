package rtt

import "github.com/tmonbench/tmonbench/engine/dissect"

// Timestamps negotiation (RFC 7323 §3.2): a connection uses TSopts only
// when both its SYN and its SYN-ACK carry one ("a TCP MAY send the TSopt
// in a <SYN,ACK> segment only if it received a TSopt in the initial <SYN>
// segment"). A followed connection whose SYN or SYN-ACK lacks the option
// is marked (conn.noTS); but a SYN without the option on a tuple not
// followed creates no connection (following every connection without
// timestamps would fill MaxConns with them), and the SYN-ACK that creates
// it, carrying the option, must not turn timestamps on. noTSSyns remembers
// such SYNs until their handshake is over.

// noTSSyn is a SYN without the TSopt of a tuple not followed: the client's
// ISN, and the timer clock of the SYN.
type noTSSyn struct {
	isn uint32
	clk int64
}

// noTSSyns remembers the SYNs without the TSopt in two generations of at
// most MaxPending/2 entries each: when the current one is full the older
// one is cleared and becomes the current one, so a SYN is remembered for
// at least MaxPending/2 later such SYNs (a handshake lasts far less). Its
// maps are cleared, never deleted from: a map's deletions make its inserts
// allocate now and then (TestZeroAllocs), and clear keeps its room.
type noTSSyns struct {
	cur, old map[connKey]noTSSyn
}

// noteNoTS remembers d, a SYN without the TSopt of the tuple k (not
// followed).
func (t *Tracker) noteNoTS(k connKey, d *dissect.Dissection) {
	s := &t.noTS
	if s.cur == nil {
		s.cur, s.old = make(map[connKey]noTSSyn), make(map[connKey]noTSSyn)
	}
	if _, had := s.cur[k]; !had && len(s.cur) >= max(t.cfg.MaxPending/2, 1) {
		clear(s.old)
		s.cur, s.old = s.old, s.cur
	}
	s.cur[k] = noTSSyn{isn: d.Seq, clk: d.Meta.Clock()}
}

// handshakeNoTS reports whether d, a segment with the TSopt that starts
// following the tuple k (not a SYN), belongs to a connection whose SYN
// was seen without the option: a SYN-ACK acknowledging that SYN's ISN, or
// a later segment within ConnIdleNs of it (its SYN-ACK not captured).
func (t *Tracker) handshakeNoTS(k connKey, d *dissect.Dissection) bool {
	s := &t.noTS
	if s.cur == nil {
		return false
	}
	e, ok := s.cur[k]
	if !ok {
		if e, ok = s.old[k]; !ok {
			return false
		}
	}
	if d.TCPFlags&dissect.TCPSyn != 0 {
		return d.Ack == e.isn+1
	}
	return d.Meta.Clock()-e.clk <= t.cfg.ConnIdleNs
}
