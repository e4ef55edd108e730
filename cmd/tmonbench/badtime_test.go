package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestReplayInvalidTimesSpanAndEvents: a capture whose packets are
// stamped after 2116 (pkt.ValidTime; a trial made one with every time
// pushed 4.4e9 s on) had its summary's capture span and the replay's own
// events taken from those times: --filter's replay_filter event was in
// 2150, and the span of 10 valid packets followed by 126 such ones read
// "4400000006.379 s". The span and the replay's events now take only
// valid times: none at all gives the replay's start (the wall clock) and
// "capture span none"; valid then invalid gives the span of the valid
// packets read (1 s here, by construction; --filter's are not read).
func TestReplayInvalidTimesSpanAndEvents(t *testing.T) {
	t.Parallel()
	const t0 = int64(1_700_000_000e9)
	const year2262 = int64(9_223_372_036_000_000_000)
	kept := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("x")}.Frame()
	left := capgen.UDP{Src: capgen.AP("192.0.2.1:5000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("y")}.Frame()
	dir := t.TempDir()
	write := func(name string, frames ...capgen.Frame) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, capgen.PCAPNG([][]string{{"eth0"}}, frames), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	late := write("late.pcapng", capgen.Frame{TimeNs: year2262, Data: kept}, capgen.Frame{TimeNs: year2262, Data: left}, capgen.Frame{TimeNs: year2262, Data: kept})
	out := filepath.Join(dir, "late")
	before := time.Now().UnixNano()
	code, stdout, stderr := tmon(t, "replay", "--progress", "never", "--out", out, "--filter", "udp port 4000", late)
	after := time.Now().UnixNano()
	if code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "  capture span            none    (no packet has a valid capture time: capture_time_invalid)\n") {
		t.Errorf("summary of a capture without a valid time:\n%s", stdout)
	}
	got := csvQuery(t, out, fmt.Sprintf("select kind, count, epoch_ns(time) between %d and %d at_start from events where source = 'replay'", before, after))
	if got != "kind,count,at_start\nreplay_filter,1,true\n" {
		t.Errorf("the replay's events of a capture without a valid time:\n%s", got)
	}
	mixed := write("mixed.pcapng", capgen.Frame{TimeNs: t0, Data: kept}, capgen.Frame{TimeNs: t0 + 5e8, Data: left}, capgen.Frame{TimeNs: t0 + 1e9, Data: kept},
		capgen.Frame{TimeNs: year2262, Data: kept})
	out = filepath.Join(dir, "mixed")
	if code, stdout, stderr = tmon(t, "replay", "--progress", "never", "--out", out, "--filter", "udp port 4000", mixed); code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "  capture span           1.000 s\n") {
		t.Errorf("summary of 2 packets read 1 s apart, then one after 2116:\n%s", stdout)
	}
	if got := csvQuery(t, out, "select kind, count, epoch_ns(time) t from events where source = 'replay'"); got != fmt.Sprintf("kind,count,t\nreplay_filter,1,%d\n", t0) {
		t.Errorf("the replay's events, want at the first packet's time %d:\n%s", t0, got)
	}
}
