package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/replay"
)

// lateLimit is how late (wall clock, behind the --speed schedule) a packet
// may go out before the replay counts as not keeping its speed.
const lateLimit = time.Second

// barEvery is the bar's refresh period: it is driven by time, so it moves
// at any packet rate.
const barEvery = 250 * time.Millisecond

// progress is how far a replay got. The feeding goroutine writes it (the
// pipeline's Progress callback at full speed, the pace wrapper at paced
// speeds); the bar's goroutine reads the atomics.
type progress struct {
	packets   atomic.Uint64
	firstNs   atomic.Int64 // capture time of the first packet (paced speeds)
	captureNs atomic.Int64 // capture time of the latest packet (paced speeds)
	lateNs    atomic.Int64 // how late the latest packet went out (paced speeds)

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
func (p *progress) pace(pc *replay.Pacer) func(ctx context.Context, captureNs int64) error {
	return func(ctx context.Context, captureNs int64) error {
		err := pc.Wait(ctx, captureNs)
		p.record(captureNs, pc.Late())
		return err
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
		Message: fmt.Sprintf("could not keep --speed %s: %d packets went out more than %v behind schedule (at most %.1f s); capture order kept, gaps shortened until the replay caught up",
			speed, p.late, lateLimit, p.maxLate.Seconds())}
	return []observe.Event{ev}, ev.Message
}

// bar is the replay's progress bar (nil: none): the share of the files
// read, packets, packets/s and, at paced speeds, the capture time reached
// and the lag behind the requested speed. A goroutine redraws it every
// barEvery until finish.
type bar struct {
	pb    *progressbar.ProgressBar
	files []*replay.File
	p     *progress
	paced bool
	total int64

	lastAt      time.Time // rate window
	lastPackets uint64
	rate        float64

	stop chan struct{}
	done sync.WaitGroup
}

// newBar returns the progress bar asked for by --progress, drawn at once.
func newBar(mode string, stderr io.Writer, files []*replay.File, p *progress, paced bool, started time.Time) *bar {
	if mode == "never" || (mode == "auto" && !isTerminal(stderr)) {
		return nil
	}
	b := &bar{files: files, p: p, paced: paced, lastAt: started, stop: make(chan struct{})}
	for _, f := range files {
		_, size := f.Progress()
		b.total += size
	}
	b.pb = progressbar.NewOptions64(b.total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(barEvery/2),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("replay"),
	)
	b.refresh(started)
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		t := time.NewTicker(barEvery)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case now := <-t.C:
				b.refresh(now)
			}
		}
	}()
	return b
}

// refresh redraws the bar as of now.
func (b *bar) refresh(now time.Time) {
	b.pb.Describe(b.describe(now))
	var read int64
	for _, f := range b.files {
		r, _ := f.Progress() // compressed bytes for gzip files: the true share
		read += r
	}
	b.pb.Set64(read)
}

// describe is the bar's text: packets, packets/s over the last second or
// more, and at paced speeds the capture time reached and the lag.
func (b *bar) describe(now time.Time) string {
	n := b.p.packets.Load()
	if el := now.Sub(b.lastAt); el >= time.Second {
		b.rate = float64(n-b.lastPackets) / el.Seconds()
		b.lastAt, b.lastPackets = now, n
	}
	s := fmt.Sprintf("replay %d pkts %s pkt/s", n, si(b.rate))
	if b.paced && n > 0 {
		c, first := b.p.captureNs.Load(), b.p.firstNs.Load()
		s += fmt.Sprintf(" | capture %s (+%.1f s) lag %.1f s", time.Unix(0, c).UTC().Format("15:04:05"),
			float64(c-first)/1e9, time.Duration(b.p.lateNs.Load()).Seconds())
	}
	return s
}

// si writes v with a k or M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// finish stops the redrawing and clears the bar.
func (b *bar) finish() {
	if b == nil {
		return
	}
	close(b.stop)
	b.done.Wait()
	b.pb.Set64(b.total)
	b.pb.Finish()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
