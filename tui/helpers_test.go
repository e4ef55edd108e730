package tui

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestMain runs the tests, then removes the replays they shared (outs:
// each in a tui-test-* folder of its own, which every run used to leave
// in the temporary folder: 196 of them, 54 MB, on the project's machine).
// With panickerEnv set it is TestTmuxPanic's panicker instead.
func TestMain(m *testing.M) {
	if os.Getenv(panickerEnv) != "" {
		os.Exit(panicker(os.Args[1:]))
	}
	code := testout.Main(m)
	for _, o := range outs {
		os.RemoveAll(filepath.Dir(o))
	}
	os.Exit(code)
}

// capture finds a test capture in the repository's testdata/ (fails when
// it is missing).
func capture(t testing.TB, rel string) string {
	t.Helper()
	return testsamples.Path(t, rel)
}

// outs caches one replay per capture for the tests of this binary.
var outs = map[string]string{}

// replayed replays a capture once (tmonbench replay, the real binary) and
// returns its output folder.
func replayed(t testing.TB, rel string) string {
	t.Helper()
	if o, ok := outs[rel]; ok {
		return o
	}
	dir, err := os.MkdirTemp("", "tui-test-")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, capture(t, rel))
	outs[rel] = out
	return out
}

// testRenderer forces 256 colours so that golden screens are the same in
// CI and in a terminal.
func testRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	return r
}

func newTestModel(t testing.TB, out string) *Model {
	t.Helper()
	m, err := New(Options{Out: out, Renderer: testRenderer()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	m.e.outPoll = 0 // tests send outputCheckMsg themselves
	return m
}

// plain is the plain text of a View, for assertions.
func plain(m *Model) string { return ansi.Strip(m.View()) }

// waitText waits until the program's output, stripped of escapes, holds
// every want.
func waitText(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		s := ansi.Strip(string(b))
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(time.Minute), teatest.WithCheckInterval(20*time.Millisecond))
}

// inspect runs f on the program's model, in its event loop, and returns
// what f returns. A minute bounds the wait, which was a bare channel
// receive: a program that has ended (a panic, a quit) never runs f, and
// the test waited until the package's timeout with no word of what for.
func inspect[T any](t testing.TB, tm *teatest.TestModel, what string, f func(*Model) T) T {
	t.Helper()
	ch := make(chan T, 1)
	go tm.Send(inspectMsg(func(m *Model) { ch <- f(m) })) // Send blocks while the program is busy
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("the program did not run an inspection within a minute (ended or stuck) while the test waited for %s", what)
		panic("unreachable")
	}
}

// keys turns "4", "enter", "esc", "/" ... into key messages.
func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "ctrl+r":
		return tea.KeyMsg{Type: tea.KeyCtrlR}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// drive feeds msgs to m through Update and runs every Cmd they return
// synchronously, as the program would, until nothing is left: a
// deterministic way to drive keys. Messages from other packages' timers
// (tea.Tick of the reopen loop) are not followed.
func drive(t testing.TB, m *Model, msgs ...tea.Msg) {
	t.Helper()
	queue := append([]tea.Msg(nil), msgs...)
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			t.Fatal("drive: no end to the messages")
		}
		msg := queue[0]
		queue = queue[1:]
		_, cmd := m.Update(msg)
		queue = append(queue, runCmd(cmd)...)
	}
}

func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	switch v := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range v {
			out = append(out, runCmd(c)...)
		}
		return out
	case reopenMsg, liveMsg, outputCheckMsg:
		return nil // timer loops: not followed
	}
	if reflect.TypeOf(msg).PkgPath() != reflect.TypeOf(dataMsg{}).PkgPath() {
		if _, ok := msg.(tea.QuitMsg); !ok {
			return nil
		}
	}
	return []tea.Msg{msg}
}
