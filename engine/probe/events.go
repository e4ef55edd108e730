package probe

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

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
func (p *Probe) limitedEvent(k int, timeNs int64, sev uint8, msg string) {
	if k >= evTimeBack && !p.primary() {
		return // capture time is every worker's: worker 0 reports it
	}
	p.limitedI[k]++
	if p.limitedI[k] <= maxFragEvents {
		p.Event(timeNs, sev, limitedKinds[k], msg)
	}
}

// limitedSummary reports the limited events of the interval beyond
// maxFragEvents, and starts a new interval.
func (p *Probe) limitedSummary(atNs int64) {
	for k := range p.limitedI {
		if n := p.limitedI[k]; n > maxFragEvents {
			p.Event(atNs, pdu.SevWarning, limitedKinds[k], fmt.Sprintf("%d more %s events in the interval", n-maxFragEvents, limitedKinds[k]))
		}
		p.limitedI[k] = 0
	}
}
