package tui

import (
	"database/sql"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/queries"
)

// emptyNote is what a table screen without a row says: why its table is
// empty (Options.Empty, in the words `tmonbench query` prints) when the
// screen shows the whole table, else "(no rows)", "in the brushed time
// range" when the brush is set.
func (t *pagedTable) emptyNote(e *env) string {
	if why := e.empty.For(t.spec.table); why != "" && !e.brush.active() && t.filter == "" && len(t.spec.where) == 0 {
		return "(" + t.spec.table + " is empty: " + why + ")"
	}
	if e.brush.active() {
		return "(no rows in the brushed time range)"
	}
	return "(no rows)"
}

// The reasons depend on the state of the run writing the output (while it
// goes: "still going"; once it has ended: the packets filtered out, the
// analyses the configuration runs): they were computed once, when the TUI
// opened, and a TUI open on a run that finished meanwhile kept saying the
// run was still going. The output check (outputCheckMsg, every
// outputPoll) now notes the run's state (queries.State: the folder's
// listing and run.json, as the check of its run reads already) and asks
// Options.Empty again when it changed (started, finished, killed) or when
// another run replaced the output; never per frame.

// emptyMsg carries reasons computed for the database db (dropped when the
// TUI has reopened the output since).
type emptyMsg struct {
	db      *sql.DB
	gen     int // env.emptyGen when asked: a later ask's answer wins
	reasons queries.EmptyReasons
}

// runSig is what of st the reasons depend on: whether a run is writing
// the output (which, since when) and the runs abandoned in it.
func runSig(st queries.RunState) string {
	return fmt.Sprintf("%t %s %d %d %v", st.Running, st.Mode, st.PID, st.Started.UnixNano(), st.Abandoned)
}

// emptyCheck notes the run's state (env.run) and, when it is not the one the
// reasons were computed for (or force: the database was reopened),
// computes them again off the event loop; nil when nothing changed or no
// Options.Empty was given.
func (e *env) emptyCheck(force bool) tea.Cmd {
	e.run = queries.State(e.out)
	if e.reasons == nil || e.db == nil {
		return nil
	}
	sig := runSig(e.run)
	if sig == e.emptySig && !force {
		return nil
	}
	e.emptySig = sig
	e.emptyGen++
	db, gen, reasons := e.db, e.emptyGen, e.reasons
	return func() tea.Msg { return emptyMsg{db: db, gen: gen, reasons: reasons(db)} }
}

// setEmpty takes reasons computed for the database still open, by the
// latest ask.
func (e *env) setEmpty(msg emptyMsg) {
	if msg.db == e.db && msg.gen == e.emptyGen {
		e.empty = msg.reasons
	}
}

// writing returns the run writing the output while it goes: a
// collector's or live capture's appends, a running replay's staging
// folder (run.json, as emptyCheck last noted it), or a run with --tui
// whose snapshots say it has not ended (its mode unknown then: "the run");
// false once the run has ended, or when none wrote the output.
func (e *env) writing() (queries.RunState, bool) {
	switch {
	case e.run.Running:
		return e.run, true
	case e.snap != nil && !e.snap.Done:
		return queries.RunState{Running: true}, true
	}
	return queries.RunState{}, false
}

// noFlowYet is why the output holds no flow while the run writing it goes
// (queries.RunState.NoFlowYet: the words `tmonbench query summary` prints
// for its empty flows table); "" when no run is going.
func (e *env) noFlowYet() string {
	if st, ok := e.writing(); ok {
		return st.NoFlowYet()
	}
	return ""
}
