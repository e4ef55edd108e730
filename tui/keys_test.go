package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TestSQLListTopBottom: on the SQL screen's list of named queries, G
// selects the last query and g the first (they used to do nothing, leaving
// the selection on "summary", the second to last); on a result, G shows
// the last rows and g the first.
func TestSQLListTopBottom(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	press("8")
	s := m.active().(*sqlScreen)
	n := len(s.named)
	if n < 3 {
		t.Fatalf("%d named queries", n)
	}
	selected := func() string { // the name on the highlighted line
		for _, l := range strings.Split(m.View(), "\n")[1:] { // not the tab bar
			if strings.Contains(l, "\x1b[7m") || strings.Contains(l, "\x1b[48;5;") {
				if f := strings.Fields(stripANSI(l)); len(f) > 0 {
					return f[0]
				}
			}
		}
		return ""
	}
	press("G")
	if s.pick != n-1 || selected() != s.named[n-1].Name {
		t.Fatalf("G: pick %d (%q highlighted), want the last, %d %q", s.pick, selected(), n-1, s.named[n-1].Name)
	}
	press("g")
	if s.pick != 0 || selected() != s.named[0].Name {
		t.Fatalf("g: pick %d (%q highlighted), want the first %q", s.pick, selected(), s.named[0].Name)
	}
	// enter runs the first query: a result of more rows than a page
	press("/")
	for _, r := range "select * from range(100) t(i) order by i" {
		press(string(r))
	}
	press("ctrl+r")
	expect("result", "100 rows", "rows 1–")
	press("G")
	expect("bottom", "of 100 ·", "99")
	if v := plain(m); !strings.Contains(v, "–100 of 100") {
		t.Fatalf("G on a result: last row not shown:\n%s", v)
	}
	press("g")
	expect("top", "rows 1–")
}

// TestSQLNamedNeedsRollup: a named query that reads the rollups, run from
// the SQL screen on an output without them, says in one line to run
// tmonbench rollup, as tmonbench query does, not DuckDB's catalog error.
func TestSQLNamedNeedsRollup(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, _ := screenModel(t, out)
	press("8")
	s := m.active().(*sqlScreen)
	s.pick = -1
	for i, q := range s.named {
		if q.Name == "conversations" {
			s.pick = i
		}
	}
	if s.pick < 0 || !s.named[s.pick].NeedsRollup {
		t.Fatal("no named query conversations that needs the rollups")
	}
	press("enter")
	want := "query conversations reads the rollups and the addresses table, which " + out + " does not hold yet: run `tmonbench rollup --out " + out + "` first"
	if m.e.errMsg != want {
		t.Fatalf("error %q, want %q", m.e.errMsg, want)
	}
	// the editor's SQL keeps DuckDB's own message
	press("/")
	s.editor.SetValue("select * from addresses")
	press("ctrl+r")
	if !strings.Contains(m.e.errMsg, "Catalog Error") {
		t.Fatalf("editor SQL: error %q, want DuckDB's", m.e.errMsg)
	}
}

// stripANSI is plain text of one line.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i++; i < len(s) && !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z'); i++ {
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestMouseWheel: on the Flows table, the wheel moves the cursor as the
// arrow keys do (the same row, the same window scrolled past the first
// page), down and up.
func TestMouseWheel(t *testing.T) {
	out := replayed(t, ftpLab)
	wheel, _, _ := screenModel(t, out)
	keyed, pressKeyed, _ := screenModel(t, out)
	drive(t, wheel, keyMsg("2"))
	pressKeyed("2")
	first := plain(wheel)
	plain(keyed)
	roll := func(b tea.MouseButton, n int) {
		for range n {
			drive(t, wheel, tea.MouseMsg{X: 10, Y: 10, Button: b, Action: tea.MouseActionPress})
			plain(wheel) // drawn after each event, as the program does
		}
	}
	roll(tea.MouseButtonWheelDown, 45)
	for range 45 {
		pressKeyed("down")
		plain(keyed)
	}
	tw, tk := activeTable(t, wheel), activeTable(t, keyed)
	if tw.offset+int64(tw.cur) != 45 || !strings.Contains(plain(wheel), "row 46 of 84") {
		t.Fatalf("after 45 wheel notches down: row %d:\n%s", tw.offset+int64(tw.cur)+1, plain(wheel))
	}
	if tw.top == 0 || plain(wheel) == first {
		t.Fatalf("the window did not scroll (top %d)", tw.top)
	}
	if a, b := plain(wheel), plain(keyed); a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Errorf("line %d: wheel %q, keys %q", i, al[i], bl[i])
			}
		}
		t.Fatalf("wheel and ↓ differ")
	}
	roll(tea.MouseButtonWheelUp, 5)
	for range 5 {
		pressKeyed("up")
		plain(keyed)
	}
	if tw.offset+int64(tw.cur) != 40 || plain(wheel) != plain(keyed) {
		t.Fatalf("after 5 notches up: row %d (keys: %d)", tw.offset+int64(tw.cur)+1, tk.offset+int64(tk.cur)+1)
	}
}

// slowSQL would run for hours (10^12 rows of a generated series): only a
// cancel ends it.
const slowSQL = "select sum(a.range * b.range) from range(1000000) a, range(1000000) b"

// TestEscCancelsSlowQuery: a query that would run for hours is typed on
// the SQL screen and run (ctrl+r); its Cmd runs in a goroutine as the
// program would run it, the status line says it runs and that esc
// cancels; esc cancels it: the Cmd returns, the status line says "query
// cancelled" with no error, nothing is left in flight, and the next query
// runs. esc comes once the query holds a DuckDB connection (it runs);
// a query that ignored the cancel would never return (the test's guard,
// not a timing assertion).
func TestEscCancelsSlowQuery(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	press("8", "/")
	for _, r := range slowSQL {
		press(string(r))
	}
	_, cmd := m.Update(keyMsg("ctrl+r")) // not driven: the Cmd is the query
	if cmd == nil || len(m.e.inflight) != 1 {
		t.Fatalf("ctrl+r: cmd %v, %d in flight", cmd != nil, len(m.e.inflight))
	}
	expect("running", "running 1 query… (esc cancels)")
	got := make(chan tea.Msg, 1)
	go func() { got <- cmd() }()
	// esc once DuckDB has the query: its connection is in use (a hang
	// guard, no timing assertion)
	for deadline := time.Now().Add(time.Minute); m.e.db.Stats().InUse == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the query never took a connection")
		}
	}
	drive(t, m, keyMsg("esc"))
	var msg tea.Msg
	select {
	case msg = <-got:
	case <-time.After(2 * time.Minute):
		t.Fatal("the query did not end after esc")
	}
	d, ok := msg.(dataMsg)
	if !ok || !errors.Is(d.err, context.Canceled) {
		t.Fatalf("the cancelled query returned %T %v, want context.Canceled", msg, d.err)
	}
	drive(t, m, msg)
	if len(m.e.inflight) != 0 || m.e.errMsg != "" || m.e.status != "query cancelled" {
		t.Fatalf("after the cancel: %d in flight, error %q, status %q", len(m.e.inflight), m.e.errMsg, m.e.status)
	}
	expect("cancelled", "query cancelled", "Named queries")
	// the screen still works: the next query runs
	press("/")
	for range len(slowSQL) {
		press("backspace")
	}
	for _, r := range "select 42 as answer" {
		press(string(r))
	}
	press("ctrl+r")
	expect("next query", "1 row", "answer", "42")
}
