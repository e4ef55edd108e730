//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestReplayAbandonTUI: replay --tui abandoned by a second Ctrl-C while
// it writes its tables (abandonChild with --tui, in a real terminal: a
// detached tmux pane) prints its lines where the user sees them, once the
// TUI gave the terminal back: the first Ctrl-C's note and the abandon
// line naming what was not finished, then exit status 130. They went to
// the buffer held while the TUI has the terminal, which the exit lost:
// the pane showed the shell's prompt and nothing else.
func TestReplayAbandonTUI(t *testing.T) {
	testenv.Tool(t, "tmux") // .ci/run installs it; missing fails under CI=true
	t.Parallel()
	dir := t.TempDir()
	out, sock := filepath.Join(dir, "out"), filepath.Join(dir, "tmux.sock")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tmux := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		b, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", sock, "kill-server").Run() })
	shell := "env " + abandonEnv + "=" + out + " " + abandonTUIEnv + "=1 TERM=xterm-256color " + os.Args[0] +
		" -test.run='^$'; echo \"exit status $?\"; sleep 600"
	tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "-c", wd, shell)
	var pane string
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if pane = tmux("capture-pane", "-p", "-J", "-t", "t"); strings.Contains(pane, "exit status ") {
			break
		}
	}
	if !strings.Contains(pane, "exit status 130") {
		t.Fatalf("replay --tui, two Ctrl-C while writing: pane\n%s\nwant exit status 130", pane)
	}
	for _, want := range []string{
		"tmonbench replay: Ctrl-C after the captures were read to their end: the tables are being finished whole",
		"tmonbench replay: second Ctrl-C: writing abandoned (",
		"; run.json not written): " + out + " holds only whole parts, its previous content as it was; this run's committed parts stay in " + out + "/.tmon-run-",
	} {
		if !strings.Contains(pane, want) {
			t.Errorf("pane after the abandon lacks %q:\n%s", want, pane)
		}
	}
}
