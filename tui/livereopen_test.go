package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLiveReopensOnFirstParts: replay --tui of a capture of one packet
// (tcpdump -r samples/zeek_ntp.pcap -c 1 -w) kept "loading OUT …" and
// "Catalog Error: Table with name flows does not exist!" after the run
// ended. The store makes every table's folder as the run starts, their
// first parts later (flows at the end); the TUI reopens its database,
// to have views over the new tables, when it counts more of them, and it
// counted folders: as many at the end as when it opened. It counts the
// tables that hold a part now. Here lab/ftp's output with flows and
// flow_counters as a run leaves them before their first part (an empty
// folder, no _manifest.json), then whole as the run ends: the overview
// shows its 7,799 packets (TestDrillDown's count) and no error.
func TestLiveReopensOnFirstParts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	if err := os.CopyFS(out, os.DirFS(replayed(t, ftpLab))); err != nil {
		t.Fatal(err)
	}
	aside := t.TempDir()
	for _, tb := range []string{"flows", "flow_counters", "_manifest.json"} {
		if err := os.Rename(filepath.Join(out, tb), filepath.Join(aside, tb)); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tb, "_") {
			if err := os.MkdirAll(filepath.Join(out, tb, "date=__HIVE_DEFAULT_PARTITION__"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := liveStarted(t, out)
	if v := plain(m); !strings.Contains(v, "no flows rows written yet") {
		t.Fatalf("the overview of a run that has not written flows:\n%s", v)
	}

	// the run ends: the parts come, _manifest.json last
	for _, tb := range []string{"flows", "flow_counters", "_manifest.json"} {
		if err := os.RemoveAll(filepath.Join(out, tb)); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(aside, tb), filepath.Join(out, tb)); err != nil {
			t.Fatal(err)
		}
	}
	end := liveSnaps()[3] // the snapshots liveStarted's model is fed
	drive(t, m, liveMsg{st: &end})
	if v := plain(m); !strings.Contains(v, "7,799") || strings.Contains(v, "does not exist") || strings.Contains(v, "loading") {
		t.Fatalf("the overview once the run ended:\n%s", v)
	}
}
