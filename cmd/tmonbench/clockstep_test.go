package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// TestRealtimeSkipsClockStep: at --speed realtime, a capture whose second
// packet is 22 years after its first (more than clock_jump_s, 600 s by
// default: the engine raises capture_time_jump, "taken for a clock step")
// replays without waiting the 22 years: the pacer takes the step as the
// engine does (replay.Pacer.SetClockStep). The 1 s gap before the step is
// kept. Without the step, the replay still sleeps when the minute is up.
func TestRealtimeSkipsClockStep(t *testing.T) {
	const t0 = int64(1_100_000_000e9) // 2004-11-09
	const year = int64(365 * 86400e9)
	udp := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("x")}.Frame()
	dir := t.TempDir()
	path := filepath.Join(dir, "step.pcap")
	frames := []capgen.Frame{{TimeNs: t0, Data: udp}, {TimeNs: t0 + 1e9, Data: udp}, {TimeNs: t0 + 1e9 + 22*year, Data: udp}}
	if err := os.WriteFile(path, capgen.PCAP(frames, true), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan string, 1)
	go func() {
		code, stdout, stderr := tmon(t, "replay", "--speed", "realtime", "--progress", "never", "--out", filepath.Join(dir, "o"), path)
		if code != 0 {
			stdout += stderr
		}
		done <- stdout
	}()
	select {
	case out := <-done:
		if !strings.Contains(out, "packets read               3") {
			t.Errorf("summary:\n%s", out)
		}
	case <-ctx.Done():
		t.Fatal("realtime replay still waiting a minute after its start: the 22-year clock step is being waited through")
	}
}

// TestBarSaysLongWait: while the pacer sleeps through a long gap, the bar
// says so ("waiting 3 h 20 min for the next packet"), rather than freezing
// as a hung replay would.
func TestBarSaysLongWait(t *testing.T) {
	p := &progress{}
	pace := p.pace(replay.NewPacer(replay.SpeedRealtime))
	ctx, cancel := context.WithCancel(context.Background())
	const t0 = int64(1_700_000_000e9)
	if err := pace(ctx, t0); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- pace(ctx, t0+int64(3*time.Hour+20*time.Minute)) }()
	for {
		if _, ok := p.pacer.WaitingUntil(); ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	m := meter{}
	m.add(time.Now(), p.packets.Load(), 0)
	line := m.line(p, true)
	cancel()
	<-waited
	if !strings.Contains(line, " | waiting 3 h 20 min for the next packet (--max-gap caps gaps)") {
		t.Errorf("bar during a 3 h 20 min wait: %q", line)
	}
	for d, want := range map[time.Duration]string{12 * time.Second: "12 s", 250 * time.Second: "4 min 10 s", 3*time.Hour + 19*time.Minute + 40*time.Second: "3 h 20 min"} {
		if got := roughDuration(d); got != want {
			t.Errorf("roughDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
