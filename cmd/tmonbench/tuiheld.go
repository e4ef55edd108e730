package main

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/tmonbench/tmonbench/internal/syncio"
)

// heldOutput is the standard error of a run with --tui: its lines are
// held while the TUI has the terminal (they would draw over its screen,
// or vanish with its alternate screen) and printed once it gave the
// terminal back (flush, at the command's end). A process that exits at
// once (a replay abandoned by a second Ctrl-C: exitNow) calls show
// first: its lines, held and to come, then reach the terminal, where the
// abandon line was lost with the held ones.
type heldOutput struct {
	buf      syncio.Writer
	to       io.Writer
	ctx      context.Context // the TUI's (tea.WithContext): cancelled by show
	quit     context.CancelFunc
	released chan struct{} // closed once the TUI gave the terminal back, or never took it
	once     sync.Once
}

func newHeldOutput(to io.Writer) *heldOutput {
	h := &heldOutput{to: to, released: make(chan struct{})}
	h.ctx, h.quit = context.WithCancel(context.Background())
	return h
}

// tuiEnded says that the TUI gave the terminal back (its screen
// restored), or never took it.
func (h *heldOutput) tuiEnded() { h.once.Do(func() { close(h.released) }) }

// showWait bounds show's wait for the TUI to restore the terminal.
const showWait = 2 * time.Second

// show quits the TUI if it still runs, waits for it to restore the
// terminal (at most showWait), then writes the held lines to the
// terminal and passes the later ones on.
func (h *heldOutput) show() {
	h.quit()
	select {
	case <-h.released:
	case <-time.After(showWait):
	}
	h.buf.PassTo(h.to)
}

// flush writes the held lines out (the command's end, the TUI closed).
func (h *heldOutput) flush() { h.buf.FlushTo(h.to) }
