package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// TestHealthEventsKeepOrder: events that Options.Health reports in one
// call (live: an interface set up and down again within one check) get
// increasing times, so the events table, sorted by time then kind, keeps
// their order: at one time, up then down read down then up (the
// interface seemed up while it was down).
func TestHealthEventsKeepOrder(t *testing.T) {
	path := filepath.Join(samplesDir(t), "lab", "tcp-mix", "A.pcap")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	src, err := replay.NewReader(f, path, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
		Config: config.Default(), Probes: []probe.Identity{{Name: "A"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		Health: func(event func(int, uint8, string, string, uint64)) {
			if calls++; calls == 1 {
				event(0, pdu.SevInfo, "capture_interface_up", "eth0 is up again", 0)
				event(0, pdu.SevWarning, "capture_interface_down", "eth0 is down", 0)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	times := map[string]int64{}
	for _, e := range res.Batch.Events {
		if e.Source == "probe:A" && (e.Kind == "capture_interface_up" || e.Kind == "capture_interface_down") {
			times[e.Kind] = e.Time
		}
	}
	if len(times) != 2 || times["capture_interface_up"] >= times["capture_interface_down"] {
		t.Errorf("times %v (%d Health calls): the down reported after the up must come later", times, calls)
	}
}
