//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/live"
)

// abandonEnv names the output folder of the child process that
// TestReplayAbandonWhileWriting starts (this test binary again).
const abandonEnv = "TMONBENCH_TEST_ABANDON_OUT"

// abandonTUIEnv, set, makes the child's replay run with --tui
// (TestReplayAbandonTUI).
const abandonTUIEnv = "TMONBENCH_TEST_ABANDON_TUI"

// abandonChild, in the child process (abandonEnv set), replays the
// wikipedia sample into that folder with a writing that never ends: at
// pipeline.Options.Writing it sends itself a Ctrl-C, then a second one
// past the echo window (live.SignalEcho), and blocks: only the abandon
// can end the process. It never returns (exit 3: the abandon did not
// exit).
func abandonChild() {
	out := os.Getenv(abandonEnv)
	if out == "" {
		return
	}
	replayWritingHook = func(ctx context.Context) {
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		<-ctx.Done()
		time.Sleep(live.SignalEcho + 200*time.Millisecond)
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		select {} // tables being written for ever
	}
	args := []string{"replay", "-q", "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")}
	if os.Getenv(abandonTUIEnv) != "" {
		args = append(args, "--tui")
	}
	run(args, os.Stdout, os.Stderr)
	os.Exit(3)
}

// TestReplayAbandonWhileWriting: a second Ctrl-C while a replay writes
// its tables (after the first, which finishes them whole) abandons the
// writing at once: exit status 130, a line saying what was not finished
// and that the output folder holds only whole parts, its previous run as
// it was (here a first replay of the same sample: run.json finished,
// 126 IP packets, README's tshark -Y ip count). The child is this test
// binary (abandonChild), signalled by itself at the writing's start, as
// a user's two Ctrl-C would. Before, the second Ctrl-C was swallowed and
// the replay went on writing.
func TestReplayAbandonWhileWriting(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatalf("first replay: %d %s", code, stderr)
	}
	before, err := store.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // without the abandon the child writes for ever
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), abandonEnv+"="+out)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	ee, _ := err.(*exec.ExitError)
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if ee == nil || ee.ExitCode() != 130 || len(lines) != 2 {
		t.Fatalf("second Ctrl-C while writing: %v, stderr:\n%s\nwant exit status 130 and two lines", err, stderr.String())
	}
	if want := "tmonbench replay: Ctrl-C after the captures were read to their end: the tables are being finished whole (run.json says finished), then the replay exits with status 130; a second Ctrl-C abandons them at once"; lines[0] != want {
		t.Errorf("first line %q\nwant %q", lines[0], want)
	}
	head := "tmonbench replay: second Ctrl-C: writing abandoned ("
	tail := "; run.json not written): " + out + " holds only whole parts, its previous content as it was; this run's committed parts stay in " + out + "/.tmon-run-"
	if !strings.HasPrefix(lines[1], head) || !strings.Contains(lines[1], tail) || !strings.HasSuffix(lines[1], " until the next run removes it") {
		t.Errorf("abandon line %q\nwant %q...%q...", lines[1], head, tail)
	}
	after, err := store.ReadManifest(out)
	if err != nil || !after.Started.Equal(before.Started) || after.Interrupted || after.Finished.IsZero() {
		t.Errorf("run.json after the abandon: %+v %v, want the first replay's (started %v), finished", after, err, before.Started)
	}
	if got := csvQuery(t, out, "select sum(packets) n from flows where class = 'all'"); got != "n\n126\n" {
		t.Errorf("flows after the abandon: %q, want the first replay's 126 packets", got)
	}
}
