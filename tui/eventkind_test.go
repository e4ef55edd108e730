package tui

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestEventKindWhole80: at 80 columns the Events screen cut the kind of
// an event whose source and message (a long path) were long
// (capture_o…_snaplen): the kind and severity (event kind names,
// docs/tables.md) are never shrunk (queries.MachineName); the message
// and the probe's name give the room. testdata/edge/19 (records longer
// than the file's snaplen: expected.md, a warning acceptable), replayed
// under a long probe name (its file's) from a long folder: its 12
// events, 4 of them rtt_totals (one a class: all, dns, ntp, snmp), one
// capture_over_snaplen.
func TestEventKindWhole80(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a-rather-long-directory-name-for-captures", "site-brussels-2026-12-07")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "site-brussels-probe-A-2026-12-07-capture.pcap")
	src, err := os.Open(capture(t, "edge/19-pcap-caplen-over-snaplen/input.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil || dst.Close() != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, in)
	m := newTestModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("7"))
	lines := strings.Split(plain(m), "\n")
	kinds := map[string]int{}
	for _, l := range lines[3:15] {
		if f := strings.Fields(l); len(f) >= 4 {
			kinds[f[3]]++
		}
	}
	for k, n := range map[string]int{"probe_start": 1, "dissect_totals": 1, "ftp_totals": 1, "probe_totals": 1, "reasm_totals": 1, "rtt_totals": 4, "tcp_totals": 1, "probe_stop": 1, "capture_over_snaplen": 1} {
		if kinds[k] != n {
			t.Errorf("kind %s on %d rows, want %d (kinds read %v):\n%s", k, kinds[k], n, kinds, strings.Join(lines, "\n"))
		}
	}
}
