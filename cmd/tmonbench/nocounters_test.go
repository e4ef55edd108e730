package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestNoCountersWarnedAtStart: a class whose analyses leave counters out
// writes fewer flow_counters rows than such a file wrote before
// 2026-12-06 (docs/configuration.md); config --effective, replay, probe
// and live say so once at start, in the same words (config.Warnings,
// printed by loadChecked). Only the documentation said it: the run said
// nothing.
func TestNoCountersWarnedAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "nc.yaml")
	os.WriteFile(cfg, []byte("interval_s: 1\ncollectors: [{name: c, address: \"127.0.0.1:9\"}]\nclasses:\n  - name: web\n    filter: tcp\n    analyses: [tcp, rtt, ftp]\n"), 0o644)
	line := ": warning: " + cfg + ": class web leaves counters out of its analyses: no packet, byte or protocol counters in flow_counters for its flows, only other analyses' metrics (until 2026-12-06 every class counted); add counters to its analyses to keep them\n"
	pcap := testsamples.Path(t, "lab", "ftp", "A.pcap")
	runs := map[string][]string{
		"config": {"config", "--effective", "--config", cfg},
		"replay": {"replay", "-q", "--config", cfg, "--out", filepath.Join(dir, "r"), pcap},
		"probe":  {"probe", "--config", cfg, "--name", "A", "--pcap", pcap, "--speed", "full", "--linger", "100ms", "--state-dir", ""},
	}
	for cmd, args := range runs {
		checkNoCountersWarned(t, cmd, args, line)
	}
}

// TestLiveNoCountersWarned: live too (TestNoCountersWarnedAtStart).
func TestLiveNoCountersWarned(t *testing.T) {
	netlab.Need(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "nc.yaml")
	os.WriteFile(cfg, []byte("interval_s: 1\ncollectors: [{name: c, address: \"127.0.0.1:9\"}]\nclasses:\n  - name: web\n    filter: tcp\n    analyses: [tcp, rtt, ftp]\n"), 0o644)
	line := ": warning: " + cfg + ": class web leaves counters out of its analyses: no packet, byte or protocol counters in flow_counters for its flows, only other analyses' metrics (until 2026-12-06 every class counted); add counters to its analyses to keep them\n"
	checkNoCountersWarned(t, "live", []string{"live", "-i", "lo", "--config", cfg, "--out", filepath.Join(dir, "l"), "--name", "h", "--duration", "200ms"}, line)
}

// checkNoCountersWarned runs tmonbench with args and wants line, after
// "tmonbench CMD", once on its stderr, and a success (probe: exit 1, as
// no collector listens at the config's address to acknowledge its PDUs).
func checkNoCountersWarned(t *testing.T, cmd string, args []string, line string) {
	t.Helper()
	code, _, stderr := tmon(t, args...)
	if n := strings.Count(stderr, "tmonbench "+cmd+line); n != 1 || (code != 0) != (cmd == "probe") {
		t.Errorf("%s: exit %d, the warning %d times, want once:\n%s", cmd, code, n, stderr)
	}
}
