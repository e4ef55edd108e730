package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/replay"
)

// lateLimit is how late (wall clock, behind the --speed schedule) a packet
// may go out before the replay counts as not keeping its speed.
const lateLimit = time.Second

// progress is how far a replay got. The feeding goroutine writes it (the
// pipeline's Progress callback at full speed, the pace wrapper at paced
// speeds); the bar's goroutine reads the atomics.
type progress struct {
	packets   atomic.Uint64
	firstNs   atomic.Int64  // capture time of the first packet (paced speeds)
	captureNs atomic.Int64  // capture time of the latest packet (paced speeds)
	lateNs    atomic.Int64  // how late the latest packet went out (paced speeds)
	pacer     *replay.Pacer // paced speeds: the bar asks it of the wait under way (set before the run)

	// Feeding goroutine only; read once the run is over.
	n         uint64
	late      uint64 // packets that went out more than lateLimit late
	firstLate int64  // capture time of the first of them
	maxLate   time.Duration
}

// counted is the pipeline's Progress callback (every 1024 packets).
func (p *progress) counted(packets, _ uint64) {
	if p.n == 0 { // no pace wrapper: full speed
		p.packets.Store(packets)
	}
}

// pace wraps the pacer: every packet's capture time and lateness are
// recorded (paced speeds only: at full speed there is nothing to keep).
// A packet whose wait is interrupted (Ctrl-C) is never handled: it is not
// counted, so the bar ends on the summary's "packets read".
func (p *progress) pace(pc *replay.Pacer) func(ctx context.Context, captureNs int64) error {
	p.pacer = pc
	return func(ctx context.Context, captureNs int64) error {
		if err := pc.Wait(ctx, captureNs); err != nil {
			return err
		}
		p.record(captureNs, pc.Late())
		return nil
	}
}

// record notes one paced packet released late behind the schedule.
func (p *progress) record(captureNs int64, late time.Duration) {
	p.n++
	if p.n == 1 {
		p.firstNs.Store(captureNs)
	}
	p.packets.Store(p.n)
	p.captureNs.Store(captureNs)
	p.lateNs.Store(int64(late))
	if late > lateLimit {
		if p.late == 0 {
			p.firstLate = captureNs
		}
		p.late++
	}
	p.maxLate = max(p.maxLate, late)
}

// behind returns the replay_behind event and warning when the replay did
// not keep speed (nil, "" when it did).
func (p *progress) behind(speed replay.Speed) ([]observe.Event, string) {
	if p.late == 0 {
		return nil, ""
	}
	ev := observe.Event{Time: p.firstLate, Source: "replay", Kind: "replay_behind", Severity: observe.SevWarning, Count: p.late,
		Message: fmt.Sprintf(pkt.Nouns(p.late, "could not keep --speed %s: %d packet[s] went out more than %v behind schedule (at most %.1f s); capture order kept, gaps shortened until the replay caught up"),
			speed, p.late, lateLimit, p.maxLate.Seconds())}
	return []observe.Event{ev}, ev.Message
}
