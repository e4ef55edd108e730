package tui

import (
	"context"
	"database/sql"

	tea "github.com/charmbracelet/bubbletea"
)

// spanMsg carries an output's first and last seen (outputSpan), read
// from database db; ok is false when it has no times yet.
type spanMsg struct {
	db     *sql.DB
	lo, hi int64
	ok     bool
}

// outputSpan reads the first and last capture time of the output in db
// (Unix ns): the flows' first_seen and last_seen and the events' times.
// ok is false when neither table holds a time (none written yet).
func outputSpan(ctx context.Context, db *sql.DB) (lo, hi int64, ok bool) {
	for _, q := range []string{
		`SELECT epoch_ns(min(first_seen)), epoch_ns(max(last_seen)) FROM flows`,
		`SELECT epoch_ns(min(time)), epoch_ns(max(time)) FROM events`,
	} {
		var a, b sql.NullInt64
		if db.QueryRowContext(ctx, q).Scan(&a, &b) != nil || !a.Valid || !b.Valid {
			continue // a table missing (not written yet) or empty
		}
		if !ok {
			lo, hi, ok = a.Int64, b.Int64, true
		}
		lo, hi = min(lo, a.Int64), max(hi, b.Int64)
	}
	return lo, hi, ok
}

// loadSpan reads the output's span, which decides whether every screen
// writes times with their date (spanDated); nil without a database.
func (e *env) loadSpan() tea.Cmd {
	db := e.db
	if db == nil {
		return nil
	}
	return func() tea.Msg {
		lo, hi, ok := outputSpan(context.Background(), db)
		return spanMsg{db: db, lo: lo, hi: hi, ok: ok}
	}
}

// liveSpan reads the span of a live run again as it grows (a run going
// past midnight UTC starts to need dates), every liveReloadNs of its
// snapshots' time and at its end; nil when not due.
func (e *env) liveSpan(st *LiveStatus) tea.Cmd {
	done := st.Done && !e.spanDone
	if e.db == nil || (!done && st.TimeNs-e.spanNs < liveReloadNs) {
		return nil
	}
	e.spanNs, e.spanDone = st.TimeNs, st.Done
	return e.loadSpan()
}

// setSpan takes the span read from the database now open (one read from
// a database since closed is dropped).
func (e *env) setSpan(msg spanMsg) {
	if msg.db == e.db && msg.ok {
		e.dated = spanDated(msg.lo, msg.hi)
	}
}
