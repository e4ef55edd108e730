package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/syncio"
	"github.com/tmonbench/tmonbench/replay"
)

const (
	// barEvery is the bar's refresh period: it is driven by time, so it
	// moves at any packet rate.
	barEvery = 250 * time.Millisecond
	// rateWindow is the sliding window of the bar's packets/s and ETA.
	rateWindow = 2 * time.Second
	// etaAfter is how long the window must span before an ETA is shown.
	etaAfter = time.Second
	barWidth = 30 // characters of the bar proper
)

// meter turns samples of (time, packets, bytes read) into the bar's
// figures: the share of the input read, packets/s over a sliding window
// and the time left. The caller gives the clock, so tests drive it.
type meter struct {
	total   int64 // input size in bytes (0: unknown)
	samples []sample
	// waitUntil is the end of the long paced wait the bar says it is
	// in, said until it ends (zero: none)
	waitUntil time.Time
}

type sample struct {
	at      time.Time
	packets uint64
	read    int64
}

// add records a sample, keeping those of the last rateWindow and the
// newest one older than it (so the window spans rateWindow once it can).
func (m *meter) add(at time.Time, packets uint64, read int64) {
	m.samples = append(m.samples, sample{at: at, packets: packets, read: read})
	for len(m.samples) > 2 && !m.samples[1].at.After(at.Add(-rateWindow)) {
		m.samples = m.samples[1:]
	}
}

// span returns the first and last samples of the window and its length.
func (m *meter) span() (first, last sample, d time.Duration) {
	if len(m.samples) == 0 {
		return sample{}, sample{}, 0
	}
	first, last = m.samples[0], m.samples[len(m.samples)-1]
	return first, last, last.at.Sub(first.at)
}

// rate returns packets/s over the window; ok is false until the window
// spans a refresh period.
func (m *meter) rate() (pps float64, ok bool) {
	first, last, d := m.span()
	if d < barEvery || last.packets < first.packets {
		return 0, false
	}
	return float64(last.packets-first.packets) / d.Seconds(), true
}

// share returns the part of the input read, in [0, 1].
func (m *meter) share() float64 {
	_, last, _ := m.span()
	if m.total <= 0 {
		return 0
	}
	return min(max(float64(last.read)/float64(m.total), 0), 1)
}

// eta returns the time left at the window's byte rate; ok is false until
// the window spans etaAfter with bytes read in it.
func (m *meter) eta() (left time.Duration, ok bool) {
	first, last, d := m.span()
	if m.total <= 0 || d < etaAfter || last.read <= first.read {
		return 0, false
	}
	perNs := float64(last.read-first.read) / float64(d)
	return time.Duration(float64(max(m.total-last.read, 0)) / perNs).Round(time.Second), true
}

// line is the bar's text: share, bar, packets, packets/s, ETA and, when
// paced is set, the capture time reached and the lag.
func (m *meter) line(p *progress, paced bool) string {
	share := m.share()
	fill := int(share * barWidth)
	_, last, _ := m.span()
	s := fmt.Sprintf("replay %3.0f%% |%s%s| "+pkts(last.packets), share*100, strings.Repeat("█", fill), strings.Repeat(" ", barWidth-fill), last.packets)
	if r, ok := m.rate(); ok {
		s += " " + si(r) + " pkt/s"
	} else {
		s += " - pkt/s"
	}
	if left, ok := m.eta(); ok {
		s += fmt.Sprintf(" ETA %v", left)
	}
	if paced && last.packets > 0 {
		c, first := p.captureNs.Load(), p.firstNs.Load()
		s += fmt.Sprintf(" | capture %s (+%.1f s) lag %.1f s", time.Unix(0, c).UTC().Format("15:04:05"),
			float64(c-first)/1e9, time.Duration(p.lateNs.Load()).Seconds())
	}
	if paced && p.pacer != nil {
		if until, ok := p.pacer.WaitingUntil(); ok {
			left := until.Sub(last.at)
			if left >= longWait {
				m.waitUntil = until
			}
			if until.Equal(m.waitUntil) && left > 0 {
				s += fmt.Sprintf(" | waiting %s for the next packet (--max-gap caps gaps)", roughDuration(max(left, time.Second)))
			}
		}
	}
	return s
}

