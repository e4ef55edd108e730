package main

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tmonbench/tmonbench/engine/store"
)

// TestReplayInterruptWhileWriting: a SIGINT that comes after the capture
// was read to its end, while the tables are written (sent here at
// pipeline.Options.Writing, the hook waiting until the replay's signal
// context has it), is said at once on stderr and exits 130, as
// `tmonbench rollup` and `replay --rollup` do on Ctrl-C; the tables are
// whole: the wikipedia sample's 126 IP packets (README, tshark -Y ip) and
// run.json finished, not interrupted. Before, a new-user trial's Ctrl-C
// then was swallowed: exit 0, nothing said. Not parallel: it sets
// replayWritingHook and signals the test process.
func TestReplayInterruptWhileWriting(t *testing.T) {
	replayWritingHook = func(ctx context.Context) {
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		<-ctx.Done()
	}
	defer func() { replayWritingHook = nil }()
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki)
	want := "tmonbench replay: Ctrl-C after the captures were read to their end: the tables are being finished whole (run.json says finished), then the replay exits with status 130; a second Ctrl-C abandons them at once\n"
	if code != 130 || stderr != want {
		t.Errorf("SIGINT while the tables are written: exit %d, stderr %q; want 130, %q", code, stderr, want)
	}
	if m, err := store.ReadManifest(out); err != nil || m.Interrupted || m.Finished.IsZero() {
		t.Errorf("run.json: %+v %v, want finished, not interrupted", m, err)
	}
	if got := csvQuery(t, out, "select sum(packets) n from flows where class = 'all'"); got != "n\n126\n" {
		t.Errorf("flows after the SIGINT while writing: %q, want 126 packets", got)
	}
}
