package pipeline_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// noPackets is a source that ends at once (a live capture stopped before
// its first packet).
type noPackets struct{}

func (noPackets) Next() ([]byte, pkt.Meta, error) { return nil, pkt.Meta{}, io.EOF }
func (noPackets) Close() error                    { return nil }

// kindsAt returns the events' kinds in the events table's order (time,
// source, kind, message) with their times less t0.
func kindsAt(ev []observe.Event, t0 int64) []string {
	ev = slices.Clone(ev)
	slices.SortStableFunc(ev, func(a, b observe.Event) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Message, b.Message))
	})
	var out []string
	for _, e := range ev {
		if e.Kind == "probe_start" || e.Kind == "capture_stop" || e.Kind == "probe_stop" || e.Kind == "run_interrupted" {
			out = append(out, fmt.Sprintf("%s@%d", e.Kind, e.Time-t0))
		}
	}
	return out
}

// TestEndEventsBeforeProbeStop: what Options.End reports (live: each
// interface's capture_stop) is an event of the probe at its clock, before
// its probe_stop; live added it at Finish with the wall clock, after
// probe_stop. A capture that ends before its first packet or idle tick
// gave End's events to a probe that had not started: at 1 ns (1970), and
// the probe then started at that time. It now starts at Options.Wall's
// time (the probe starts with the capture), and its events read
// probe_start, capture_stop 1 ns later, probe_stop 1 ns after that.
func TestEndEventsBeforeProbeStop(t *testing.T) {
	const wall = int64(1_800_000_000e9)
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: noPackets{}}}, pipeline.Options{
		Config: config.Default(), Probes: []probe.Identity{{Name: "L"}}, Merge: merge,
		Wall: func() int64 { return wall },
		End: func(event func(int, uint8, string, string, uint64)) {
			event(0, pdu.SevInfo, "capture_stop", "lo: 0 packets", 0)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := kindsAt(res.Batch.Events, wall)
	if want := []string{"probe_start@0", "capture_stop@1", "probe_stop@2"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestInterruptedBeforeFirstPacket: a run interrupted before its first
// packet stamped run_interrupted at the last packet's time, 0: 1970. It is
// now at Options.StartedNs, the wall clock of the run's start.
func TestInterruptedBeforeFirstPacket(t *testing.T) {
	const started = int64(1_800_000_000e9)
	f := openCapture(t, filepath.Join(samplesDir(t), "lab", "tcp-mix", "A.pcap"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := pipeline.Run(ctx, []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: config.Default(), Probes: []probe.Identity{{Name: "A"}}, Merge: merge, StartedNs: started,
	})
	if res == nil || !res.Interrupted {
		t.Fatalf("run: %v, want interrupted", err)
	}
	if got := kindsAt(res.Batch.Events, started); !slices.Equal(got, []string{"run_interrupted@0"}) {
		t.Errorf("events %v, want run_interrupted at the run's start", got)
	}
}
