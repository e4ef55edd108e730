package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeSaysReplacedReplay: "tmonbench merge --out st gz" over the
// output st of a replay replaced it without a word (a trial meant to merge
// gz into st: st's probe was gone from every table). merge still replaces
// a replay's output as a replay does, but says what it held, as live
// does (replacedNote); not when the output is one of its sources (merge
// --out A A B keeps A's rows), nor over a previous merge of the same
// sources (the same command again: every row made again). Over an earlier
// merge of other sources it says so too: "merge --out m a" then "merge
// --out m b" replaced m, a's rows gone, without a word, where over a
// replay's output it warned.

func TestMergeSaysReplacedReplay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pcaps := filepath.Join("..", "..", "testdata", "pcap")
	replayTo := func(out, pcap string) string {
		out = filepath.Join(dir, out)
		if code, _, stderr := tmon(t, "replay", "--progress", "never", "-q", "--out", out, filepath.Join(pcaps, pcap)); code != 0 {
			t.Fatalf("replay %s: %d %s", pcap, code, stderr)
		}
		return out
	}
	a := replayTo("a", filepath.Join("dns", "tcpdump_dns_udp.pcap"))
	b := replayTo("b", filepath.Join("ntp", "tcpdump_ntp.pcap"))
	merged := filepath.Join(dir, "m")
	for _, c := range []struct {
		args []string
		want string // "": no warning
	}{
		{[]string{"--out", a, b}, "tmonbench merge: warning: " + a + " held the output of tmonbench replay of " + filepath.Join(pcaps, "dns", "tcpdump_dns_udp.pcap") + " (finished "},
		{[]string{"--out", b, b, a}, ""},
		{[]string{"--out", merged, a}, ""},
		{[]string{"--out", merged, a}, ""},
		{[]string{"--out", merged, b}, "tmonbench merge: warning: " + merged + " held the output of tmonbench merge of " + a + " (finished "},
		{[]string{"--out", merged, a, b}, "tmonbench merge: warning: " + merged + " held the output of tmonbench merge of " + b + " (finished "},
		{[]string{"--out", merged, b, a}, ""},
	} {
		code, _, stderr := tmon(t, append([]string{"merge", "-q"}, c.args...)...)
		if code != 0 {
			t.Fatalf("merge %v: %d %s", c.args, code, stderr)
		}
		if c.want == "" && stderr != "" || c.want != "" && !strings.HasPrefix(stderr, c.want) {
			t.Errorf("merge %v: stderr %q, want %q", c.args, stderr, c.want)
		}
	}
}
