package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntervalNotTilingWarned: an interval that does not tile the minute
// (--interval 7, interval_s: 90) is run, with a warning saying what the
// 1-minute rollups then do; a fraction in the file is refused naming the
// key, as --interval's is (TestFlagRefusals). 60 % 7 = 1 and 90 % 60 = 30:
// neither tiles.
func TestIntervalNotTilingWarned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	code, _, stderr := tmon(t, "replay", "-q", "--interval", "7", "--out", filepath.Join(dir, "a"), wiki)
	if code != 0 || !strings.Contains(stderr, "warning: interval 7 s (interval_s or --interval) does not divide a minute") {
		t.Errorf("--interval 7: exit %d, %s", code, stderr)
	}
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("interval_s: 90\n"), 0o644)
	code, _, stderr = tmon(t, "replay", "-q", "--config", cfg, "--out", filepath.Join(dir, "b"), wiki)
	if code != 0 || !strings.Contains(stderr, "warning: interval 90 s (interval_s or --interval) is not a whole number of minutes") {
		t.Errorf("interval_s: 90: exit %d, %s", code, stderr)
	}
	code, _, stderr = tmon(t, "replay", "-q", "--interval", "15", "--out", filepath.Join(dir, "c"), wiki)
	if code != 0 || stderr != "" {
		t.Errorf("--interval 15: exit %d, %q", code, stderr)
	}
	os.WriteFile(cfg, []byte("interval_s: 2.5\n"), 0o644)
	code, _, stderr = tmon(t, "replay", "-q", "--config", cfg, "--out", filepath.Join(dir, "d"), wiki)
	if code == 0 || !strings.Contains(stderr, "c.yaml:1:1: interval_s: must be a whole number of seconds, got 2.5") {
		t.Errorf("interval_s: 2.5: exit %d, %s", code, stderr)
	}
}
