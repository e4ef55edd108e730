package pdu

// Long retry mode (design 1.5): entered when a PDU exhausts its retries,
// left at the first acknowledgement; PDUs older than the final timeout are
// destroyed, except the permanent ones and the break border.

import (
	"fmt"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

func (s *Sender) destroyable(p *pending) bool {
	return s.cfg.FinalTimeoutNs > 0 && !p.border && !p.probe && !Permanent(p.typ)
}

// expire handles an acknowledgement timeout.
func (s *Sender) expire(p *pending) {
	switch {
	case s.long && s.destroyable(p) && pkt.SubNs(s.clock, p.buildNs) >= s.cfg.FinalTimeoutNs:
		s.destroy(p)
	case !s.long && s.cfg.MaxRetries > 0 && p.round > s.cfg.MaxRetries:
		s.enterLong(p)
	default:
		s.retry.push(p)
	}
}

// enterLong starts long retry mode because p exhausted its retries.
func (s *Sender) enterLong(p *pending) {
	now := s.clock
	s.long, s.longSinceNs = true, now
	s.lostPDUs, s.lostRecords, s.lostPerType = 0, 0, [typeLimit]uint64{}
	s.stats.LongRetryEntries++
	p.probe = true
	s.keep(p)
	border := 0
	if s.cfg.BreakBorderNs > 0 {
		for _, q := range s.unacked {
			if q != p && !Permanent(q.typ) && !q.border && q.buildNs >= pkt.SubNs(now, s.cfg.BreakBorderNs) {
				q.border = true
				s.keep(q)
				border++
			}
		}
	}
	s.stats.BreakBorder += uint64(border)
	for len(s.wall.items) > 0 { // timed out, waiting for wall time: timers again
		s.timers.push(s.wall.remove(len(s.wall.items) - 1))
	}
	for _, q := range s.timers.items { // the others slow down to the maximum timeout
		q.deadline = max(q.deadline, pkt.AddNs(q.lastSendNs, s.maxTimeoutNs)) // (later if moved to the end of a silence)
		if s.destroyable(q) {
			q.deadline = min(q.deadline, pkt.AddNs(q.buildNs, s.cfg.FinalTimeoutNs))
		}
	}
	s.timers.init()
	s.retry.push(p)
	s.event(SevWarning, EventLongRetryEnter, fmt.Sprintf("%sPDU %d (%s) unacknowledged after %s: long retry mode, "+pkt.Nouns(len(s.unacked), "%d PDU[s]")+" pending, %d kept as break border (built since %v before), others retried every %v and destroyed after %v",
		s.prefix(), p.id, p.typ, s.exhausted(p), len(s.unacked), border,
		time.Duration(s.cfg.BreakBorderNs), time.Duration(s.maxTimeoutNs), time.Duration(s.cfg.FinalTimeoutNs)))
}

// exhausted says the transmissions of p's round of retries and the time
// they took, then, when an earlier long retry mode had restarted its
// retries, its transmissions in all since its first and the time since:
// each long_retry_enter event's own figures.
func (s *Sender) exhausted(p *pending) string {
	round := fmt.Sprintf(pkt.Nouns(p.round, "%d transmission[s] over %v"), p.round, time.Duration(pkt.AddNs(s.firstWaitSpan(p), pkt.SubNs(s.clock, p.lastSendNs))))
	if p.sends == p.round {
		return round
	}
	return fmt.Sprintf("%s since its retries restarted (%d in all over %v)", round, p.sends, time.Duration(pkt.SubNs(s.clock, p.firstNs)))
}

// keep rewrites the frame of p, a PDU the sender will retry however old it
// gets, with FlagKept (re-tagged): keyed collectors then take it past
// their age bound (Receiver.MaxAgeNs). The old frame is left to the
// garbage collector: a link may still read it.
func (s *Sender) keep(p *pending) {
	h, payload, err := ParseFrame(p.frame)
	if err != nil || h.Flags&FlagKept != 0 {
		return
	}
	h.Flags = h.Flags&^FlagHMAC | FlagKept
	p.frame = appendFrame(make([]byte, 0, len(p.frame)), h, payload, s.key)
}

// MaxFrameAgeNs is the age bound a collector applies to the frames of a
// probe channel regulated by c (Receiver.MaxAgeNs): how much older than
// the newest frame of its run a frame the sender does not keep (FlagKept,
// permanent types) can be when it is sent. In long retry mode such a PDU
// is destroyed once FinalTimeoutNs old; the first acknowledgement after
// the break gives the survivors a fresh retry budget, at most the
// exhaustion span (the sum of the MaxRetries+1 timeouts: 71.125 s by
// default); one more span covers the sending slots and the expiry. So
// FinalTimeoutNs + 2 x exhaustion span: 742.25 s by default. 0 (no bound)
// when the sender never destroys (MaxRetries or FinalTimeoutNs 0) or the
// span is past a year.
func MaxFrameAgeNs(c SenderConfig) int64 {
	if c.MaxRetries <= 0 || c.FinalTimeoutNs <= 0 || c.MaxRetries > 1000 {
		return 0
	}
	s := Sender{cfg: c, mult: c.TimeoutMultiplier}
	if !(s.mult >= 1 && s.mult <= 100) {
		s.mult = 1
	}
	s.cfg.TimeoutIncrementNs = max(c.TimeoutIncrementNs, 0)
	w := c.InitialTimeoutNs
	if w <= 0 {
		w = 2e9
	}
	var span int64
	w = min(w, maxTimeout)
	for range c.MaxRetries + 1 {
		span = pkt.AddNs(span, w)
		w = s.grow(w)
	}
	if span > 365*24*3600e9 {
		return 0
	}
	return pkt.AddNs(c.FinalTimeoutNs, 2*span)
}

// firstWaitSpan returns the time from p's first transmission to its last
// one: the sum of the timeouts of its round but the last.
func (s *Sender) firstWaitSpan(p *pending) int64 {
	var span int64
	w := s.initialNs
	for i := 1; i < p.round; i++ {
		if w == maxTimeout { // no more growth: the rest at once
			return pkt.AddNs(span, mulNs(w, int64(p.round-i)))
		}
		span = pkt.AddNs(span, w)
		w = s.grow(w)
	}
	return span
}

// leaveLong ends long retry mode on the acknowledgement of PDU id (of type
// typ, 0 if no longer pending): nominal behaviour again, every pending PDU
// due now with a fresh retry budget.
func (s *Sender) leaveLong(id uint32, typ Type) {
	now := s.clock
	s.long = false
	s.stats.LongRetryNs = pkt.AddNs(s.stats.LongRetryNs, pkt.SubNs(now, s.longSinceNs))
	for len(s.timers.items) > 0 {
		s.retry.push(s.timers.remove(len(s.timers.items) - 1))
	}
	for len(s.wall.items) > 0 {
		s.retry.push(s.wall.remove(len(s.wall.items) - 1))
	}
	for _, q := range s.unacked {
		q.probe, q.round = false, 0
	}
	var lost strings.Builder
	for t, n := range s.lostPerType {
		if n > 0 {
			fmt.Fprintf(&lost, " %s:%d", Type(t), n)
		}
	}
	what := "no longer pending"
	if typ != 0 {
		what = typ.String()
	}
	msg := fmt.Sprintf("%sack of PDU %d (%s) after %v in long retry mode: nominal mode, "+pkt.Nouns(len(s.unacked), "%d PDU[s]")+" pending", s.prefix(), id, what, time.Duration(pkt.SubNs(now, s.longSinceNs)), len(s.unacked))
	if s.lostPDUs > 0 {
		msg += fmt.Sprintf(pkt.Nouns(s.lostPDUs, ", %d PDU[s] (")+pkt.Nouns(s.lostRecords, "%d record[s])")+" destroyed by the final timeout (PDUs per type:%s)", s.lostPDUs, s.lostRecords, lost.String())
	}
	s.eventN(SevInfo, EventLongRetryLeave, msg, s.lostRecords) // the break's records destroyed (pdu_destroyed said the first, count 0)
}

// EndLong ends long retry mode, if the channel is in it, at the end of
// the run (probe time nowNs): the enter event gets its leave
// (EventLongRetryLeave) however the run ends, here with the PDUs still
// pending, unacknowledged. A probe calls it once it stops lingering for
// acknowledgements.
func (s *Sender) EndLong(nowNs int64) {
	s.advance(nowNs)
	if !s.long {
		s.deliver()
		return
	}
	now := s.clock
	s.long = false
	s.stats.LongRetryNs = pkt.AddNs(s.stats.LongRetryNs, pkt.SubNs(now, s.longSinceNs))
	msg := fmt.Sprintf("%sthe run ends after %v in long retry mode: "+pkt.Nouns(s.Pending(), "%d PDU[s]")+" pending, unacknowledged", s.prefix(), time.Duration(pkt.SubNs(now, s.longSinceNs)), s.Pending())
	if s.lostPDUs > 0 {
		msg += fmt.Sprintf(pkt.Nouns(s.lostPDUs, ", %d PDU[s] (")+pkt.Nouns(s.lostRecords, "%d record[s])")+" destroyed by the final timeout", s.lostPDUs, s.lostRecords)
	}
	s.eventN(SevWarning, EventLongRetryLeave, msg, s.lostRecords)
	s.deliver()
}

// Building reports whether a PDU is under construction (records not
// built into a PDU yet: Flush or MaxBuildNs builds it).
func (s *Sender) Building() bool { return s.building() }

// destroy gives up p (final timeout in long retry mode).
func (s *Sender) destroy(p *pending) {
	delete(s.unacked, p.id)
	s.destroyed(p)
	s.lostPDUs++
	s.lostRecords += p.records
	s.lostPerType[p.typ]++
	if s.onDestroy != nil {
		if _, payload, err := ParseFrame(p.frame); err == nil {
			s.onDestroy(p.typ, payload)
		}
	}
	if s.lostPDUs == 1 {
		s.event(SevError, EventDestroyed, fmt.Sprintf("%sdestroying PDUs older than the final timeout %v in long retry mode, first PDU %d (%s, "+pkt.Nouns(p.records, "%d record[s]")+", built %v ago); totals come when the collector answers again",
			s.prefix(), time.Duration(s.cfg.FinalTimeoutNs), p.id, p.typ, p.records, time.Duration(pkt.SubNs(s.clock, p.buildNs))))
	}
	s.release(p)
}
