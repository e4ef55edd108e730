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

// mergeSignalEnv holds, for the child process TestMergeStopsAtSignal
// starts (this test binary again), the stage to signal itself at
// (mergeHook) and the merge's arguments, one a line.
const mergeSignalEnv = "TMONBENCH_TEST_MERGE_SIGNAL"

// mergeSignalChild, in the child process, sends itself a SIGINT at the
// merge's stage and waits until merge's signal context has it, as a
// user's Ctrl-C then would; it exits with merge's status (a signal kills
// it if merge does not handle it).
func mergeSignalChild(spec string) {
	args := strings.Split(spec, "\n")
	at, twice := strings.CutSuffix(args[0], " twice")
	mergeHook = func(ctx context.Context, stage string) {
		if stage == at {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			<-ctx.Done()
			if twice { // a second Ctrl-C past the echo, the merge never stopping: only its abandon exits
				time.Sleep(live.SignalEcho + 200*time.Millisecond)
				syscall.Kill(os.Getpid(), syscall.SIGINT)
				select {}
			}
		}
	}
	os.Exit(run(args[1:], os.Stdout, os.Stderr))
}

// TestMergeStopsAtSignal: `tmonbench merge` stops at Ctrl-C (SIGINT) with
// exit status 130, as rollup and replay do, and leaves --out as it was
// (here a first merge of the wikipedia sample's replay: its run.json, the
// 126 IP packets of README's tshark -Y ip count, no hidden staging folder
// left) when the signal comes while the tables are merged; once they are,
// while they replace --out, the signal waits for --out whole (the new
// merge's run.json, the same 126 packets) and --rollup's rollups are not
// written. Merge had no handler: the signal killed it, possibly between
// the renames that replace --out.
func TestMergeStopsAtSignal(t *testing.T) {
	if spec := os.Getenv(mergeSignalEnv); spec != "" {
		mergeSignalChild(spec) // never returns
	}
	t.Parallel()
	src, dst, first := firstMerge(t)
	for _, c := range []struct {
		stage string
		args  []string
		want  string
	}{
		{"merging", []string{"merge", "-q", "--out", dst, src}, "tmonbench merge: interrupted: nothing merged, " + dst + " is as it was\n"},
		{"publishing", []string{"merge", "-q", "--rollup", "--out", dst, src}, "tmonbench merge: interrupted: " + dst +
			" holds the merged tables whole; the rollups and addresses may be missing (tmonbench rollup --out " + dst + " writes them)\n"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMergeStopsAtSignal$")
		cmd.Env = append(os.Environ(), mergeSignalEnv+"="+strings.Join(append([]string{c.stage}, c.args...), "\n"))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		if ee, _ := err.(*exec.ExitError); ee == nil || ee.ExitCode() != 130 || stderr.String() != c.want {
			t.Errorf("%s: SIGINT: %v, stderr %q; want exit status 130, %q", c.stage, err, stderr.String(), c.want)
		}
		m, err := store.ReadManifest(dst)
		if err != nil || m.Mode != "merge" || m.Finished.IsZero() || m.Started.Equal(first.Started) != (c.stage == "merging") {
			t.Errorf("%s: run.json %+v %v; want the first merge's (started %v) when merging, a new one when publishing", c.stage, m, err, first.Started)
		}
		if got := csvQuery(t, dst, "select sum(packets) n from flows where class = 'all'"); got != "n\n126\n" {
			t.Errorf("%s: flows after the SIGINT: %q, want 126 packets", c.stage, got)
		}
		if _, err := os.Stat(filepath.Join(dst, "flow_counters_1m")); err == nil {
			t.Errorf("%s: rollups written after the SIGINT", c.stage)
		}
		ents, _ := os.ReadDir(dst)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") && e.Name() != store.LockName {
				t.Errorf("%s: %s left in %s", c.stage, e.Name(), dst)
			}
		}
	}
}

// firstMerge merges a replay of the wikipedia sample (src) into a new
// folder dst; first is its run.json.
func firstMerge(t *testing.T) (src, dst string, first store.Manifest) {
	t.Helper()
	src = replayWikiOut(t)
	dst = filepath.Join(t.TempDir(), "merged")
	if code, _, stderr := tmon(t, "merge", "-q", "--out", dst, src); code != 0 {
		t.Fatalf("first merge: %d %s", code, stderr)
	}
	first, err := store.ReadManifest(dst)
	if err != nil {
		t.Fatal(err)
	}
	return src, dst, first
}

// TestMergeSecondSignal: a second Ctrl-C while `tmonbench merge` merges
// (the first waiting for DuckDB to stop, here for ever) exits at once
// with status 130 and a line naming what was not written, --out as it
// was (the first merge's run.json and 126 IP packets, README's tshark -Y
// ip count), as a replay abandoned while writing (docs/processes.md). The
// second signal was ignored: the merge went on until the first stopped it.
func TestMergeSecondSignal(t *testing.T) {
	if spec := os.Getenv(mergeSignalEnv); spec != "" {
		mergeSignalChild(spec) // never returns
	}
	t.Parallel()
	src, dst, first := firstMerge(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // without the abandon the child waits for ever
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMergeSecondSignal$")
	cmd.Env = append(os.Environ(), mergeSignalEnv+"="+strings.Join([]string{"merging twice", "merge", "-q", "--out", dst, src}, "\n"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	head := "tmonbench merge: second Ctrl-C: merge abandoned (no part was being written; run.json not written): " + dst + " is as it was; the parts merged so far stay in " + dst + "/.tmon-run-"
	if ee, _ := err.(*exec.ExitError); ee == nil || ee.ExitCode() != 130 || !strings.HasPrefix(stderr.String(), head) ||
		!strings.HasSuffix(stderr.String(), " until the next run removes it\n") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("second SIGINT while merging: %v, stderr %q; want exit status 130 and one line %q…", err, stderr.String(), head)
	}
	m, err := store.ReadManifest(dst)
	if err != nil || !m.Started.Equal(first.Started) {
		t.Errorf("run.json after the abandon: %+v %v, want the first merge's (started %v)", m, err, first.Started)
	}
	if got := csvQuery(t, dst, "select sum(packets) n from flows where class = 'all'"); got != "n\n126\n" {
		t.Errorf("flows after the abandon: %q, want the first merge's 126 packets", got)
	}
}
