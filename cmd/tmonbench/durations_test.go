package main

import (
	"path/filepath"
	"testing"
)

// TestDurationEdges: the edge values of the DURATION flags each give one
// usage line (exit 2) naming the offending flag only, in the words of
// nonNegativeDurations (durationErr). A trial of bd57bb8 saw collector
// --write-every 0 taken as 5s, live --write-every 0 refused naming
// --duration too, --block-timeout 1ns refused without the flag's name
// (exit 1), --block-timeout=99999h taken (the first SIGINT then waited
// for a second), and --link-outage -1s@1s and 0@1s called "not
// DURATION@START".
func TestDurationEdges(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	nope := filepath.Join(t.TempDir(), "nope.pcap")
	out := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"collector", "--config", cfg, "--write-every", "0"}, "tmonbench collector: --write-every 0s: want a duration > 0\n"},
		{[]string{"live", "-i", "lo", "--out", out, "--duration", "1s", "--write-every", "0"}, "tmonbench live: --write-every 0s: want a duration > 0\n"},
		{[]string{"live", "-i", "lo", "--out", out, "--duration", "1s", "--block-timeout", "1ns"}, "tmonbench live: --block-timeout 1ns: want 1ms to 1s\n"},
		{[]string{"live", "-i", "lo", "--out", out, "--duration", "1s", "--block-timeout=99999h"}, "tmonbench live: --block-timeout 99999h0m0s: want 1ms to 1s\n"},
		{[]string{"live", "-i", "lo", "--out", out, "--duration", "1s", "--block-timeout=1001ms"}, "tmonbench live: --block-timeout 1.001s: want 1ms to 1s\n"},
		{[]string{"replay", "--out", out, "--link-outage=-1s@1s", nope}, "tmonbench replay: --link-outage -1s@1s: want a duration > 0 before @\n"},
		{[]string{"replay", "--out", out, "--link-outage=0@1s", nope}, "tmonbench replay: --link-outage 0@1s: want a duration > 0 before @\n"},
		{[]string{"replay", "--out", out, "--link-outage=5s@-1s", nope}, "tmonbench replay: --link-outage 5s@-1s: want a start >= 0 after @\n"},
	} {
		code, _, stderr := tmon(t, c.args...)
		if code != 2 || stderr != c.want {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, %q", c.args, code, stderr, c.want)
		}
	}
}

// TestOutageNeverBegan: an outage that starts after the capture's last
// packet warns at the end of the run that it never began (5s@99999h ran
// silently); one that starts within it does not. sparse-900s.pcap spans
// 900 s (capinfos -u: Capture duration 900.000000 seconds).
func TestOutageNeverBegan(t *testing.T) {
	t.Parallel()
	capture := filepath.Join("testdata", "sparse-900s.pcap")
	for _, c := range []struct{ outage, want string }{
		{"5s@99999h", "tmonbench replay: warning: link outage 5s@99999h0m0s never began: the capture ended 15m0s after its first packet\n"},
		{"5s@900001ms", "tmonbench replay: warning: link outage 5s@15m0.001s never began: the capture ended 15m0s after its first packet\n"},
		{"5s@900s", ""},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := tmon(t, "replay", "-q", "--out", out, "--link-outage", c.outage, capture)
		if code != 0 || stderr != c.want {
			t.Errorf("--link-outage %s: exit %d, stderr %q; want exit 0, %q", c.outage, code, stderr, c.want)
		}
	}
}
