package tui

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// panicky is the real root model that panics in Update on the key "!".
type panicky struct{ *Model }

func (p panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.String() == "!" {
		panic("test panic in Update")
	}
	_, cmd := p.Model.Update(msg)
	return p, cmd
}

// TestRunRestoresAfterPanic runs the TUI through Run, the function both
// commands (tui, live/replay --tui) run it with, and panics in Update:
// Run returns an error wrapping tea.ErrProgramPanic (the command fails,
// where it used to exit 0), and after the screen was drawn the terminal
// is given back: main screen, mouse reporting off, cursor shown, in that
// order after the alternate screen and mouse were turned on.
func TestRunRestoresAfterPanic(t *testing.T) {
	out := replayed(t, ftpLab)
	in, feed := io.Pipe()
	var term testout.SyncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(panicky{newTestModel(t, out)}, tea.WithInput(in), tea.WithOutput(&term)) }()
	// wait for the first screen (a hang guard, not a timing assertion)
	for deadline := time.Now().Add(time.Minute); !strings.Contains(term.String(), "1 Overview"); {
		if time.Now().After(deadline) {
			t.Fatalf("no first screen:\n%q", term.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := feed.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after the panic")
	}
	feed.Close()
	if !errors.Is(err, tea.ErrProgramPanic) {
		t.Fatalf("Run after a panic: %v, want tea.ErrProgramPanic", err)
	}
	s := term.String()
	drawn := strings.Index(s, "1 Overview")
	for _, seq := range []struct{ name, on, off string }{
		{"alternate screen", "\x1b[?1049h", "\x1b[?1049l"},
		{"mouse cell motion", "\x1b[?1002h", "\x1b[?1002l"},
		{"SGR mouse", "\x1b[?1006h", "\x1b[?1006l"},
		{"cursor", "\x1b[?25l", "\x1b[?25h"},
	} {
		on, off := strings.Index(s, seq.on), strings.LastIndex(s, seq.off)
		if on < 0 || on > drawn {
			t.Errorf("%s not turned on before the first screen (%q)", seq.name, seq.on)
		}
		if off < drawn {
			t.Errorf("%s not restored after the panic (%q missing after the screen)", seq.name, seq.off)
		}
		if strings.LastIndex(s, seq.on) > off {
			t.Errorf("%s turned on again after its restore", seq.name)
		}
	}
}

// TestRunQuitIsNoError: q through Run ends without error, the terminal
// restored the same way.
func TestRunQuitIsNoError(t *testing.T) {
	out := replayed(t, ftpLab)
	var term testout.SyncBuffer
	err := Run(newTestModel(t, out), tea.WithInput(strings.NewReader("q")), tea.WithOutput(&term))
	if err != nil {
		t.Fatalf("Run after q: %v", err)
	}
	s := term.String()
	if i := strings.LastIndex(s, "\x1b[?1049l"); i < 0 || i < strings.LastIndex(s, "\x1b[?1049h") {
		t.Fatalf("alternate screen not left after q")
	}
}
