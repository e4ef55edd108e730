package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/queries"
)

// A replay replaces its output folder as a whole (engine/store: Finish
// moves the previous run aside and the new one in, run.json last). A TUI
// open on that folder had its screens' rows, the overview's captures and
// the stack's drilled flows from the previous run while the screens
// loaded since read the new one: two runs mixed, and enter on an old row
// found no flow. The TUI now checks every outputPoll which run the folder
// holds (queries.RunID) and, when another run took its place, reopens the
// output and reloads every screen from it.

// outputPoll is how often an offline TUI checks whether its output was
// replaced by another run.
const outputPoll = 2 * time.Second

// outputCheckMsg asks the root model to check the output's run.
type outputCheckMsg struct{}

// checkLater schedules the next check of the output (none when polling
// is off: a live TUI follows its own run, and tests drive checks).
func (e *env) checkLater() tea.Cmd {
	if e.outPoll <= 0 || e.live != nil {
		return nil
	}
	return tea.Tick(e.outPoll, func(time.Time) tea.Msg { return outputCheckMsg{} })
}

// checkOutput reloads everything when the output now holds another run
// than the one the database was opened on: the queries in flight are
// cancelled, the drilled screens and the brush (times of the old run)
// dropped, every screen forgets its rows and the active one reloads; the
// status line says so. A collector's or live run's appends keep the
// run's key: the screens follow them (followOutput). Either way the reasons of empty tables follow
// the run's state (emptyCheck).
func (m *Model) checkOutput() tea.Cmd {
	e := m.e
	next := e.checkLater()
	// the run of the folder the tables are read from: a running replay's
	// staging folder (queries.Open reads it), which keeps its key when the
	// replay finishes and moves it into place
	dir := queries.State(e.out).Dir
	key, ok := queries.RunID(dir)
	if e.db == nil || !ok {
		return tea.Batch(next, e.emptyCheck(false)) // the same run may have ended: why tables are empty follows
	}
	if key == e.runKey {
		// the same run: its appends (a collector's, a live run's) refresh
		// the screens (followOutput); it may have ended: why tables are
		// empty follows
		return tea.Batch(next, e.emptyCheck(false), m.followOutput(dir))
	}
	e.cancelQueries(-1)
	e.db.Close()
	e.db = nil
	m.stack = nil
	if e.brush.active() {
		e.brush = brush{}
		e.brushGen++
	}
	for _, s := range m.tabs {
		if f, ok := s.(forgetter); ok {
			f.forget()
		}
	}
	cmd := m.reopen()
	e.status = "output replaced by a new run: reloaded"
	return tea.Batch(cmd, next)
}

// forgetter is a screen holding rows of the run it loaded: forget drops
// them (the output was replaced), so that its next load reads the new
// run from the start.
type forgetter interface{ forget() }

func (t *pagedTable) forget() {
	t.cols, t.rows, t.pager, t.total, t.keep = nil, nil, nil, -1, ""
	t.cur, t.top, t.offset = 0, 0, 0
}

func (o *overview) forget() {
	o.d, o.strip, o.stripW, o.cur, o.anchor = nil, nil, 0, 0, -1
}

func (s *sqlScreen) forget() { s.res, s.top = nil, 0 }
