package tui

import (
	"strings"
	"testing"
)

// TestSQLErrorKeepsEditor (D23, new-user trial): a query DuckDB refused
// left the SQL screen on the list of named queries, the query typed out of
// sight; now the editor opens again on it with the error under it, and
// the fixed query runs from there (16 FTP transfers of the lab capture,
// TestGoldenQueryError's data).
func TestSQLErrorKeepsEditor(t *testing.T) {
	m, press, _ := screenModel(t, replayed(t, ftpLab))
	press("8")
	press("/")
	for _, r := range "select nope from ftp_transfers" {
		press(string(r))
	}
	press("ctrl+r")
	s := plain(m)
	if !strings.Contains(m.e.errMsg, "nope") || !strings.Contains(s, "ctrl+r runs") ||
		!strings.Contains(s, "select nope from ftp_transfers") || strings.Contains(s, "Named queries") {
		t.Fatalf("refused query: want the editor on it and the error (%q):\n%s", m.e.errMsg, s)
	}
	if n := strings.Count(s, "nope"); n < 2 { // the query and the status line's error under it
		t.Errorf("want the query and its error on screen, %d lines say nope:\n%s", n, s)
	}
	press("home")
	for range "select nope" {
		press("right")
	}
	for range "nope" {
		press("backspace")
	}
	for _, r := range "count(*)" {
		press(string(r))
	}
	press("ctrl+r")
	if s := plain(m); m.e.errMsg != "" || !strings.Contains(s, "1 row") || !strings.Contains(s, "16") {
		t.Errorf("fixed query (%q):\n%s", m.e.errMsg, s)
	}
}
