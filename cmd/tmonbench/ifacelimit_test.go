package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayRefusesTooManyInterfaces: two pcapngs of 32,769 unnamed
// interfaces each replayed as one probe (--probe P=a --probe P=b) give it
// 65,538 interfaces (if0 .. if65537), two more than a probe can number
// (pkt.Meta.Iface is 16 bits: 0..65535). Each file alone is well within
// the reader's bound, so replay used to run, numbering b's last two
// interfaces 0 and 1 (a's first two): their packets went into a's
// interfaces' flows. Now the replay stops before any packet is read: one
// line naming the probe and its count, exit status 1 (an input problem,
// as a missing file), and no run written.
func TestReplayRefusesTooManyInterfaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcapng"), filepath.Join(dir, "b.pcapng")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, manyIfacesPcapng(32769), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "o")
	code, stdout, stderr := tmon(t, "replay", "-q", "--out", out, "--probe", "P="+a, "--probe", "P="+b, "--probe", "Q="+a)
	want := "too many interfaces: probe P: its captures describe 65538 interfaces, at most 65536 (numbered 0 to 65535): give some of its files a probe of their own (--probe NAME=FILE)"
	if fault := errFault(t, "replay", stderr); code != 1 || fault != want || strings.Count(stderr, "\n") != 1 || stdout != "" {
		t.Fatalf("replay: exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		t.Errorf("the refused replay wrote %d entries into --out (%s ...)", len(ents), ents[0].Name())
	}
}
