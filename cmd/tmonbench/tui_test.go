package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTUINoOutput: tmonbench tui over a folder without output (or none)
// says what to run and exits with status 1 before starting the UI.
func TestTUINoOutput(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "none")} {
		code, _, stderr := tmon(t, "tui", "--out", dir)
		if want := "tmonbench tui: no tmonbench output in " + dir + ": run tmonbench replay FILE first\n"; code != 1 || stderr != want {
			t.Errorf("%s: status %d, stderr %q, want 1 and %q", dir, code, stderr, want)
		}
		if strings.Contains(stderr, "\x1b[") {
			t.Errorf("%s: the UI started", dir)
		}
	}
}

// TestTUIKeyErrorsNameLine: a tui.keys remap the TUI refuses (an unknown
// action, a key bound to two actions) names the config file's line and
// field, as every other config error does (they named no line).
func TestTUIKeyErrorsNameLine(t *testing.T) {
	out := replayed(t)
	cfg := filepath.Join(t.TempDir(), "keys.yaml")
	for _, c := range []struct{ keys, want string }{
		{"    quit: [x]\n    nosuch: [y]\n", cfg + `:5:5: tui.keys.nosuch: unknown key action "nosuch" (known: back, `},
		{"    help: [\"?\"]\n    quit:\n      - x\n      - \"?\"\n", cfg + `:7:9: tui.keys.quit: key "?" is bound to both help and quit: remap one of them in tui.keys`},
	} {
		if err := os.WriteFile(cfg, []byte("interval_s: 60\ntui:\n  keys:\n"+c.keys), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := tmon(t, "tui", "--out", out, "--config", cfg)
		if code != 1 || !strings.HasPrefix(stderr, "tmonbench tui: "+c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: status %d, stderr %q, want 1 and %q", c.keys, code, stderr, c.want)
		}
	}
}

// TestReplayTUIBadKeysTouchNothing: replay --tui with a tui.keys remap the
// TUI refuses stops before the run, naming the line: a previous output is
// left as it was (it was replaced by an interrupted run, then the error).
func TestReplayTUIBadKeysTouchNothing(t *testing.T) {
	out := replayed(t)
	before := treeOf(t, out)
	cfg := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(cfg, []byte("tui:\n  keys:\n    nosuch: [y]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := tmon(t, "replay", "--tui", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_ntp.pcap"))
	if want := "tmonbench replay: " + cfg + `:3:5: tui.keys.nosuch: unknown key action "nosuch"`; code != 1 || !strings.HasPrefix(stderr, want) {
		t.Errorf("status %d, stderr %q, want 1 and %q", code, stderr, want)
	}
	sameTree(t, out, before)
}

// TestNoOutputNamesCollectorOut: in a folder where a collector ran with
// its default --out (./tmon-collector) and no replay, query and tui over
// their default ./tmon-out say where the output is instead of asking for
// a replay (they said "run tmonbench replay first").
func TestNoOutputNamesCollectorOut(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	want := "no tmonbench output in ./tmon-out; ./tmon-collector holds a collector's output: --out ./tmon-collector\n"
	for _, args := range [][]string{{"query", "summary"}, {"tui"}} {
		if code, _, stderr := tmon(t, args...); code != 1 || !strings.HasSuffix(stderr, "run tmonbench replay FILE first\n") && !strings.HasSuffix(stderr, "(run `tmonbench replay` first)\n") {
			t.Errorf("%v with no output anywhere: status %d, stderr %q, want 1 and the replay hint", args, code, stderr)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "tmon-collector"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmon-collector", "run.json"), []byte(`{"mode":"collector"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"query", "summary"}, {"tui"}} {
		if code, _, stderr := tmon(t, args...); code != 1 || stderr != "tmonbench "+args[0]+": "+want {
			t.Errorf("%v: status %d, stderr %q, want 1 and %q", args, code, stderr, "tmonbench "+args[0]+": "+want)
		}
	}
}
