package probe

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Event reports a probe event (design 1.7, 3.13) at capture time timeNs.
func (p *Probe) Event(timeNs int64, sev uint8, kind, msg string) {
	p.EventCount(timeNs, sev, kind, msg, 0)
}

// EventCount is Event for an event that reports n things (packets, rows,
// connections): the count reaches events.count, so a query can sum what
// is missing.
//
// An event reported before the probe started (its first packet or tick:
// a capture damaged before its first packet, a packet without a valid
// time, a live capture's health event) is held and sent right after
// probe_start, stamped 1 ns after it (sendEarly): the events table reads
// probe_start first, and no event of the probe is stamped at the time 0
// (1970) of a clock that has not started. A probe closed without starting
// sends none of them (Held counts them: the caller that knows the run's
// time starts it, or reports them itself).
func (p *Probe) EventCount(timeNs int64, sev uint8, kind, msg string, n uint64) {
	p.logLifecycle(sev, kind, msg)
	if !p.started {
		p.early = append(p.early, earlyEvent{timeNs: timeNs, sev: sev, kind: kind, msg: msg, n: n})
		return
	}
	timeNs = afterStart(kind, timeNs, p.startNs)
	if !p.closed {
		p.lastEvNs = max(p.lastEvNs, timeNs) // probe_stop comes after it (stopEvent)
	}
	e := pdu.Event{TimeNs: timeNs, Severity: sev, Kind: kind, Message: msg, Count: n}
	e.Append(p.out.Begin(pdu.TypeEvents, timeNs))
	p.out.End(pdu.TypeEvents, timeNs)
}

// afterStart returns the time of an event of kind stamped at timeNs by a
// probe started at startNs: one at probe_start's very instant (a capture
// damaged right after its only packet, a pcapng section's interfaces
// described at its first packet) is stamped 1 ns after it, as the events
// table sorts by time and would put it first. One stamped earlier keeps its
// time: a capture clock that stepped back (capture_time_backwards) says
// when, in capture time, it happened.
func afterStart(kind string, timeNs, startNs int64) int64 {
	if kind != "probe_start" && timeNs == startNs {
		return pkt.After(timeNs, startNs)
	}
	return timeNs
}

// earlyEvent is an event reported before its probe started (EventCount).
type earlyEvent struct {
	timeNs int64
	sev    uint8
	kind   string
	msg    string
	n      uint64
}

// sendEarly publishes the events held in *early to out, once the probe has
// started at startNs (after its probe_start): each at its own time if
// later, else 1 ns after the start (pkt.After), in the order reported. It
// returns the latest time it stamped (startNs if none): probe_stop comes
// after it (stopEvent).
func sendEarly(out pdu.Publisher, early *[]earlyEvent, startNs int64) int64 {
	last := startNs
	for _, e := range *early {
		t := pkt.After(e.timeNs, startNs)
		appendEvent(out, t, e.sev, e.kind, e.msg, e.n)
		last = max(last, t)
	}
	*early = nil
	return last
}

// Held returns how many events the probe holds for its start (EventCount):
// reported before its first packet or tick.
func (p *Probe) Held() int { return len(p.early) }

// Started reports whether the probe started: it handled a packet with a
// valid time or a tick (its probe_start is sent).
func (p *Probe) Started() bool { return p.started }

// logLifecycle writes the probe's lifecycle events to its Logger: start,
// stop, a collector restarted, unreachable (long retry) or reachable
// again, acknowledgements refused for their HMAC tag (pdu_ack_refused),
// a spool that cannot be used (once a channel). A configuration
// switch is said by the command that switches, in its own one line.
// Never per packet: the other events
// (aggregated per interval) only go to the collector. A damaged capture is
// not logged: the caller is told of it (RunOptions.Damaged,
// pipeline.Options.InputError) and says it once, in its own words.
func (p *Probe) logLifecycle(sev uint8, kind, msg string) {
	switch kind {
	case "probe_start", "probe_stop", "collector_restart",
		pdu.EventLongRetryEnter, pdu.EventLongRetryLeave, pdu.EventSpoolFailed, pdu.EventAckRefused:
		level := slog.LevelInfo
		if sev != pdu.SevInfo || kind == pdu.EventLongRetryLeave { // a leave is said where its enter (a warning) was
			level = slog.LevelWarn
		}
		p.log.Log(context.Background(), level, msg, "probe", p.id.Name, "kind", kind)
	}
}

// Events limited per interval (one per occurrence up to maxFragEvents,
// then one summary).

// maxFragEvents bounds the events of one kind per interval; the rest are
// counted in one summary event when the interval closes.
const maxFragEvents = 20

// Kinds of limited events.
const (
	evIncomplete = iota
	evOversize
	evTimeBack
	evTimeJump
	evTimeInvalid
	numLimited
)

var limitedKinds = [numLimited]string{"ip_reassembly_incomplete", "ip_reassembly_oversize",
	"capture_time_backwards", "capture_time_jump", "capture_time_invalid"}

// limitedEvent reports an event of kind k unless maxFragEvents were
// reported in the interval (the rest are summarised by limitedSummary).
// A worker of a Workers run keeps its first maxFragEvents too, marked
// (recorder.lim): the merge keeps the first maxFragEvents of all the
// workers' in the interval, and sums their counts for the summary
// (limits.go).
func (p *Probe) limitedEvent(k int, timeNs int64, sev uint8, msg string) {
	if k >= evTimeBack && !p.primary() {
		return // capture time is every worker's: worker 0 reports it
	}
	p.limitedI[k]++
	p.limitedSev[k] = sev
	if p.limitedI[k] > maxFragEvents {
		return
	}
	if p.sh == nil {
		p.EventCount(timeNs, sev, limitedKinds[k], msg, 1)
		return
	}
	p.sh.rec.lim = opLimited + uint8(k)
	p.EventCount(timeNs, sev, limitedKinds[k], msg, 1)
	p.sh.rec.lim = 0
}

// limitedSummary reports the limited events of the interval beyond
// maxFragEvents, and starts a new interval. A worker hands its counts to
// the merge instead (closePart.limited), which reports the workers' sum.
func (p *Probe) limitedSummary(atNs int64) {
	if p.sh != nil {
		return // shard.closeInterval
	}
	for k := range p.limitedI {
		limitedSummaryEvent(p.EventCount, atNs, k, p.limitedSev[k], p.limitedI[k])
		p.limitedI[k] = 0
	}
}

// limitedSummaryEvent reports, through event, the n-maxFragEvents limited
// events of kind k beyond the first maxFragEvents of an interval (none
// when n <= maxFragEvents), of severity sev.
func limitedSummaryEvent(event func(timeNs int64, sev uint8, kind, msg string, n uint64), atNs int64, k int, sev uint8, n uint64) {
	if n <= maxFragEvents {
		return
	}
	more := n - maxFragEvents
	event(atNs, sev, limitedKinds[k], pkt.Nouns(more, fmt.Sprintf("%d more %s event[s] in the interval", more, limitedKinds[k])), more)
}
