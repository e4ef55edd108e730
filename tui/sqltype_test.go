package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestSQLTypedStraightIn: on the SQL screen a query typed without opening
// the editor first is the query typed: a trial's "select …" became
// "lect …" (s, the sort key elsewhere, did nothing here, e opened the
// editor). A printable key the screen does not act on opens the editor
// with that character, key by key and as one burst of runes (a fast
// typist's keys arrive together); the screen's own keys keep their use (j
// moves the selection, e opens the editor on the last query). The result:
// 42 × 2 = 84.
func TestSQLTypedStraightIn(t *testing.T) {
	out := replayed(t, ftpLab)
	for _, burst := range []bool{false, true} {
		m, press, expect := screenModel(t, out)
		press("8")
		s := m.active().(*sqlScreen)
		s.pick = 0
		press("j") // a bound key: moves the selection, no editor
		if s.editing || s.pick != 1 {
			t.Fatalf("burst %v: j: editing %v, pick %d; want the list, the second query", burst, s.editing, s.pick)
		}
		const q = "select 42 * 2 AS answer"
		if burst {
			drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(q)})
		} else {
			for _, r := range q {
				if r == ' ' {
					press("space")
					continue
				}
				press(string(r))
			}
		}
		if !s.editing || s.editor.Value() != q {
			t.Fatalf("burst %v: editing %v, editor %q; want %q", burst, s.editing, s.editor.Value(), q)
		}
		press("ctrl+r")
		expect("result", "answer", "1 row")
		if strings.Contains(plain(m), "1 rows") { // a trial's status line read "1 rows"
			t.Errorf("burst %v: status says \"1 rows\"", burst)
		}
		if f := strings.Fields(lineWith(plain(m), "84")); len(f) != 1 || f[0] != "84" {
			t.Fatalf("burst %v: the result's row %q, want 84:\n%s", burst, f, plain(m))
		}
		press("esc") // back to the list
		press("e")   // the editor on the last query, no e typed into it
		if !s.editing || s.editor.Value() != q {
			t.Fatalf("burst %v: e: editing %v, editor %q; want the last query", burst, s.editing, s.editor.Value())
		}
	}
}
