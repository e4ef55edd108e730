package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestRunJSONEffectiveConfig: run.json's config is the effective
// configuration, the text `config --effective` prints but for the keys
// (redacted), for a replay and a collector on samples/dist.yaml. A trial
// read max_build_s: 0, initial_timeout_s: 0, ... spool_max_mb: 0 in both,
// where config --effective says 1, 2, 1, 1.5, 5, 30, 10, 10, 4, 1024 (the
// defaults of pdu.DefaultSenderConfig and pdu.SenderConfigFor).
func TestRunJSONEffectiveConfig(t *testing.T) {
	t.Parallel()
	dist := filepath.Join("..", "..", "samples", "dist.yaml")
	code, effective, stderr := tmon(t, "config", "--effective", "--config", dist)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, v := range []string{"max_build_s: 1\n", "initial_timeout_s: 2\n", "timeout_increment_s: 1\n", "timeout_multiplier: 1.5\n", "max_retries: 5\n",
		"break_border_s: 30\n", "heartbeat_s: 10\n", "backlog_s: 10\n", "max_permanent_mb: 4\n", "spool_max_mb: 1024\n"} {
		if !strings.Contains(effective, "    "+v) {
			t.Errorf("config --effective has no %q:\n%s", v, effective)
		}
	}
	want := strings.NewReplacer("key: secret-a\n", "key: redacted\n", "key: secret-b\n", "key: redacted\n").Replace(effective)
	dir := t.TempDir()
	replayOut := filepath.Join(dir, "replay")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", dist, "--out", replayOut, "--probe", "A="+filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	if m, err := store.ReadManifest(replayOut); err != nil || m.Config != want {
		t.Errorf("replay's run.json config (%v):\n%s\nwant (config --effective, keys redacted):\n%s", err, m.Config, want)
	}
	collOut := filepath.Join(dir, "collector")
	startCollector(t, testout.Binary(t), dist, collOut, "--listen", freeUDPPort(t))
	var m store.Manifest
	var err error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if m, err = store.ReadManifest(collOut); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || m.Config != want {
		t.Errorf("collector's run.json config (%v):\n%s\nwant (config --effective, keys redacted):\n%s", err, m.Config, want)
	}
}
