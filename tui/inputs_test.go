package tui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestRunInputsTellApart: the overview's title named the four A.pcap of
// the lab, one probe each, "captures A.pcap, A.pcap, A.pcap, A.pcap";
// each capture is now its shortest distinguishing path suffix, with
// "probe=" when the probe is not named after it (--probe NAME=FILE), and
// the title still fits 120 columns.
func TestRunInputsTellApart(t *testing.T) {
	dirs := []string{"dns-snmp-ntp", "frag", "ftp", "tcp-mix"}
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"replay", "-q", "--progress", "never", "--out", out}
	for _, d := range dirs[:3] {
		args = append(args, capture(t, "lab/"+d+"/A.pcap"))
	}
	args = append(args, "--probe", "mix="+capture(t, "lab/tcp-mix/A.pcap"))
	testout.Run(t, args...)
	db := testdb.Open(t, out)
	got := runInputs(context.Background(), db, out)
	// replay names the probes of lab/D/A.pcap D/A (the width test's "dir/file");
	// run.json lists the --probe inputs first
	want := []string{"mix=tcp-mix/A.pcap", "dns-snmp-ntp/A.pcap", "frag/A.pcap", "ftp/A.pcap"}
	if !slices.Equal(got, want) {
		t.Errorf("runInputs = %q, want %q", got, want)
	}
	title := outputTitle(out, got, 120)
	if w := len([]rune(title)); w > 120 || !strings.HasSuffix(title, "captures "+strings.Join(want, ", ")) {
		t.Errorf("title (%d columns) %q", w, title)
	}
	if got := shortestSuffixes([]string{"/a/x/A.pcap", "/b/x/A.pcap", "B.pcap", "/a/x/A.pcap"}); !slices.Equal(got, []string{"a/x/A.pcap", "b/x/A.pcap", "B.pcap", "a/x/A.pcap"}) {
		t.Errorf("shortestSuffixes = %q", got)
	}
}