// longWait is the paced wait the bar says it is in, from its start to its
// end (the last 5 s of a 7 s gap too, which it left unexplained, the
// capture time standing still): a frozen bar for longer would look like a
// hung replay.
const longWait = 5 * time.Second

// roughDuration writes d for a person, to the minute above an hour and
// to the second below: "3 h 20 min", "4 min 10 s", "12 s".
func roughDuration(d time.Duration) string {
	switch d = d.Round(time.Second); {
	case d >= time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%d h %d min", int64(d/time.Hour), int64(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return fmt.Sprintf("%d min %d s", int64(d/time.Minute), int64(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%d s", int64(d/time.Second))
}

// bar is the replay's progress bar (nil: none), redrawn in place every
// barEvery by a goroutine until finish, which draws it at 100%.
type bar struct {
	w       io.Writer
	m       meter
	p       *progress
	paced   bool
	read    func() int64 // bytes of the input read so far
	started time.Time

	mu     sync.Mutex
	stop   func() // ends the redrawing
	halted bool   // a line was said over the bar (halting): never drawn again
}

// newBar returns the progress bar asked for by --progress, drawn at once.
func newBar(mode string, stderr io.Writer, files []*replay.File, p *progress, paced bool, started time.Time) *bar {
	if mode == "never" || (mode == "auto" && !isTerminal(stderr)) {
		return nil
	}
	b := &bar{w: stderr, p: p, paced: paced, started: started}
	for _, f := range files {
		_, size := f.Progress()
		b.m.total += size
	}
	b.read = func() (n int64) {
		for _, f := range files {
			r, _ := f.Progress() // compressed bytes for gzip files: the true share
			n += r
		}
		return n
	}
	b.draw(started)
	b.stop = syncio.Ticking(barEvery, func(now time.Time) bool {
		b.draw(now)
		return false
	})
	return b
}

// draw samples the progress as of now and redraws the bar in place.
func (b *bar) draw(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.halted {
		return
	}
	b.m.add(now, b.p.packets.Load(), b.read())
	fmt.Fprintf(b.w, "\r%s\x1b[K", b.m.line(b.p, b.paced))
}

// finish stops the redrawing and leaves the bar drawn at 100%, with the
// packets handled and the mean packets/s of the whole run; a run
// interrupted (Ctrl-C) keeps the share it had read, saying so: 100% would
// claim the whole capture. The packets are the progress's, the summary's
// "packets read": the files' own count also has the packets --filter left
// out, read ahead, or read when Ctrl-C came but never handled.
func (b *bar) finish(interrupted bool) {
	if b == nil {
		return
	}
	b.stop()
	if b.halted {
		return
	}
	now := time.Now()
	packets := b.p.packets.Load()
	line := b.final(now, packets)
	if interrupted {
		b.mu.Lock()
		b.m.add(now, packets, b.read())
		line = b.m.stopped(now.Sub(b.started))
		b.mu.Unlock()
	}
	fmt.Fprintf(b.w, "\r%s\x1b[K\n", line)
}

// final is the bar's last line: everything read, in the time since start.
func (b *bar) final(now time.Time, packets uint64) string {
	el := now.Sub(b.started)
	rate := 0.0
	if el > 0 {
		rate = float64(packets) / el.Seconds()
	}
	return fmt.Sprintf("replay 100%% |%s| "+pkts(packets)+" %s pkt/s in %.1f s", strings.Repeat("█", barWidth), packets, si(rate), el.Seconds())
}

// stopped is the last line of an interrupted run: the share read and its
// packets, after el.
func (m *meter) stopped(el time.Duration) string {
	fill := int(m.share() * barWidth)
	_, last, _ := m.span()
	return fmt.Sprintf("replay %3.0f%% |%s%s| "+pkts(last.packets)+", interrupted after %.1f s", m.share()*100, strings.Repeat("█", fill), strings.Repeat(" ", barWidth-fill), last.packets, el.Seconds())
}

// pkts is the bar's count of n packets, "%d pkt[s]" (pkt.Nouns): "1 pkt",
// "0 pkts", "443 pkts"; it said "1 pkts".
func pkts(n uint64) string { return pkt.Nouns(n, "%d pkt[s]") }
