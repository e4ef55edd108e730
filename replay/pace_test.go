package replay

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestParseSpeed(t *testing.T) {
	for _, c := range []struct {
		in     string
		factor float64
		str    string
	}{
		{"", 0, "full"}, {"full", 0, "full"}, {" FULL ", 0, "full"},
		{"realtime", 1, "realtime"}, {"1x", 1, "realtime"},
		{"4x", 4, "4x"}, {"0.5x", 0.5, "0.5x"}, {"2.5X", 2.5, "2.5x"},
	} {
		s, err := ParseSpeed(c.in)
		if err != nil || s.Factor() != c.factor || s.String() != c.str || s.Full() != (c.factor == 0) {
			t.Errorf("ParseSpeed(%q) = %v (%v), %v; want factor %v", c.in, s, s.Factor(), err, c.factor)
		}
		if back, err := ParseSpeed(s.String()); err != nil || back != s {
			t.Errorf("ParseSpeed(%q.String()) = %v, %v", c.in, back, err)
		}
	}
	for _, in := range []string{"x", "0x", "-2x", "fast", "4", "infx", "NaNx", "1e400x"} {
		if _, err := ParseSpeed(in); !errors.Is(err, ErrBadSpeed) {
			t.Errorf("ParseSpeed(%q) error = %v, want ErrBadSpeed", in, err)
		}
	}
}

// fakeClock is a wall clock that only moves when the pacer sleeps, plus
// what the test adds to simulate processing time.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) install(p *Pacer) {
	p.now = func() time.Time { return c.now }
	p.sleep = func(ctx context.Context, d time.Duration) error {
		c.sleeps = append(c.sleeps, d)
		c.now = c.now.Add(d)
		return ctx.Err()
	}
}

func TestPacer(t *testing.T) {
	const s = int64(time.Second)
	// capture times: 0, +1 s, +1.5 s, +1.5 s (tie), +1.2 s (backwards), +3.5 s
	base := int64(1_700_000_000) * s
	times := []int64{base, base + s, base + 3*s/2, base + 3*s/2, base + 6*s/5, base + 7*s/2}
	for _, c := range []struct {
		speed string
		want  []time.Duration
	}{
		{"realtime", []time.Duration{time.Second, 500 * time.Millisecond, 2 * time.Second}},
		{"4x", []time.Duration{250 * time.Millisecond, 125 * time.Millisecond, 500 * time.Millisecond}},
		{"0.5x", []time.Duration{2 * time.Second, time.Second, 4 * time.Second}},
		{"full", nil},
	} {
		t.Run(c.speed, func(t *testing.T) {
			sp, err := ParseSpeed(c.speed)
			if err != nil {
				t.Fatal(err)
			}
			p := NewPacer(sp)
			clk := &fakeClock{now: time.Unix(5000, 0)}
			clk.install(p)
			for _, ts := range times {
				if err := p.Wait(context.Background(), ts); err != nil {
					t.Fatal(err)
				}
			}
			if !equalDurations(clk.sleeps, c.want) {
				t.Errorf("sleeps %v, want %v", clk.sleeps, c.want)
			}
		})
	}
}

// Processing time counts against the schedule: no drift, no double wait.
func TestPacerAbsoluteSchedule(t *testing.T) {
	p := NewPacer(SpeedRealtime)
	clk := &fakeClock{now: time.Unix(0, 0)}
	clk.install(p)
	ctx := context.Background()
	p.Wait(ctx, 0)
	clk.now = clk.now.Add(300 * time.Millisecond) // slow consumer
	p.Wait(ctx, int64(time.Second))               // due at +1 s: waits 0.7 s
	if p.Late() != 0 {
		t.Errorf("on time: Late %v", p.Late())
	}
	clk.now = clk.now.Add(2 * time.Second) // far behind now
	p.Wait(ctx, int64(2*time.Second))      // overdue: no wait
	if p.Late() != time.Second {           // due at +2 s, released at +3 s
		t.Errorf("behind: Late %v, want 1s", p.Late())
	}
	p.Wait(ctx, int64(4*time.Second)) // the schedule is kept: it catches up
	if p.Late() != 0 {
		t.Errorf("caught up: Late %v", p.Late())
	}
	want := []time.Duration{700 * time.Millisecond, time.Second}
	if !equalDurations(clk.sleeps, want) {
		t.Errorf("sleeps %v, want %v", clk.sleeps, want)
	}
}

