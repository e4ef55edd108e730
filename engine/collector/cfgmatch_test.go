package collector

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestProbeConfigMismatch: a probe on interval_s 5 and a collector on
// interval_s 7 ran without a word (a trial), though the probe's RunConfig
// says its configuration hash: the collector writes one
// probe_config_mismatch warning, with both hashes, and a log line, once
// the silence grace passed without a switch-over to the probe's version
// (or at its end). The same config, or a switch-over to the probe's
// version within the grace (a watched config changed: the probe may
// restart first), says nothing.
func TestProbeConfigMismatch(t *testing.T) {
	parse := func(y string) *config.Config {
		cfg, err := config.Parse([]byte(y), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	c5, c7 := parse("interval_s: 5\nprobes: [{name: A}]\n"), parse("interval_s: 7\nprobes: [{name: A}]\n")
	frames := probeFrames(t, c5, "A", "lab/dns-snmp-ntp/A.pcap", 7)
	const t0, grace = int64(1_800_000_000e9), int64(30e9)
	for _, c := range []struct {
		name    string
		coll    *config.Config
		switch5 bool // the collector switches to c5 before the grace ends
		final   bool // the collector finishes before the grace ends
		want    int
	}{
		{"mismatch", c7, false, false, 1},
		{"mismatch, collector finished first", c7, false, true, 1},
		{"same config", c5, false, false, 0},
		{"switch-over", c7, true, false, 0},
	} {
		var log strings.Builder
		coll, err := New(c.coll, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatal(err)
		}
		coll.SetProbes([]uint16{1})
		for _, f := range frames {
			coll.Handle(f)
		}
		coll.Liveness(t0, grace)
		coll.Liveness(t0+grace/2, grace)
		early := coll.Drain().Events
		if c.switch5 {
			if err := coll.Switch(c5); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		if c.final {
			for _, e := range coll.Finish().Events {
				if e.Kind == "probe_config_mismatch" {
					got = append(got, e.Message)
				}
			}
		} else {
			coll.Liveness(t0+grace, grace)
			coll.Liveness(t0+2*grace, grace)
			for _, e := range coll.Drain().Events {
				if e.Kind == "probe_config_mismatch" {
					got = append(got, e.Message)
				}
			}
		}
		for _, e := range early {
			if e.Kind == "probe_config_mismatch" {
				t.Errorf("%s: said within the grace: %s", c.name, e.Message)
			}
		}
		want := "runs configuration " + c5.Hash()[:8] + ", this collector " + c7.Hash()[:8]
		if len(got) != c.want || (c.want == 1 && !strings.Contains(got[0], want)) {
			t.Errorf("%s: probe_config_mismatch events %q, want %d saying %q", c.name, got, c.want, want)
		}
		if logged := strings.Count(log.String(), "probe runs another configuration than this collector"); logged != c.want {
			t.Errorf("%s: %d log lines, want %d:\n%s", c.name, logged, c.want, log.String())
		}
	}
}

// TestProbeConfigMismatchAfterRestart: a collector restarted from its
// journal's checkpoint (SaveState, RestoreState) after a probe's RunConfig
// under another configuration still writes its probe_config_mismatch
// once the grace passed (it forgot it: the RunConfig frame was before the
// checkpoint, so no replayed frame notes it again); one said before the
// checkpoint is not said again.
func TestProbeConfigMismatchAfterRestart(t *testing.T) {
	c5, err := config.Parse([]byte("interval_s: 5\nprobes: [{name: A}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c7, err := config.Parse([]byte("interval_s: 7\nprobes: [{name: A}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	frames := probeFrames(t, c5, "A", "lab/dns-snmp-ntp/A.pcap", 7)
	const t0, grace = int64(1_800_000_000e9), int64(30e9)
	mismatches := func(b *observe.Batch) int {
		n := 0
		for _, e := range b.Events {
			if e.Kind == "probe_config_mismatch" {
				n++
			}
		}
		return n
	}
	for _, saidBefore := range []bool{false, true} {
		a, err := New(c7, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		a.SetProbes([]uint16{1})
		for _, f := range frames {
			a.Handle(f)
		}
		a.Liveness(t0, grace)
		if saidBefore {
			a.Liveness(t0+2*grace, grace)
		}
		before := mismatches(a.Drain())
		state, err := a.SaveState()
		if err != nil {
			t.Fatal(err)
		}
		b, err := New(c7, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		b.SetProbes([]uint16{1})
		if err := b.RestoreState(state); err != nil {
			t.Fatal(err)
		}
		b.Liveness(t0+3*grace, grace)
		b.Liveness(t0+4*grace, grace)
		after := mismatches(b.Drain())
		after += mismatches(b.Finish())
		if before+after != 1 {
			t.Errorf("said before the restart %v: %d probe_config_mismatch events before it, %d after; want one in all", saidBefore, before, after)
		}
	}
}
