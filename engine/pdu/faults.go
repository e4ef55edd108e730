package pdu

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// ErrOutage: an outage flag is not DURATION@START.
var ErrOutage = errors.New("pdu: outage is not DURATION@START, e.g. 30s@120s")

// Window is an outage: offsets in ns from the link's origin (Faults), the
// start included and the end excluded.
type Window struct {
	StartNs, EndNs int64
}

// ParseOutage parses the --link-outage form DURATION@START, both Go
// durations ("30s@120s": 30 s of outage starting 120 s after the first
// frame) into a Window. Errors wrap ErrOutage.
func ParseOutage(s string) (Window, error) {
	d, at, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok {
		return Window{}, fmt.Errorf("%w: %q", ErrOutage, s)
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur <= 0 {
		return Window{}, fmt.Errorf("%w: duration %q", ErrOutage, d)
	}
	start, err := time.ParseDuration(at)
	if err != nil || start < 0 {
		return Window{}, fmt.Errorf("%w: start %q", ErrOutage, at)
	}
	if int64(start) > 1<<62-int64(dur) {
		return Window{}, fmt.Errorf("%w: %q too large", ErrOutage, s)
	}
	return Window{StartNs: int64(start), EndNs: int64(start + dur)}, nil
}

// Faults are the impairments a Loopback applies, for tests and demos
// (issue item 6). Rates are probabilities per frame in [0, 1]. Loss,
// corruption (one bit flipped, which the CRC catches), duplication and the
// outages apply to both directions, PDUs and acknowledgements; reordering
// holds a PDU back and delivers it after the next one. Decisions come from
// a PCG generator seeded with Seed and are taken on probe time, so a run
// is reproducible.
type Faults struct {
	LossRate, DupRate, ReorderRate, CorruptRate float64
	// Outages drop every frame and acknowledgement sent inside them.
	Outages []Window
	// OriginNs is the probe time outage offsets count from; 0 takes the
	// time of the first frame the link carries.
	OriginNs int64
	Seed     uint64
}

func (f *Faults) active() bool {
	return f.LossRate > 0 || f.DupRate > 0 || f.ReorderRate > 0 || f.CorruptRate > 0 || len(f.Outages) > 0
}

// LinkStats counts what a Loopback did to the traffic.
type LinkStats struct {
	Frames, Delivered, Lost, OutageLost, Duplicated, Reordered, Corrupted        uint64
	Acks, AcksDelivered, AcksLost, AcksOutageLost, AcksDuplicated, AcksCorrupted uint64
}

// Loopback is the in-process Link between a probe's Sender and a
// collector: each frame is copied (probe and collector share no memory),
// handed to Deliver, and the acknowledgement Deliver returns is handed to
// Ack (typically Sender.HandleAck), synchronously. Faults, if set,
// impair the traffic; the zero Faults deliver everything once, in order.
// A Loopback is not safe for concurrent use.
type Loopback struct {
	Deliver func(frame []byte) (ack []byte)
	Ack     func(ack []byte)
	Faults  Faults

	buf, ackBuf []byte
	held        []byte
	holding     bool
	nowNs       int64
	originSet   bool
	rng         *rand.Rand
	stats       LinkStats
}

// Stats returns what the link did so far.
func (l *Loopback) Stats() LinkStats { return l.stats }

// Send implements Link at the time of the previous SendAt.
func (l *Loopback) Send(frame []byte) { l.SendAt(l.nowNs, frame) }

// SendAt implements TimedLink: frame is sent at probe time nowNs.
func (l *Loopback) SendAt(nowNs int64, frame []byte) {
	l.nowNs = nowNs
	l.stats.Frames++
	f := &l.Faults
	if !f.active() {
		l.buf = append(l.buf[:0], frame...)
		l.deliver(l.buf)
		return
	}
	if !l.originSet {
		l.originSet = true
		if f.OriginNs == 0 {
			f.OriginNs = nowNs
		}
		l.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
	// Draw every decision each time so one fault does not shift the others.
	lost, dup, reorder, corrupt := l.draw(f.LossRate), l.draw(f.DupRate), l.draw(f.ReorderRate), l.draw(f.CorruptRate)
	if !l.mangle(&l.buf, frame, nowNs, lost, corrupt, faultCounts{&l.stats.OutageLost, &l.stats.Lost, &l.stats.Corrupted}) {
		return
	}
	if reorder && !l.holding {
		l.stats.Reordered++
		l.held = append(l.held[:0], l.buf...)
		l.holding = true
		return
	}
	l.deliver(l.buf)
	if dup {
		l.stats.Duplicated++
		l.deliver(l.buf)
	}
	if l.holding {
		l.holding = false
		l.deliver(l.held)
	}
}

func (l *Loopback) draw(rate float64) bool { return rate > 0 && l.rng.Float64() < rate }

func (l *Loopback) inOutage(nowNs int64) bool {
	off := pkt.SubNs(nowNs, l.Faults.OriginNs)
	for _, w := range l.Faults.Outages {
		if off >= w.StartNs && off < w.EndNs {
			return true
		}
	}
	return false
}

// faultCounts are the LinkStats counters of one direction (frames or
// acknowledgements) that mangle adds to.
type faultCounts struct{ outage, lost, corrupted *uint64 }

// mangle drops a datagram sent at nowNs in an outage or when lost (false,
// counted in c), else copies b to *buf and flips one bit of the copy when
// corrupt. The bit is drawn whether or not it is used, so that one fault
// does not shift the others.
func (l *Loopback) mangle(buf *[]byte, b []byte, nowNs int64, lost, corrupt bool, c faultCounts) bool {
	pos := l.rng.Uint64()
	switch {
	case l.inOutage(nowNs):
		*c.outage++
		return false
	case lost:
		*c.lost++
		return false
	}
	*buf = append((*buf)[:0], b...)
	if corrupt {
		*c.corrupted++
		flip(*buf, pos)
	}
	return true
}

// flip inverts one bit of b chosen by pos.
func flip(b []byte, pos uint64) {
	if len(b) > 0 {
		b[pos/8%uint64(len(b))] ^= 1 << (pos % 8)
	}
}

func (l *Loopback) deliver(frame []byte) {
	l.stats.Delivered++
	ack := l.Deliver(frame)
	if ack == nil || l.Ack == nil {
		return
	}
	l.stats.Acks++
	f := &l.Faults
	if l.rng == nil {
		l.stats.AcksDelivered++
		l.Ack(ack)
		return
	}
	lost, dup, corrupt := l.draw(f.LossRate), l.draw(f.DupRate), l.draw(f.CorruptRate)
	if !l.mangle(&l.ackBuf, ack, l.nowNs, lost, corrupt, faultCounts{&l.stats.AcksOutageLost, &l.stats.AcksLost, &l.stats.AcksCorrupted}) {
		return
	}
	l.stats.AcksDelivered++
	l.Ack(l.ackBuf)
	if dup {
		l.stats.AcksDuplicated++
		l.stats.AcksDelivered++
		l.Ack(l.ackBuf)
	}
}

// Active reports whether any fault is configured.
func (f *Faults) Active() bool { return f.active() }
