package tui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// tmuxSession runs the real binary in a real terminal: a detached tmux
// session 120×40 on a private server socket.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, shell string) *tmuxSession {
	t.Helper()
	testenv.Tool(t, "tmux") // .ci/run installs it; missing fails under CI=true
	s := &tmuxSession{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "tui"}
	s.run("new-session", "-d", "-x", "120", "-y", "40", "-s", s.name, "-e", "TERM=xterm-256color", shell)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

// run runs a tmux command on the session's server; a minute bounds it
// (a tmux that does not answer would hold the test until the package's
// timeout).
func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if ctx.Err() != nil {
		s.t.Fatalf("tmux %v: no answer within a minute\n%s", args, out)
	}
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) pane() string { return s.run("capture-pane", "-p", "-t", s.name) }

func (s *tmuxSession) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		p := s.pane()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(p, w)
		}
		if ok {
			return p
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen lacks %q after a minute:\n%s", want, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) keys(k ...string) { s.run(append([]string{"send-keys", "-t", s.name}, k...)...) }

func (s *tmuxSession) format(f string) string {
	return strings.TrimSpace(s.run("display-message", "-p", "-t", s.name, f))
}

// shellAround runs the TUI between two `stty -g` and says whether the
// terminal settings came back the same.
func shellAround(bin, out string, flags ...string) string {
	return fmt.Sprintf(`a=$(stty -g); %s tui --out %s %s; echo "TUI-EXIT=$?"; b=$(stty -g); if [ "$a" = "$b" ]; then echo STTY-SAME; else echo STTY-DIFF; fi; sleep 60`, bin, out, strings.Join(flags, " "))
}

// TestTmux opens the TUI on a replayed capture in a real terminal, drills
// from the overview to the largest FTP transfer's packets (read through
// the packet index), quits, and finds the terminal restored: main screen,
// no mouse reporting, cursor shown, tty settings as before.
func TestTmux(t *testing.T) {
	out := replayed(t, ftpLab)
	s := newTmux(t, shellAround(testout.Binary(t), out))
	s.waitFor("1 Overview", "Throughput", "7,799")
	if s.format("#{alternate_on}") != "1" {
		t.Fatal("the TUI does not use the alternate screen")
	}
	s.keys("4")
	s.waitFor("file-5M.bin", "row 1 of 16")
	s.keys("Enter")
	s.waitFor("TCP connections", "handshake_syn_synack_ms 0.021571")
	s.keys("p")
	s.waitFor("3624 packets", "packet index: seek to byte 176892 (frame 1001)", "Flags [S.]")
	s.keys("q")
	s.waitFor("TUI-EXIT=0")
	s.waitFor("STTY-")
	p := s.pane()
	if !strings.Contains(p, "STTY-SAME") {
		t.Fatalf("tty settings changed:\n%s", p)
	}
	if strings.Contains(p, "1 Overview") {
		t.Fatalf("the TUI is still on the screen:\n%s", p)
	}
	for f, want := range map[string]string{"#{alternate_on}": "0", "#{mouse_any_flag}": "0", "#{mouse_button_flag}": "0", "#{cursor_flag}": "1"} {
		if got := s.format(f); got != want {
			t.Errorf("%s = %s after quitting, want %s", f, got, want)
		}
	}
}

// TestTmuxSIGTERM: SIGTERM to the TUI restores the terminal too.
func TestTmuxSIGTERM(t *testing.T) {
	out := replayed(t, ftpLab)
	s := newTmux(t, shellAround(testout.Binary(t), out))
	s.waitFor("1 Overview", "Throughput")
	shPid, err := strconv.Atoi(s.format("#{pane_pid}"))
	if err != nil {
		t.Fatal(err)
	}
	// the shell's child is the TUI
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", shPid, shPid))
	if err != nil || len(strings.Fields(string(kids))) == 0 {
		t.Fatalf("children of the pane's shell %d: %v %q", shPid, err, kids)
	}
	pid, err := strconv.Atoi(strings.Fields(string(kids))[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitFor("TUI-EXIT=", "STTY-")
	p := s.pane()
	if !strings.Contains(p, "STTY-SAME") || strings.Contains(p, "1 Overview") {
		t.Fatalf("terminal not restored after SIGTERM:\n%s", p)
	}
	if got := s.format("#{alternate_on}"); got != "0" {
		t.Fatalf("alternate screen still on after SIGTERM")
	}
}

// TestTmuxConfigKeys: one config file serves replay and tui: replay
// accepts its tui: section, and the TUI takes its key remapping (quit on
// x instead of q).
func TestTmuxConfigKeys(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "tmon.yaml")
	if err := os.WriteFile(cfg, []byte("interval_s: 10\ntui:\n  keys:\n    quit: [x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--config", cfg, "--out", out, capture(t, ftpLab))
	s := newTmux(t, shellAround(testout.Binary(t), out, "--config", cfg))
	s.waitFor("1 Overview", "x quit")
	// q, then 2: the Flows screen shows once q has been handled (keys
	// come in order), without quitting
	s.keys("q")
	s.keys("2")
	if p := s.waitFor("row 1 of 84"); strings.Contains(p, "TUI-EXIT") {
		t.Fatalf("q still quits after remapping quit to x:\n%s", p)
	}
	s.keys("x")
	s.waitFor("TUI-EXIT=0", "STTY-SAME")
}

// TestTmuxPanic: a panic in the TUI (a test program running it through
// tui.Run, as tmonbench tui does, panicking on "!": this test binary
// itself, run as the panicker by TestMain) in a real terminal: the
// terminal comes back as it was (main screen, no mouse reporting, cursor
// shown, tty settings as before: raw mode undone) and the program fails,
// saying so.
func TestTmuxPanic(t *testing.T) {
	out := replayed(t, ftpLab)
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	errs := filepath.Join(t.TempDir(), "stderr")
	s := newTmux(t, fmt.Sprintf(`a=$(stty -g); %s=1 %s %s 2>%s; echo "TUI-EXIT=$?"; tail -n 1 %s; b=$(stty -g); if [ "$a" = "$b" ]; then echo STTY-SAME; else echo STTY-DIFF; fi; sleep 60`, panickerEnv, bin, out, errs, errs))
	s.waitFor("1 Overview", "Throughput", "7,799")
	if s.format("#{alternate_on}") != "1" || s.format("#{mouse_button_flag}") != "1" {
		t.Fatal("the TUI does not use the alternate screen and the mouse")
	}
	s.keys("!")
	p := s.waitFor("TUI-EXIT=1", "STTY-")
	if !strings.Contains(p, "STTY-SAME") || !strings.Contains(p, "panicker: tui: program experienced a panic (terminal restored)") {
		t.Fatalf("after the panic:\n%s", p)
	}
	for f, want := range map[string]string{"#{alternate_on}": "0", "#{mouse_any_flag}": "0", "#{mouse_button_flag}": "0", "#{cursor_flag}": "1"} {
		if got := s.format(f); got != want {
			t.Errorf("%s = %s after the panic, want %s", f, got, want)
		}
	}
}

// TestTmuxMouseWheel: the terminal's wheel reports (SGR mouse, what
// xterm sends with mouse cell motion on: button 65 down, 64 up) move the
// Flows cursor in a real terminal.
func TestTmuxMouseWheel(t *testing.T) {
	out := replayed(t, ftpLab)
	s := newTmux(t, shellAround(testout.Binary(t), out))
	s.waitFor("1 Overview", "Throughput")
	s.keys("2")
	s.waitFor("row 1 of 84")
	for range 3 {
		s.keys("-l", "\x1b[<65;20;10M")
	}
	s.waitFor("row 4 of 84")
	s.keys("-l", "\x1b[<64;20;10M")
	s.waitFor("row 3 of 84")
	s.keys("q")
	s.waitFor("TUI-EXIT=0", "STTY-SAME")
}
