package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// TestProbeWithoutValidTimes: a capture all of whose packets are stamped
// in 2262 (pkt.ValidTime: after 2116), three UDP datagrams, never starts
// its probe (each packet is dropped: no earlier packet gives it a time).
// The probe held its capture_time_invalid events for a start that never
// came and dropped them with its totals: the replay's events table was
// empty, where `tmonbench probe` on the same file (started at the wall
// clock, probe.Run) has them all. The pipeline now starts such a probe
// at Options.StartedNs, the replay's start (the time the run's own events
// take without a packet time, replayTime), so they read probe_start,
// the three capture_time_invalid, the totals (probe_totals time_invalid=3),
// probe_stop; with 2 workers too (the workers held them, Workers.Held
// counted only its own).
func TestProbeWithoutValidTimes(t *testing.T) {
	const started = int64(1_800_000_000e9)
	const year2262 = 9_223_372_036_000_000_000
	d := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("x")}.Frame()
	path := filepath.Join(t.TempDir(), "late.pcapng")
	if err := os.WriteFile(path, capgen.PCAPNG([][]string{{"eth0"}}, []capgen.Frame{{TimeNs: year2262, Data: d}, {TimeNs: year2262, Data: d}, {TimeNs: year2262, Data: d}}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{0, 2} {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: config.Default(), Probes: []probe.Identity{{Name: "P"}}, Merge: merge, StartedNs: started, Workers: workers,
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkStartedLate(t, fmt.Sprintf("workers %d", workers), res, started)
	}
}

// checkStartedLate checks the events of TestProbeWithoutValidTimes.
func checkStartedLate(t *testing.T, name string, res *pipeline.Result, started int64) {
	t.Helper()
	n := map[string]int{}
	for _, e := range res.Batch.Events {
		n[e.Kind]++
		if e.Time < started {
			t.Errorf("%s: %s at %d, before the replay's start %d", name, e.Kind, e.Time, started)
		}
		if e.Kind == "capture_time_invalid" && e.Severity != observe.SevError {
			t.Errorf("%s: capture_time_invalid %+v, want an error", name, e)
		}
	}
	if n["probe_start"] != 1 || n["capture_time_invalid"] != 3 || n["probe_totals"] != 1 || n["probe_stop"] != 1 {
		t.Errorf("%s: events %v, want probe_start, 3 capture_time_invalid, probe_totals, probe_stop", name, n)
	}
	if got := kindsAt(res.Batch.Events, started); len(got) < 2 || got[0] != "probe_start@0" || got[len(got)-1][:len("probe_stop")] != "probe_stop" {
		t.Errorf("%s: events %v, want probe_start at the replay's start first, probe_stop last", name, got)
	}
	if len(res.Started) != 1 || !res.Started[0] {
		t.Errorf("%s: Started %v, want the probe started", name, res.Started)
	}
}
