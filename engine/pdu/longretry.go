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
	border := 0
	if s.cfg.BreakBorderNs > 0 {
		for _, q := range s.unacked {
			if q != p && !Permanent(q.typ) && !q.border && q.buildNs >= pkt.SubNs(now, s.cfg.BreakBorderNs) {
				q.border = true
				border++
			}
		}
	}
	s.stats.BreakBorder += uint64(border)
	for _, q := range s.timers.items { // the others slow down to the maximum timeout
		q.deadline = max(q.deadline, pkt.AddNs(q.lastSendNs, s.maxTimeoutNs)) // (later if moved to the end of a silence)
		if s.destroyable(q) {
			q.deadline = min(q.deadline, pkt.AddNs(q.buildNs, s.cfg.FinalTimeoutNs))
		}
	}
	s.timers.init()
	s.retry.push(p)
	s.event(SevWarning, EventLongRetryEnter, fmt.Sprintf("%sPDU %d (%s) unacknowledged after %d transmissions over %v: long retry mode, %d PDUs pending, %d kept as break border (built since %v before), others retried every %v and destroyed after %v",
		s.prefix(), p.id, p.typ, p.sends, time.Duration(pkt.AddNs(s.firstWaitSpan(p), pkt.SubNs(now, p.lastSendNs))), len(s.unacked), border,
		time.Duration(s.cfg.BreakBorderNs), time.Duration(s.maxTimeoutNs), time.Duration(s.cfg.FinalTimeoutNs)))
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
	msg := fmt.Sprintf("%sack of PDU %d (%s) after %v in long retry mode: nominal mode, %d PDUs pending", s.prefix(), id, what, time.Duration(pkt.SubNs(now, s.longSinceNs)), len(s.unacked))
	if s.lostPDUs > 0 {
		msg += fmt.Sprintf(", %d PDUs (%d records) destroyed by the final timeout (PDUs per type:%s)", s.lostPDUs, s.lostRecords, lost.String())
	}
	s.event(SevInfo, EventLongRetryLeave, msg)
}

// destroy gives up p (final timeout in long retry mode).
func (s *Sender) destroy(p *pending) {
	delete(s.unacked, p.id)
	s.stats.Destroyed[p.typ]++
	s.stats.DestroyedRecords[p.typ] += p.records
	s.lostPDUs++
	s.lostRecords += p.records
	s.lostPerType[p.typ]++
	if s.onDestroy != nil {
		if _, payload, err := ParseFrame(p.frame); err == nil {
			s.onDestroy(p.typ, payload)
		}
	}
	if s.lostPDUs == 1 {
		s.event(SevError, EventDestroyed, fmt.Sprintf("%sdestroying PDUs older than the final timeout %v in long retry mode, first PDU %d (%s, %d records, built %v ago); totals come when the collector answers again",
			s.prefix(), time.Duration(s.cfg.FinalTimeoutNs), p.id, p.typ, p.records, time.Duration(pkt.SubNs(s.clock, p.buildNs))))
	}
	s.release(p)
}
