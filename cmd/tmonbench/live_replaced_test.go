//go:build linux

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestLiveSaysReplacedReplay: tmonbench live --out over a replay's output
// replaces it (docs/live.md) and says so on stderr, naming the replay,
// its captures and when it finished (a trial lost a replay in the shared
// default ./tmon-out without a word).
func TestLiveSaysReplacedReplay(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	bin := testout.Binary(t)
	out := filepath.Join(t.TempDir(), "out")
	capture := filepath.Join("..", "..", "samples", "zeek_ntp.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, capture); code != 0 {
		t.Fatalf("replay: %s", stderr)
	}
	cmd, stderr := startLive(t, lab.B, bin, "-i", lab.IfB, "--out", out, "--name", "labB")
	stopLive(t, cmd, stderr)
	want := "tmonbench live: warning: " + out + " held the output of tmonbench replay of "
	line := ""
	for l := range strings.SplitSeq(stderr.String(), "\n") {
		if strings.HasPrefix(l, want) {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "zeek_ntp.pcap (finished 20") || !strings.Contains(line, ": replaced by this run's") {
		t.Errorf("live over a replay's output said:\n%s\nwant a line %q naming zeek_ntp.pcap, when it finished, and replaced", stderr.String(), want)
	}
}
