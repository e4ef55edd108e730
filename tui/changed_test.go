package tui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
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

// TestUnindexedPipe: a run that read its capture from a pipe (a FIFO,
// /dev/stdin, "-": replay reads it once, as a stream, without an index)
// cannot give its packets back; the packet view says so at once instead
// of opening the FIFO again, which waits for a writer for ever (a
// trial's finding).
func TestUnindexedPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "A.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{fifo, "-"} {
		b, _ := json.Marshal(map[string]any{"mode": "replay", "inputs": []map[string]any{{"path": in}}})
		if err := os.WriteFile(filepath.Join(dir, queries.ManifestName), b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := unindexed(dir, packetSel{probe: "A"}, func() bool { return false })
		want := "the capture of probe A was read from a pipe (" + in + "): its packets cannot be read back (replay a file to see them)"
		if err == nil || err.Error() != want {
			t.Errorf("input %s: error %v, want %q", in, err, want)
		}
	}
}
