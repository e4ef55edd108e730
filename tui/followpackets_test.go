package tui

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/replay"
)

// TestFollowPacketsScreen: a TUI open on the output of a replay still
// running (its staging folder, no packet index yet: the replay writes it
// as it ends, cmd/tmonbench writeIndex). The Packets screen of lab/ftp's
// 5 MB transfer said "no packet index and no run.json in OUT" (the run's
// run.json is in its staging folder), and kept saying it after the
// replay ended (its tables, the packet index among them, moved in,
// run.json last) while the other screens were read again (a trial). It
// now reads the running replay's captures from the start, then, read
// again as the output changes, with the packet index: the transfer's
// 3624 packets server to client either way (tshark -r
// testdata/lab/ftp/A.pcap -Y 'tcp.srcport==40171 && tcp.dstport==37982':
// 3624 frames, 1952, 1956, 1958 ...). Read again on a later change (a
// part file appended), the cursor stays on its packet, frame 1958, the
// 3rd.
func TestFollowPacketsScreen(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	staging := filepath.Join(out, fmt.Sprintf(".tmon-run-%d-test", os.Getpid()))
	if err := os.CopyFS(staging, os.DirFS(replayed(t, ftpLab))); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(t.TempDir(), replay.TablePacketIndex)
	if err := os.Rename(filepath.Join(staging, replay.TablePacketIndex), index); err != nil {
		t.Fatal(err)
	}
	setRunState(t, staging, true)

	m, press, expect := screenModel(t, out)
	press("4", "enter", "p")
	expect("a running replay", "3624 packets", " 1952 14:57:40.040554 IP 198.51.100.10.40171 > 10.10.1.100.37982: Flags [S.]")
	if !strings.Contains(m.e.status, "(no packet index: scan from the start;") {
		t.Fatalf("status %q: want the packets of a running replay read from the start of its capture", m.e.status)
	}

	// the replay ends: its tables move in, the packet index with them,
	// run.json last
	if err := os.Rename(index, filepath.Join(staging, replay.TablePacketIndex)); err != nil {
		t.Fatal(err)
	}
	endStaged(t, staging, out, nil)
	drive(t, m, outputCheckMsg{})
	expect("the replay ended", "3624 packets", " 1952 14:57:40.040554 IP 198.51.100.10.40171 > 10.10.1.100.37982: Flags [S.]")
	if !strings.HasPrefix(m.e.status, "3624 packets from A.pcap (packet index: ") {
		t.Fatalf("status %q: want the packets read again with the packet index the replay wrote as it ended", m.e.status)
	}

	press("down", "down")
	expect("packet 3", "── frame 1958 of A.pcap (3 of 3624):")
	// an append (a part of events, as a later run's writer adds)
	var part string
	err := filepath.WalkDir(filepath.Join(out, "events"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && part == "" && strings.HasSuffix(p, ".parquet") {
			part = p
		}
		return err
	})
	if err != nil || part == "" {
		t.Fatalf("no events part: %v", err)
	}
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(part), "part-99999.parquet"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := m.active().(*packetsScreen).d
	drive(t, m, outputCheckMsg{})
	if m.active().(*packetsScreen).d == before {
		t.Fatal("the append was not followed: the packets were not read again")
	}
	expect("read again", "── frame 1958 of A.pcap (3 of 3624):")
	if ps := m.active().(*packetsScreen); ps.cur != 2 {
		t.Errorf("cursor on packet %d, want 3", ps.cur+1)
	}
}