func TestPacerMaxWait(t *testing.T) {
	p := NewPacer(SpeedRealtime)
	p.SetMaxWait(time.Second)
	clk := &fakeClock{now: time.Unix(0, 0)}
	clk.install(p)
	ctx := context.Background()
	for _, ts := range []int64{0, int64(time.Hour), int64(time.Hour + time.Second/2)} {
		p.Wait(ctx, ts)
	}
	want := []time.Duration{time.Second, 500 * time.Millisecond}
	if !equalDurations(clk.sleeps, want) {
		t.Errorf("sleeps %v, want %v", clk.sleeps, want)
	}
	// Without a cap (the default, --max-gap 0) every gap is kept.
	p = NewPacer(SpeedRealtime)
	clk = &fakeClock{now: time.Unix(0, 0)}
	clk.install(p)
	for _, ts := range []int64{0, int64(time.Hour)} {
		p.Wait(ctx, ts)
	}
	if want := []time.Duration{time.Hour}; !equalDurations(clk.sleeps, want) {
		t.Errorf("no cap: sleeps %v, want %v", clk.sleeps, want)
	}
}

// A cancelled context interrupts a real sleep at once.
func TestPacerCancel(t *testing.T) {
	p := NewPacer(SpeedRealtime)
	ctx, cancel := context.WithCancel(context.Background())
	p.Wait(ctx, 0)
	cancel()
	start := time.Now()
	if err := p.Wait(ctx, int64(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Minute { // an uncancelled Wait takes the hour: a minute only bounds a stall
		t.Errorf("cancelled Wait took %v", d)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPacerClockStep: a gap the probe engine takes for a clock step
// (longer than clock_jump_s forward, or more than StepBackNs back) is not
// waited through: the packet goes out at once and pacing resumes from its
// time. A capture whose second packet is 22 years after its first waited
// 22 years at realtime; one whose clock steps back an hour went out at
// full speed for an hour of capture time. Ordinary gaps keep their wait
// (1 s, 2 s, 1 s here: the capture's own gaps at realtime).
func TestPacerClockStep(t *testing.T) {
	const s = int64(time.Second)
	base := int64(1_100_000_000) * s // 2004
	year := 365 * 86400 * s
	times := []int64{base, base + s, base + 22*year, base + 22*year + 2*s, base + 22*year - 3600*s, base + 22*year - 3599*s}
	p := NewPacer(SpeedRealtime)
	p.SetClockStep(600 * s) // config.DefaultClockJumpS
	clk := &fakeClock{now: time.Unix(5000, 0)}
	clk.install(p)
	for _, ts := range times {
		if err := p.Wait(context.Background(), ts); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{time.Second, 2 * time.Second, time.Second}; !equalDurations(clk.sleeps, want) {
		t.Errorf("sleeps %v, want %v", clk.sleeps, want)
	}
}

// TestPacerWaitingUntil: while a wait sleeps, WaitingUntil gives its end
// (what the progress bar says of a long gap); outside one, false.
func TestPacerWaitingUntil(t *testing.T) {
	p := NewPacer(SpeedRealtime)
	start := time.Unix(5000, 0)
	var during time.Time
	var ok bool
	p.now = func() time.Time { return start }
	p.sleep = func(context.Context, time.Duration) error { during, ok = p.WaitingUntil(); return nil }
	const gap = 3*time.Hour + 20*time.Minute
	if err := p.Wait(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background(), int64(gap)); err != nil {
		t.Fatal(err)
	}
	if !ok || !during.Equal(start.Add(gap)) {
		t.Errorf("during the wait: %v %v, want %v", during, ok, start.Add(gap))
	}
	if _, after := p.WaitingUntil(); after {
		t.Error("WaitingUntil true after the wait")
	}
}
