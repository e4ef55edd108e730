package main

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/netlab"
)

// eventSink keeps the events a run writes (an observe.Sink).
type eventSink struct {
	mu     sync.Mutex
	events []observe.Event
}

func (s *eventSink) Write(b *observe.Batch) error {
	s.mu.Lock()
	s.events = append(s.events, b.Events...)
	s.mu.Unlock()
	return nil
}

func (s *eventSink) Commit() error { return nil }

// TestLiveSwitchFailureGoesOn: a version accepted that the engines then
// cannot start with (acceptConfig refuses such a filter; here the version
// is put in the switcher by hand, its filter broken after validation, as a
// check the validation lacks would let through) does not end the live
// capture: a config_rejected event says it could not start, the capture
// goes on under the previous version (a second probe_start) and ends as
// any, with its capture_stop and a result for the summary. A trial's live
// exited 1 four seconds into the capture, without either.
func TestLiveSwitchFailureGoesOn(t *testing.T) {
	netlab.Need(t)
	src, infos := loopbackCapture(t)
	running, err := config.Parse([]byte("interval_s: 1\n"), "live.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken, err := config.Parse([]byte("interval_s: 1\nclasses:\n  - name: web\n    filter: \"tcp port 80\"\n"), "live.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken.Classes[1].Filter = "tcp portt 80" // after validation: what a gap in acceptConfig would let through
	sw := &switcher{path: "live.yaml", current: running.Hash(), pending: broken}
	lr, sink, said := switchingRun(t, src, infos, sw)
	res, err := lr.run(context.Background(), running)
	if err != nil || res == nil {
		t.Fatalf("run: %v, result %v (want the capture to go on to its end)\nsaid:\n%s", err, res, said.String())
	}
	kinds := map[string]int{}
	for _, e := range sink.events {
		kinds[e.Kind]++
		if e.Kind == "config_rejected" {
			want := "configuration " + broken.Hash() + ` could not start: live.yaml:4: class "web": filter "tcp portt 80": expected 'and' or 'or' before "portt" at offset 4: configuration ` + running.Hash() + " goes on"
			if e.Message != want {
				t.Errorf("config_rejected %q\nwant %q", e.Message, want)
			}
		}
	}
	if kinds["config_rejected"] != 1 || kinds["capture_stop"] != 1 || kinds["probe_start"] != 2 || kinds["probe_stop"] != 2 {
		t.Errorf("events %v: want one config_rejected, one capture_stop, two probe_start and probe_stop", kinds)
	}
	if !strings.Contains(said.String(), "tmonbench live: warning: configuration "+broken.Hash()+" could not start: ") {
		t.Errorf("stderr does not say the version could not start:\n%s", said.String())
	}
	if sw.current != running.Hash() {
		t.Errorf("the switcher's running version %s, want %s (the one that goes on)", sw.current, running.Hash())
	}
}
