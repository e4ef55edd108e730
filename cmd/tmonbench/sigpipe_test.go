package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestClosedPipeKeepsRunning: a new-user trial ran `tmonbench live -i s0
// 2>&1 | tee live.log` and pressed Ctrl-C. tee died of the same SIGINT, live's
// next line on stderr raised SIGPIPE, and Go's default for a broken pipe on
// fd 1 or 2 killed it (exit 141): run.json said "state": "running" and the
// tables held nothing. A command that writes tables must outlive its
// terminal's pipe: here its stdout and stderr are pipes whose reading end
// is closed before it starts (every line it prints fails), and it must
// still end with status 0 and a finished output.
func TestClosedPipeKeepsRunning(t *testing.T) {
	bin := testout.Binary(t)
	dir := t.TempDir()
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap") // the README's sample
	runs := []struct {
		name string
		args []string
		live bool
	}{
		// --progress always: the bar is redrawn on stderr while it runs (8x: 0.8 s of 6.4 s of capture).
		{"replay", []string{"replay", "--progress", "always", "--speed", "8x", wiki}, false},
		{"live", []string{"live", "-i", "lo", "--duration", "1s", "--name", "pipe"}, true},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			if r.live {
				netlab.Need(t)
			}
			out := filepath.Join(dir, r.name)
			cmd := exec.Command(bin, append(r.args, "--out", out)...)
			rd, wr, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			rd.Close() // nobody reads: every write is to a broken pipe
			cmd.Stdout, cmd.Stderr = wr, wr
			err = cmd.Run()
			wr.Close()
			if err != nil {
				t.Fatalf("%s with its output pipe closed: %v (exit 141 or signal: killed by SIGPIPE)", r.name, err)
			}
			b, err := os.ReadFile(filepath.Join(out, "run.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m store.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m.State != "" || m.Finished.IsZero() || m.Interrupted {
				t.Fatalf("run.json: state %q, finished %v, interrupted %v: want a finished run", m.State, m.Finished, m.Interrupted)
			}
		})
	}
}

// TestReplayTUINeedsTerminal: `replay --tui` with no terminal (a trial ran
// it with stdin from /dev/null, outside any session's terminal) replayed,
// failed to draw, then said "interrupted: the tables hold what was observed
// so far", left an empty output marked interrupted and exited 1. As live's
// --tui, it is a usage mistake said before anything is opened: exit 2, one
// line, --out not created.
func TestReplayTUINeedsTerminal(t *testing.T) {
	t.Parallel()
	bin := testout.Binary(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "replay", "--tui", "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // a new session: no controlling terminal, /dev/tty fails
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("replay --tui without a terminal: %v, want exit status 2\n%s", err, stderr.String())
	}
	if want := "tmonbench replay: --tui needs a terminal: "; !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("stderr %q: want one line starting %q", stderr.String(), want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("--out %s exists (%v): a usage mistake must not touch it", out, err)
	}
}
