package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/internal/netlab"
)

// TestLiveKeyOnlyNoRestart: a version of live's config that changes only a
// probe key (the hash leaves keys out) is taken without stopping the
// engines: live's probe and collector are in one process, and the keys
// sign only their in-process link. One run (one probe_start, one
// probe_stop, no config_switch_stop), a config_switch_start and a line
// that say why, and the watcher's running version is the new one (a
// later edit is compared with it). It restarted the probe and collector
// as any switch-over did (two probe_start and probe_stop).
func TestLiveKeyOnlyNoRestart(t *testing.T) {
	netlab.Need(t)
	src, infos := loopbackCapture(t)
	const v = "interval_s: 1\nprobes: [{name: sw, key: KEY}]\n"
	running, err := config.Parse([]byte(strings.Replace(v, "KEY", "k1", 1)), "live.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := config.Parse([]byte(strings.Replace(v, "KEY", "k2", 1)), "live.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if running.Hash() != rotated.Hash() || versionOf(running) == versionOf(rotated) {
		t.Fatalf("the versions differ by more than their keys (hash %s, %s)", running.Hash(), rotated.Hash())
	}
	sw := &switcher{path: "live.yaml", current: versionOf(running), pending: rotated}
	lr, sink, said := switchingRun(t, src, infos, sw)
	res, err := lr.run(context.Background(), running)
	if err != nil || res == nil {
		t.Fatalf("run: %v, result %v\nsaid:\n%s", err, res, said.String())
	}
	want := "configuration " + running.Hash() + " in effect (at once: no valid_from), replacing " + running.Hash() +
		" (its probe keys before the change; applied without a restart: the keys sign only live's in-process link)"
	kinds := map[string]int{}
	for _, e := range sink.events {
		kinds[e.Kind]++
		if e.Kind == "config_switch_start" && e.Message != want {
			t.Errorf("config_switch_start %q\nwant %q", e.Message, want)
		}
	}
	if kinds["probe_start"] != 1 || kinds["probe_stop"] != 1 || kinds["config_switch_start"] != 1 || kinds["config_switch_stop"] != 0 || kinds["capture_stop"] != 1 {
		t.Errorf("events %v: want one probe_start, probe_stop, config_switch_start and capture_stop, no config_switch_stop", kinds)
	}
	if !strings.Contains(said.String(), "tmonbench live: "+want+"\n") {
		t.Errorf("stderr does not say the keys were taken without a restart:\n%s", said.String())
	}
	if sw.current != versionOf(rotated) || string(lr.running.ProbeKey("sw")) != "k2" {
		t.Errorf("the running version after the key change is not the rotated one")
	}
}
