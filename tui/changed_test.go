package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestChangedCapture: a capture file overwritten by another after its
// replay: the Packets screen says the file changed since the run, with
// its size now (os.Stat) and the size run.json recorded, instead of "(no
// packet of this flow ...)" and a "capture malformed" error from reading
// the other file at the index's offsets.
func TestChangedCapture(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "A.pcap")
	copyFile := func(from string) int64 {
		b, err := os.ReadFile(capture(t, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pcap, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return int64(len(b))
	}
	was := copyFile(ftpLab)
	out := filepath.Join(dir, "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, pcap)
	now := copyFile("lab/tcp-mix/A.pcap")
	if now == was {
		t.Fatalf("the two captures have the same size %d", now)
	}
	m, press, _ := screenModel(t, out)
	press("4", "enter")
	press("p")
	want := fmt.Sprintf("capture file %s changed since the run (size %d bytes, was %d): packets cannot be read back", pcap, now, was)
	if !strings.HasPrefix(m.e.errMsg, want) {
		t.Fatalf("error %q, want %q", m.e.errMsg, want)
	}
}
