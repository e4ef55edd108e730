package probe

import (
	"fmt"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Capture time that goes backwards or jumps (tcpreplay#549, #87; a
// repeated section of a capture).
//
// The probe reports every packet's own capture time (pkt.Meta.TimeNs) and
// keeps, beside it, a timer clock (pkt.Meta.ClockNs) on which the
// analysers run their timeouts and measure their durations: capture time
// with the capture's clock steps taken out. A step back of more than
// pkt.StepBackNs (a repeated section, a clock set back) and a step
// forward of more than clock_jump_s (a clock set forward) count as no time
// on it, so a connection is not expired, split and reported twice across
// the step, a repeated section's connections live their normal timeouts,
// and no round trip or handshake is measured across the step. Smaller
// steps back are reordering (merged interfaces): the clock follows the
// packets, and a duration that comes out negative is not reported.
//
// Events: capture_time_backwards (warning) for each step back beyond
// pkt.StepBackNs and capture_time_jump (warning) for each jump, with the
// frame number and the size of the step (at most maxFragEvents of each
// kind per interval, the rest summarised); capture_time_backwards (info)
// once per interval summing the smaller steps back (count, first frame,
// largest step); capture_time_invalid for a packet stamped before the
// epoch or after pkt.MaxTimeNs (year 2116): it is taken at the previous
// packet's time, or dropped when no packet came before it. Counted in
// Stats.ClockStepsBack, ClockJumps, Reordered, TimeInvalid.

// The largest step back taken for reordering is pkt.StepBackNs; the
// smallest jump forward is the config's clock_jump_s (clockState.jumpNs).

// clockState is the probe's view of capture time.
type clockState struct {
	jumpNs  int64 // clock_jump_s
	started bool
	lastRaw int64 // previous packet's capture time
	// lastTick is the latest idle tick's time (live capture): it moves
	// the timers and the jump check's reference, never lastRaw, so a
	// packet the ring stamped before the tick is not taken for time
	// going backwards.
	lastTick int64
	off      int64 // timer clock = capture time + off
	now      int64 // latest timer clock
	// due: the clock advanced and the timers have not run since; they
	// run after the intervals the time ended are closed (runTimers), so
	// what they find (unanswered requests, expired connections) counts
	// in the interval of the time that found it
	due bool
	// timer scans, on the timer clock; nextTimer is the earliest time
	// one of them is due (timers), so that a packet whose clock advanced
	// runs none without checking each (issue 14: ~20 instructions a
	// packet)
	lastRTT, lastTCP, lastFrag, nextTimer int64
	// lastWatch: the anomaly counters' latest check (watchCounters, every
	// second), made before the probe clock moves to the new time, so a
	// counter's first movement is dated by the packet that made it
	lastWatch int64
	// reorderings in the current interval
	reorderI     uint64
	reorderFrame uint64
	reorderMax   int64
}

// stamp checks the capture time of a packet and sets its timer clock
// (m.ClockNs), marking the timers due when the clock advances. It returns
// false when the packet must be dropped (an impossible time and no
// earlier packet to take the time of).
func (p *Probe) stamp(m *pkt.Meta) bool {
	c := &p.clk
	if !pkt.ValidTime(m.TimeNs) {
		p.stats.TimeInvalid++
		if !c.started {
			p.limitedEvent(evTimeInvalid, 0, pdu.SevError, fmt.Sprintf(
				"frame %d: capture time %d ns (%s) is before 1970 or after 2116, and no packet before it gives a time: packet dropped", m.Frame, m.TimeNs, pkt.TimeString(m.TimeNs)))
			return false
		}
		p.limitedEvent(evTimeInvalid, c.lastRaw, pdu.SevError, fmt.Sprintf(
			"frame %d: capture time %d ns (%s) is before 1970 or after 2116: packet taken at the previous packet's time", m.Frame, m.TimeNs, pkt.TimeString(m.TimeNs)))
		m.TimeNs, m.TimeBorrowed = c.lastRaw, true
	}
	raw := m.TimeNs
	if !c.started {
		c.started, c.lastRaw, c.now = true, raw, raw
		c.lastRTT, c.lastTCP, c.lastFrag, c.lastWatch = raw, raw, raw, raw
		c.setNextTimer()
		m.ClockNs = raw
		return true
	}
	step := raw - c.lastRaw // both in [0, MaxTimeNs]: no overflow
	ref := max(c.lastRaw, c.lastTick)
	switch {
	case step < -pkt.StepBackNs:
		p.stats.ClockStepsBack++
		c.off = pkt.SubNs(c.off, step)
		p.limitedEvent(evTimeBack, raw, pdu.SevWarning, fmt.Sprintf(
			"frame %d: capture time steps back by %v (to %s): a clock step, not counted as time by the timers",
			m.Frame, time.Duration(-step), time.Unix(0, raw).UTC().Format(time.RFC3339Nano)))
	case step < 0:
		p.stats.Reordered++
		if c.reorderI == 0 {
			c.reorderFrame = m.Frame
		}
		c.reorderI++
		c.reorderMax = max(c.reorderMax, -step)
	case raw-ref > c.jumpNs:
		step = raw - ref
		p.stats.ClockJumps++
		c.off = pkt.SubNs(c.off, step)
		p.limitedEvent(evTimeJump, raw, pdu.SevWarning, fmt.Sprintf(
			"frame %d: capture time jumps forward by %v (to %s): more than clock_jump_s (%v): taken for a clock step, not counted as time by the timers (flows and connections open across it are not expired); if it is a silence of the link, set clock_jump_s above it",
			m.Frame, time.Duration(step), time.Unix(0, raw).UTC().Format(time.RFC3339Nano), time.Duration(c.jumpNs)))
	}
	c.lastRaw = raw
	m.ClockNs = pkt.AddNs(raw, c.off)
	if m.ClockNs > c.now {
		c.now, c.due = m.ClockNs, true
		p.watchDue()
	}
	return true
}

// stampCommon is stamp for a packet of a valid time at or after the
// previous packet's, without a jump, on a timer clock that never stepped
// (c.off 0): nearly every packet. It returns false, having done nothing,
// for any other (stamp does them), and leaves the anomaly counters' check
// to the caller (watchDue). Packet calls it inlined (issue 14: stamp's
// call and its checks of the rare cases were ~50 instructions a packet).
func (c *clockState) stampCommon(m *pkt.Meta) bool {
	raw := m.TimeNs
	if !c.started || c.off != 0 || raw < c.lastRaw || raw > pkt.MaxTimeNs || raw-max(c.lastRaw, c.lastTick) > c.jumpNs {
		return false
	}
	c.lastRaw, m.ClockNs = raw, raw
	if raw > c.now {
		c.now, c.due = raw, true
	}
	return true
}

// watchDue checks the anomaly counters once a second of timer clock,
// while the probe clock is still at the last packet processed. Called
// again before the clock advanced it does nothing.
func (p *Probe) watchDue() {
	if c := &p.clk; c.now-c.lastWatch >= 1e9 {
		c.lastWatch = c.now
		p.watchCounters()
	}
}

// runTimers runs the timers if the clock advanced since they last ran.
// Packet and Tick call it once the probe clock has closed the intervals
// before the new time: a timeout found at a packet of interval 12 after an
// idle since interval 5 counts in interval 12, not 5
// (TestTimeoutCountedInItsInterval).
func (p *Probe) runTimers() {
	if c := &p.clk; c.due {
		c.due = false
		if c.now >= c.nextTimer {
			p.timers()
		}
	}
}

// setNextTimer sets c.nextTimer after a scan (timers' conditions, each
// now-last >= period, as now >= last+period: times stay far from the int64
// limits, pkt.MaxTimeNs).
func (c *clockState) setNextTimer() {
	c.nextTimer = min(c.lastRTT+1e8, c.lastTCP+1e9, c.lastFrag+1e9)
}

// tickClock advances the timer clock without a packet (live capture
// idles): a tick at capture time nowNs, ahead of the last packet by less
// than a jump, moves the clock as a packet would.
func (p *Probe) tickClock(nowNs int64) {
	c := &p.clk
	ref := max(c.lastRaw, c.lastTick)
	if !c.started || !pkt.ValidTime(nowNs) || nowNs <= ref || nowNs-ref > c.jumpNs {
		return
	}
	c.lastTick = nowNs
	if t := pkt.AddNs(nowNs, c.off); t > c.now {
		c.now, c.due = t, true
		p.watchDue()
	}
}

// timers runs the analysers' timeouts on the timer clock: unanswered
// requests every 100 ms, TCP connections, FTP sessions and fragments every
// second (the anomaly counters are checked by watchDue).
func (p *Probe) timers() {
	c := &p.clk
	now := c.now
	if now-c.lastRTT >= 1e8 {
		c.lastRTT = now
		for ci := range p.classes {
			if cl := &p.classes[ci]; cl.rtt != nil {
				p.stage(stageRTTExpire, ci, 0)
				cl.rtt.Expire(now, p.unanswered)
			}
		}
	}
	if now-c.lastTCP >= 1e9 {
		c.lastTCP = now
		for ci := range p.classes {
			cl := &p.classes[ci]
			if cl.tcp != nil {
				p.stage(stageTCPExpire, ci, 0)
				cl.tcp.Expire(now, cl.emitConn) // in conn_id order
			}
			if cl.ftp != nil {
				p.stage(stageTCPExpire, ci, 1)
				cl.ftp.Expire(now, p.emitXfer, p.emitSess)
			}
		}
	}
	if now-c.lastFrag >= 1e9 {
		c.lastFrag = now
		p.stage(stageFragTimer, 0, 0)
		p.expireFragments(now)
	}
	c.setNextTimer()
}

// clockSummary reports the interval's reorderings in one event.
func (p *Probe) clockSummary(atNs int64) {
	c := &p.clk
	if c.reorderI == 0 {
		return
	}
	p.EventCount(atNs, pdu.SevInfo, "capture_time_backwards", pkt.Nouns(c.reorderI, fmt.Sprintf(
		"%d packet[s] stamped earlier than the packet before them (reordering within %v), first at frame %d, largest step %v",
		c.reorderI, time.Duration(pkt.StepBackNs), c.reorderFrame, time.Duration(c.reorderMax))), c.reorderI)
	c.reorderI, c.reorderMax = 0, 0
}
