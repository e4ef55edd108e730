package replay

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Speed is a replay speed: as fast as possible ("full", the zero value) or
// a factor applied to capture time (1 = real time, 4 = four times faster).
type Speed struct {
	factor float64 // 0: full speed
}

// Speeds with names.
var (
	SpeedFull     = Speed{}          // no pacing at all
	SpeedRealtime = Speed{factor: 1} // wall-clock gaps equal capture gaps
)

// ParseSpeed parses a --speed value: "full" (or "") for as fast as
// possible, "realtime" for factor 1, or "<factor>x" with a finite factor
// > 0 ("4x", "0.5x"). Case and surrounding spaces are ignored. Other input
// gives an error wrapping ErrBadSpeed.
func ParseSpeed(s string) (Speed, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "full":
		return SpeedFull, nil
	case "realtime", "real-time":
		return SpeedRealtime, nil
	}
	num, ok := strings.CutSuffix(t, "x")
	if ok {
		v, err := strconv.ParseFloat(num, 64)
		if err == nil && v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return Speed{factor: v}, nil
		}
	}
	return Speed{}, fmt.Errorf("%w %q: want full, realtime or <factor>x (e.g. 4x, 0.5x)", ErrBadSpeed, s)
}

// Factor returns how many times faster than capture time packets are
// replayed; 0 means full speed.
func (s Speed) Factor() float64 { return s.factor }

// Full reports whether s is full speed (no pacing).
func (s Speed) Full() bool { return s.factor == 0 }

// String returns "full", "realtime" or "<factor>x"; ParseSpeed reads it back.
func (s Speed) String() string {
	switch s.factor {
	case 0:
		return "full"
	case 1:
		return "realtime"
	}
	return strconv.FormatFloat(s.factor, 'g', -1, 64) + "x"
}

// Pacer delays packets so that wall-clock gaps equal capture-time gaps
// divided by the speed factor. It keeps an absolute schedule from the first
// packet (capture time t is due at start + (t - t0)/factor), so oversleeping
// never accumulates: late packets go out at once until the schedule is met
// again. It works on the wall clock, outside the engines. Not safe for
// concurrent use.
type Pacer struct {
	factor  float64
	maxWait time.Duration
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	timer   *time.Timer

	started  bool
	capBase  int64     // capture time of the first packet, Unix ns
	wallBase time.Time // wall time it was released
	lateNs   int64     // how late the last packet was released (Late)

	// stepNs: a gap forward longer than this between two packets is a
	// clock step (SetClockStep; 0: none is)
	stepNs int64
	lastNs int64 // capture time of the previous packet, Unix ns
	// untilNs: the wall time (Unix ns) the current wait ends, 0 when
	// none is under way; read by another goroutine (WaitingUntil)
	untilNs atomic.Int64
}

// NewPacer returns a pacer for speed. With SpeedFull, Wait returns at once.
func NewPacer(speed Speed) *Pacer {
	p := &Pacer{factor: speed.factor, now: time.Now}
	p.sleep = p.sleepTimer
	return p
}

// SetMaxWait caps a single wait at d (0, the default, means no cap: every
// gap is kept): a longer capture gap (hours between two packets of a long
// capture) is shortened to d and the schedule shifted, so later gaps keep
// their proportion. It is replay's --max-gap, like tcpreplay's --maxsleep.
func (p *Pacer) SetMaxWait(d time.Duration) { p.maxWait = d }

// SetClockStep makes the pacer take the capture-time steps the probe
// engine takes for clock steps as such (stepNs: the config's clock_jump_s
// in ns, config.ClockJumpNs; 0, the default, takes none): a packet more
// than stepNs after the previous one, or more than StepBackNs before it,
// goes out at once, and the schedule resumes from its time, as the
// engine's timers do (engine/probe capture_time_jump,
// capture_time_backwards). Without it a capture whose clock was set 22
// years forward waited 22 years, and one set back an hour went out at full
// speed for an hour of capture time. --max-gap stays for the ordinary gaps
// below stepNs.
func (p *Pacer) SetClockStep(stepNs int64) { p.stepNs = stepNs }

// WaitingUntil returns the wall time at which the current Wait will
// return, and false when no Wait is sleeping. Safe for concurrent use (the
// progress bar's goroutine reads it).
func (p *Pacer) WaitingUntil() (time.Time, bool) {
	ns := p.untilNs.Load()
	return time.Unix(0, ns), ns != 0
}

// Wait blocks until the packet captured at captureTimeNs (Unix ns) is due.
// The first call sets the schedule's origin and returns at once, as do
// calls at full speed, for times at or before the origin and for clock
// steps (SetClockStep), which move the origin by the step. It returns
// ctx.Err() if ctx is cancelled during the wait (Ctrl-C), nil otherwise.
func (p *Pacer) Wait(ctx context.Context, captureTimeNs int64) error {
	if p.factor == 0 {
		return nil
	}
	if !p.started {
		p.started = true
		p.capBase, p.lastNs = captureTimeNs, captureTimeNs
		p.wallBase = p.now()
		return nil
	}
	if step := pkt.SubNs(captureTimeNs, p.lastNs); p.stepNs > 0 && (step > p.stepNs || step < -StepBackNs) {
		// a clock step: no time on the schedule, which resumes from here
		// (the packet is due when the previous one was)
		p.capBase = pkt.AddNs(p.capBase, step)
	}
	p.lastNs = captureTimeNs
	gap := pkt.SubNs(captureTimeNs, p.capBase)
	if gap <= 0 {
		return nil
	}
	offset := float64(gap) / p.factor
	if offset > math.MaxInt64/2 {
		offset = math.MaxInt64 / 2
	}
	due := p.wallBase.Add(time.Duration(offset))
	d := due.Sub(p.now())
	p.lateNs = max(0, -int64(d))
	if d <= 0 {
		return nil
	}
	if p.maxWait > 0 && d > p.maxWait {
		p.wallBase = p.wallBase.Add(p.maxWait - d)
		d = p.maxWait
	}
	p.untilNs.Store(p.now().Add(d).UnixNano())
	err := p.sleep(ctx, d)
	p.untilNs.Store(0)
	return err
}

// Late returns how far behind its schedule the packet of the last Wait was
// released, in wall-clock ns (0: on time, it waited for its turn). A
// replay that cannot keep the requested speed sees it grow; the schedule
// is kept (late packets go out at once), so it shrinks again when the
// replay catches up.
func (p *Pacer) Late() time.Duration { return time.Duration(p.lateNs) }

// sleepTimer sleeps d on a reused timer, or until ctx is done.
func (p *Pacer) sleepTimer(ctx context.Context, d time.Duration) error {
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	case <-p.timer.C:
		return nil
	}
}
