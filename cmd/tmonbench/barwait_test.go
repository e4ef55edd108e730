package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/replay"
)

// TestBarSaysWaitToItsEnd: the bar said "waiting 7 s for the next packet"
// at the start of a 7 s gap (replay --speed realtime --progress always of
// three packets 7 s apart), counted down to 5 s, then said nothing for the
// last 5 s, the capture time standing still as in a hung replay: it
// tested the time left, not the wait's length. A wait of 5 s or more is
// now said to its end; a shorter one never is.
func TestBarSaysWaitToItsEnd(t *testing.T) {
	wait := func(gap time.Duration) (*progress, time.Time, func()) {
		p := &progress{}
		pace := p.pace(replay.NewPacer(replay.SpeedRealtime))
		ctx, cancel := context.WithCancel(context.Background())
		const t0 = int64(1_700_000_000e9)
		if err := pace(ctx, t0); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- pace(ctx, t0+int64(gap)) }()
		for {
			if until, ok := p.pacer.WaitingUntil(); ok {
				return p, until, func() { cancel(); <-waited }
			}
			time.Sleep(time.Millisecond)
		}
	}
	p, until, stop := wait(7 * time.Second)
	defer stop()
	m := meter{}
	for _, c := range []struct {
		left time.Duration
		want string // "" : no waiting
	}{{7 * time.Second, "waiting 7 s "}, {4 * time.Second, "waiting 4 s "}, {time.Second, "waiting 1 s "}, {300 * time.Millisecond, "waiting 1 s "}, {-time.Second, ""}} {
		m.add(until.Add(-c.left), p.packets.Load(), 0)
		line := m.line(p, true)
		if got := strings.Contains(line, " | waiting "); got != (c.want != "") || c.want != "" && !strings.Contains(line, " | "+c.want) {
			t.Errorf("%v before the end of a 7 s wait: %q, want %q", c.left, line, c.want)
		}
	}
	p, until, stop2 := wait(3 * time.Second)
	defer stop2()
	m = meter{}
	m.add(until.Add(-3*time.Second), p.packets.Load(), 0)
	if line := m.line(p, true); strings.Contains(line, "waiting") {
		t.Errorf("a 3 s wait is said: %q", line)
	}
}
