package tui

import (
	"context"
	"fmt"
	"runtime/debug"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

// In a live run the TCP, FTP, RTT, One-way and Events screens list the
// engines' latest rows (LiveStatus.Recent: the collector's rows as it
// produces them, before they are written) rather than the Parquet parts:
// each snapshot that brings rows is loaded into DuckDB's live_* tables
// (queries.LoadRows, in memory), where the screens' sort, filter and
// drill run as over the written tables, and the screens showing them are
// refreshed in place.

// liveRowsMsg says that the live_* tables hold a snapshot's rows (seq:
// its RecentRows), or why they could not be loaded.
type liveRowsMsg struct {
	seq uint64
	err error
}

// loadLiveRows loads st's latest rows into the live_* tables when they
// changed (or were never loaded into this database), one load at a time,
// outside Update's goroutine. The load is not a screen's query: esc does
// not cancel it and the status line does not count it.
func (m *Model) loadLiveRows(st *LiveStatus) tea.Cmd {
	e := m.e
	if e.db == nil || e.liveLoading || (e.liveReady && st.RecentRows == e.liveRows) {
		return nil
	}
	e.liveLoading = true
	db, b, seq := e.db, st.Recent, st.RecentRows
	if b == nil {
		b = &observe.Batch{} // no rows yet: empty tables, so the screens have columns
	}
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = liveRowsMsg{err: fmt.Errorf("internal error: %v\n%s", r, debug.Stack())}
			}
		}()
		for _, name := range observe.RecentTables {
			if err := queries.LoadRows(context.Background(), db, observe.TableNamed(name), b); err != nil {
				return liveRowsMsg{err: err}
			}
		}
		return liveRowsMsg{seq: seq}
	}
}

// liveRowsLoaded records a load and refreshes the screens that list the
// live rows: the one shown in place (its cursor stays on its row), the
// others when next shown.
func (m *Model) liveRowsLoaded(msg liveRowsMsg) tea.Cmd {
	e := m.e
	e.liveLoading = false
	if msg.err != nil {
		e.setErr(msg.err)
		return nil
	}
	e.liveReady, e.liveRows = true, msg.seq
	var cmds []tea.Cmd
	for _, s := range append(append([]screen(nil), m.tabs...), m.stack...) {
		t, ok := s.(*pagedTable)
		if !ok || !t.liveView || !t.loaded {
			continue
		}
		switch {
		case t.waiting:
			if s == m.active() {
				cmds = append(cmds, t.load(e))
			} else {
				t.loaded = false
			}
		case s != m.active():
			t.loaded = false // reloaded when shown
		case t.cols != nil: // a filter being typed kept (followOutput)
			cmds = append(cmds, t.refresh(e))
		}
	}
	return tea.Batch(cmds...)
}
