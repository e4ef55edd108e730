package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCapturesFdNames: a capture given as an open file descriptor's path
// (bash's `tmonbench replay <(cat x.pcap)` passes /dev/fd/63) is named
// after what the descriptor is open on, as "-" is named "stdin": "pipe"
// for a pipe (two pipes: "pipe", "pipe-2"), the file for a file
// (3<x.pcap: "x"), "stdin" for descriptor 0, whatever the spelling
// (/dev/fd/N, /proc/self/fd/N, /proc/PID/fd/N). Before, the probe was
// named after the descriptor's number: "63".
func TestCapturesFdNames(t *testing.T) {
	r1, w1, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	defer w1.Close()
	r2, w2, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	defer w2.Close()
	x := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(x, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(x)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p1 := fmt.Sprintf("/dev/fd/%d", r1.Fd())
	p2 := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), r2.Fd())
	pf := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	caps, err := Captures([]string{p1, p2, pf, "/dev/fd/0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{p1: "pipe", p2: "pipe-2", pf: "x", "/dev/fd/0": "stdin"}
	if len(caps) != len(want) {
		t.Fatalf("%d captures, want %d", len(caps), len(want))
	}
	for _, c := range caps {
		if c.Probe != want[c.Path] {
			t.Errorf("%s: probe %q, want %q", c.Path, c.Probe, want[c.Path])
		}
	}
	for _, p := range []string{"/dev/fd", "/dev/fd/x1", "/proc/self/fdx/3", "/proc/x/fd/3", "/tmp/63"} {
		if _, ok := fdNumber(p); ok {
			t.Errorf("fdNumber(%q): a descriptor, want none", p)
		}
	}
}
