package pdu

// The Sender's event loop (design 1.5 regulation): build timeouts,
// acknowledgement timeouts and sending slots one MinGapNs apart, processed
// in probe-time order, and the backlog check.

import (
	"fmt"
	"math"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// advance processes every event due up to nowNs, unless called from inside
// the event loop (a synchronous link acknowledging, a send log hook).
func (s *Sender) advance(nowNs int64) {
	if s.inLoop {
		return
	}
	if nowNs < s.wakeNs && (len(s.wall.items) == 0 || !s.wallReady()) { // an empty wall queue without a call (issue 14: Begin and End of every record)
		s.clock = max(s.clock, nowNs)
		return
	}
	s.run(nowNs, false)
}

// Tick advances the channel to probe time nowNs: flushes PDUs older than
// MaxBuildNs, handles expired acknowledgement timeouts, uses the sending
// slots up to nowNs and sends heartbeats. Call it as probe time advances
// (on every packet in replay; at least every MinGapNs, or at NextEventNs,
// in live capture). Earlier times than already seen are taken as the
// latest one.
//
// Before tickDue nothing is due, no PDU waits on the wall clock and no
// event waits for delivery: Tick only moves the clock, inline in the
// caller (the probe ticks on every packet: issue 14, ~17 instructions a
// packet through a call were spent here).
func (s *Sender) Tick(nowNs int64) {
	if nowNs < s.tickDue {
		s.clock = max(s.clock, nowNs)
		return
	}
	s.tick(nowNs)
}

// tick is Tick when something may be due.
func (s *Sender) tick(nowNs int64) {
	if nowNs < s.wakeNs && len(s.wall.items) == 0 && len(s.events) == 0 && !s.inLoop {
		s.clock = max(s.clock, nowNs)
	} else {
		s.advance(nowNs)
		s.deliver()
	}
	s.rearm()
}

// rearm sets tickDue from the state: wakeNs when only events of the loop
// can be due, math.MinInt64 (every Tick goes to tick) while PDUs wait on
// the wall clock (wallReady counts the calls), events wait for delivery
// or the event loop runs. Between two rearms, whatever lowers wakeNs or
// queues an event lowers tickDue with it; what removes work leaves it
// low, which only sends a Tick to tick.
func (s *Sender) rearm() {
	s.tickDue = s.wakeNs
	if len(s.wall.items) > 0 || len(s.events) > 0 || s.inLoop {
		s.tickDue = math.MinInt64
	}
}

// pushEvent queues e for delivery (deliver).
func (s *Sender) pushEvent(e senderEvent) {
	s.events = append(s.events, e)
	s.tickDue = math.MinInt64
}

// wallReady reports whether a PDU timed out in probe time has waited its
// timeout in wall time too (SenderConfig.WallNs). The wall clock is read
// on one call in wallEvery, not per packet: a retry waits at most that
// many more Ticks.
func (s *Sender) wallReady() bool {
	p := s.wall.top()
	if p == nil {
		return false
	}
	s.wallCalls++
	return s.wallCalls%wallEvery == 0 && s.cfg.WallNs() >= p.wallDue
}

// wallEvery is how many Ticks wait between two readings of the wall clock
// while PDUs wait for their timeout in wall time.
const wallEvery = 32

// releaseWall hands the PDUs of the wall queue whose timeout has passed in
// wall time too to expire.
func (s *Sender) releaseWall() {
	if len(s.wall.items) == 0 {
		return
	}
	now := s.cfg.WallNs()
	for p := s.wall.top(); p != nil && p.wallDue <= now; p = s.wall.top() {
		s.expire(s.wall.remove(0))
	}
}

type evKind uint8

const (
	evNone evKind = iota
	evBuild
	evTimer
	evSlot
	evHeartbeat
)

func (s *Sender) slotNs() int64 { return max(pkt.AddNs(s.lastSendNs, s.cfg.MinGapNs), s.clock) }

// buildDueNs is when the PDU under construction bd is due (MaxBuildNs
// after its first record).
func (s *Sender) buildDueNs(bd *building) int64 { return pkt.AddNs(bd.startNs, s.cfg.MaxBuildNs) }

// mulNs returns d*n saturated to the int64 range, for d, n >= 0.
func mulNs(d, n int64) int64 {
	if n != 0 && d > math.MaxInt64/n {
		return math.MaxInt64
	}
	return d * n
}

// nextEvent returns the time and kind of the earliest pending event; ties
// go to build timeouts, then acknowledgement timeouts, then slots. In drain
// mode only never-sent PDUs use the slots and no heartbeat is due.
func (s *Sender) nextEvent(drain bool) (int64, evKind) {
	best, kind := int64(math.MaxInt64), evNone
	for t := range s.build {
		if bd := &s.build[t]; len(bd.enc.B) > 0 && s.buildDueNs(bd) < best {
			best, kind = s.buildDueNs(bd), evBuild
		}
	}
	if p := s.timers.top(); p != nil && p.deadline < best {
		best, kind = p.deadline, evTimer
	}
	if len(s.fresh.items) > 0 || (!drain && len(s.retry.items) > 0) {
		if t := s.slotNs(); t < best {
			best, kind = t, evSlot
		}
	} else if !drain && s.cfg.HeartbeatNs > 0 && s.hasSent {
		if t := pkt.AddNs(s.lastSendNs, s.cfg.HeartbeatNs); t < best {
			best, kind = t, evHeartbeat
		}
	}
	return max(best, s.clock), kind
}

// run is the event loop: it processes events in time order up to untilNs,
// or, in drain mode, until every PDU was sent once.
func (s *Sender) run(untilNs int64, drain bool) {
	s.inLoop = true
	s.tickDue = math.MinInt64
	s.untilNs, s.runRetries = untilNs, 0
	if drain {
		s.untilNs = math.MinInt64 // no silence to catch up with
	}
	s.releaseWall()
	for {
		if drain && len(s.fresh.items) == 0 {
			break
		}
		t, kind := s.nextEvent(drain)
		if kind == evNone || (!drain && t > untilNs) {
			break
		}
		s.clock = t
		s.steps++
		switch kind {
		case evBuild:
			for typ := range s.build {
				if bd := &s.build[typ]; len(bd.enc.B) > 0 && s.buildDueNs(bd) <= t {
					s.flush(Type(typ), t)
				}
			}
		case evTimer:
			p := s.timers.remove(0)
			if s.cfg.WallNs != nil && p.wallDue > s.cfg.WallNs() {
				s.wall.push(p) // its round trip takes wall time: wait for it
				continue
			}
			s.expire(p)
		case evSlot:
			s.sendNext(drain)
		case evHeartbeat:
			s.sendHeartbeat()
			// Across a very long silence (a replayed capture with days
			// between two packets: one sample spans three years) a
			// heartbeat every HeartbeatNs would be millions of frames: past
			// maxHeartbeatRun of them, one more at the end says as much.
			if !drain && pkt.SubNs(untilNs, s.clock) > mulNs(s.cfg.HeartbeatNs, maxHeartbeatRun) {
				s.lastSendNs = pkt.SubNs(untilNs, s.cfg.HeartbeatNs)
			}
		}
	}
	if !drain {
		s.clock = max(s.clock, untilNs)
	}
	s.inLoop = false
	s.wakeNs, _ = s.nextEvent(false)
	s.rearm()
}

// sendNext uses the current slot for the oldest PDU waiting for one.
func (s *Sender) sendNext(drain bool) {
	var p *pending
	f, r := s.fresh.top(), s.retry.top()
	if drain {
		r = nil
	}
	switch {
	case f != nil && (r == nil || f.id < r.id):
		p = s.fresh.remove(0)
		s.checkBacklog()
	case r != nil:
		p = s.retry.remove(0)
	default:
		return
	}
	if s.long && s.destroyable(p) && pkt.SubNs(s.clock, p.buildNs) >= s.cfg.FinalTimeoutNs {
		s.destroy(p)
		return
	}
	s.transmit(p)
}

func (s *Sender) transmit(p *pending) {
	now := s.clock
	p.sends++
	p.round++
	switch {
	case s.long && p.probe:
		p.waitNs = s.initialNs
	case s.long:
		p.waitNs = s.maxTimeoutNs
	case p.round == 1:
		p.waitNs = s.initialNs
	default:
		p.waitNs = s.grow(p.waitNs)
	}
	p.lastSendNs = now
	if p.sends == 1 {
		p.firstNs = now
	}
	p.deadline = pkt.AddNs(now, p.waitNs)
	if s.cfg.WallNs != nil {
		p.wallDue = pkt.AddNs(s.cfg.WallNs(), p.waitNs)
	}
	if p.sends > 1 {
		s.runRetries++
		if s.wallKeepNs > 0 && pkt.SubNs(now, p.buildNs) > s.wallKeepNs {
			s.keep(p)
		}
	}
	// Across a silence of more than maxRetryRun timeouts (a capture that
	// jumps years ahead, a link down over a long gap), or once the call
	// has retransmitted maxRunRetries times, the next retry is the one at
	// the end of the silence: the work of one call stays bounded, as for
	// heartbeats (a deadline saturated at math.MaxInt64 never expires).
	if pkt.SubNs(s.untilNs, now) > mulNs(p.waitNs, maxRetryRun) || (s.runRetries >= maxRunRetries && s.untilNs > now) {
		p.deadline = max(p.deadline, s.untilNs)
	}
	if s.long && s.destroyable(p) {
		p.deadline = min(p.deadline, pkt.AddNs(p.buildNs, s.cfg.FinalTimeoutNs))
	}
	s.timers.push(p)
	s.lastSendNs, s.hasSent = now, true
	n := uint64(len(p.frame))
	if p.sends == 1 {
		s.stats.Bytes[p.typ] += n
	} else {
		s.stats.Retransmits++
		s.stats.RetransmitsByType[p.typ]++
		s.stats.RetransBytes += n
	}
	s.stats.TotalBytesOut += n
	if s.cfg.OnSend != nil {
		s.cfg.OnSend(SendRecord{TimeNs: now, ID: p.id, Type: p.typ, BuildNs: p.buildNs, Records: p.records, Try: p.sends, Long: s.long, Bytes: len(p.frame)})
	}
	s.sendFrame(p.frame) // p may be acknowledged and recycled from here on
}

func (s *Sender) sendFrame(frame []byte) {
	if s.tlink != nil {
		s.tlink.SendAt(s.clock, frame)
	} else {
		s.link.Send(frame)
	}
}

// checkBacklog reports when the PDUs waiting for their first slot would
// take more than BacklogNs to leave, and when they are back under half of
// it (design 1.5: the probe must not silently fall behind).
func (s *Sender) checkBacklog() {
	n := len(s.fresh.items)
	s.stats.MaxQueued = max(s.stats.MaxQueued, n)
	if s.cfg.MinGapNs <= 0 {
		return
	}
	wait := mulNs(s.cfg.MinGapNs, int64(n))
	switch {
	case !s.backlogged && wait > s.cfg.BacklogNs:
		s.backlogged, s.backlogSince = true, s.clock
		s.stats.BacklogEntries++
		rate := float64(s.cfg.MaxPDUBytes) / (float64(s.cfg.MinGapNs) / 1e9)
		s.event(SevWarning, EventBacklog, fmt.Sprintf("%s"+pkt.Nouns(n, "%d PDU[s] wait[s|] for [its|their] first sending slot")+" (%v at one per %v, at most %.0f kB/s): observations are produced faster than the regulation sends them; raise max_pdu_bytes or lower min_gap_ms",
			s.prefix(), n, time.Duration(wait), time.Duration(s.cfg.MinGapNs), rate/1e3))
	case s.backlogged && wait <= s.cfg.BacklogNs/2:
		s.backlogged = false
		s.stats.BacklogTimeNs = pkt.AddNs(s.stats.BacklogTimeNs, pkt.SubNs(s.clock, s.backlogSince))
		s.event(SevInfo, EventBacklogCleared, fmt.Sprintf("%sbacklog cleared after %v: "+pkt.Nouns(n, "%d PDU[s] wait[s|]")+" for a slot", s.prefix(), time.Duration(pkt.SubNs(s.clock, s.backlogSince)), n))
	}
}

// clockOnly is advance's common case, inline in Begin and End: nothing
// due before wakeNs, no PDU waiting on the wall clock, outside the event
// loop, only the clock moves. It reports whether that was all; otherwise
// the caller calls advance (issue 14: three calls a record, each record of
// every flow report, went to advance, wallReady and deliver for that).
func (s *Sender) clockOnly(nowNs int64) bool {
	if nowNs >= s.wakeNs || len(s.wall.items) > 0 || s.inLoop {
		return false
	}
	if nowNs > s.clock {
		s.clock = nowNs
	}
	return true
}

// deliver hands queued events to OnEvent once the state is settled.
func (s *Sender) deliver() {
	if s.inLoop || s.delivering || len(s.events) == 0 || s.onEvent == nil {
		return
	}
	s.delivering = true
	for i := 0; i < len(s.events); i++ {
		e := s.events[i]
		if s.onEventN != nil {
			s.onEventN(e.timeNs, e.sev, e.kind, e.msg, e.count)
		} else {
			s.onEvent(e.timeNs, e.sev, e.kind, e.msg)
		}
	}
	s.events = s.events[:0]
	s.delivering = false
}
