package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestEventMessageWhole: on the Events screen at 80 columns a long
// message is cut at the window's edge ("class ftp: sessions=5 …"); m
// opens the whole row with the message wrapped, nothing cut, and the
// footer says so. The lab FTP capture at A's ftp_totals event: its
// message is 388 characters, ending "transfers_lost=0" (tmonbench query
// --sql "select length(message), message from events where kind =
// 'ftp_totals'").
func TestEventMessageWhole(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 30})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("7"))
	drive(t, m, keyMsg("/"))
	for _, r := range "where kind = 'ftp_totals'" {
		drive(t, m, keyMsg(string(r)))
	}
	drive(t, m, keyMsg("enter"))
	s := plain(m)
	if !strings.Contains(s, "m whole row") {
		t.Fatalf("the Events footer lacks m:\n%s", s)
	}
	tb := activeTable(t, m)
	msg, _ := tb.current()["message"].(string)
	if len(msg) != 388 || !strings.HasSuffix(msg, "transfers_lost=0") {
		t.Fatalf("the ftp_totals message: %d characters %q", len(msg), msg)
	}
	if strings.Contains(s, "transfers_lost=0") {
		t.Fatalf("the table shows the whole message at 80 columns; the test needs a cut one:\n%s", s)
	}
	drive(t, m, keyMsg("m"))
	s = plain(m)
	var text []string // the message's lines, the names' column left out
	at := -1          // where the values start
	for _, l := range strings.Split(s, "\n") {
		if ansi.StringWidth(l) > 80 {
			t.Fatalf("a line wider than 80: %q", l)
		}
		if strings.HasPrefix(l, "message ") {
			at = strings.Index(l, "class ftp:")
		} else if at < 0 || len(l) < at || strings.TrimSpace(l[:at]) != "" || strings.TrimSpace(l) == "" {
			if at >= 0 {
				break
			}
			continue
		}
		text = append(text, strings.TrimSpace(l[at:]))
	}
	if got := strings.Join(text, " "); got != msg {
		t.Fatalf("the whole row's message:\n%q\nwant\n%q\n%s", got, msg, s)
	}
	drive(t, m, keyMsg("esc"))
	if tb := activeTable(t, m); tb.spec.title != "Events" {
		t.Fatalf("esc went to %q, want Events", tb.spec.title)
	}
}

// TestRowViewTitle80: the whole-row screen's tab said "Events …" at 80
// columns (the eight tabs take 69 of them, the title was cut); the tabs
// left behind now show their number only, so the title says the table
// and the row whole: the ftp lab's Events has 11 rows (tmonbench query
// --sql "select count(*) from events"), G goes to the last.
func TestRowViewTitle80(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	for _, k := range []string{"7", "G", "m"} {
		drive(t, m, keyMsg(k))
	}
	bar := strings.Split(plain(m), "\n")[0]
	if !strings.Contains(bar, "› Events row 11") || ansi.StringWidth(bar) > 80 {
		t.Fatalf("the tab bar at 80 columns: %q", bar)
	}
	if !strings.HasPrefix(strings.Join(strings.Fields(bar), " "), "1 2 3 4 5 6 7 Events 8 ›") {
		t.Errorf("the tabs left behind: %q", bar)
	}
	// at 120 columns every tab keeps its name
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	if bar := strings.Split(plain(m), "\n")[0]; !strings.Contains(bar, "1 Overview  2 Flows") || !strings.Contains(bar, "› Events row 11") {
		t.Errorf("the tab bar at 120 columns: %q", bar)
	}
}

// TestSQLRowWhole: m on the SQL screen's results began a query "m" (the
// editor opened); it now opens the result row under the cursor whole, as
// on the table screens. The lab's transfers by bytes, then session: the
// third is session 3's RETR of file-1M.bin, active mode by PORT, 1048576
// bytes (testdata/lab/ftp/ftp_transfers.csv); j j moves the cursor there.
func TestSQLRowWhole(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("8"), keyMsg("/"))
	for _, r := range "select session_id, command, file_name, data_mode, mode_command, bytes from ftp_transfers order by bytes desc, session_id" {
		drive(t, m, keyMsg(string(r)))
	}
	drive(t, m, keyMsg("ctrl+r"))
	drive(t, m, keyMsg("j"), keyMsg("j"))
	if s := plain(m); !strings.Contains(s, "m whole row") {
		t.Errorf("the results' hint lacks m:\n%s", s)
	}
	drive(t, m, keyMsg("m"))
	s := plain(m)
	if _, ok := m.active().(*rowView); !ok {
		t.Fatalf("m on the results opened %T, want the row view:\n%s", m.active(), s)
	}
	var got []string
	for _, l := range strings.Split(s, "\n")[1:] {
		if f := strings.Fields(l); len(f) == 2 {
			got = append(got, f[0]+"="+f[1])
		}
	}
	want := "session_id=3 command=RETR file_name=file-1M.bin data_mode=active mode_command=PORT bytes=1048576"
	if strings.Join(got, " ") != want {
		t.Fatalf("the row: %q, want %q\n%s", strings.Join(got, " "), want, s)
	}
	if bar := strings.Split(s, "\n")[0]; !strings.Contains(bar, "› SQL row 3") {
		t.Errorf("the tab bar: %q", bar)
	}
	drive(t, m, keyMsg("esc"))
	if sq, ok := m.active().(*sqlScreen); !ok || sq.res == nil {
		t.Fatalf("esc went to %T, want the SQL results", m.active())
	}
}

// TestRowViewDecimals: the whole row draws a float as the table does in
// its window (columnCells over the column the table shows): on the TCP
// screen of the lab FTP capture, connection 10.10.1.100:33488 > :21 has
// duration_s 1.071588094 (tmonbench query --sql "select duration_s from
// tcp_connections where client_port = 33488"), drawn 1.071588 (to the µs,
// docs/tui.md: `_s` 6) in the table beside sub-second durations; m showed
// 1.07159, the six significant digits of the value alone (a trial).
func TestRowViewDecimals(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 160, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("3"))
	tb := activeTable(t, m)
	for i := 0; i < 40 && tb.current()["client_port"] != any(uint16(33488)); i++ {
		drive(t, m, keyMsg("j"))
		tb = activeTable(t, m)
	}
	if d, _ := tb.current()["duration_s"].(float64); d < 1.0715880 || d > 1.0715881 {
		t.Fatalf("the TCP screen's row of client port 33488 not found (at %v, duration_s %v)\n%s", tb.current()["client_port"], tb.current()["duration_s"], plain(m))
	}
	if s := plain(m); !strings.Contains(s, " 1.071588 ") {
		t.Fatalf("the table does not draw duration_s 1.071588:\n%s", s)
	}
	drive(t, m, keyMsg("m"))
	s := plain(m)
	if _, ok := m.active().(*rowView); !ok {
		t.Fatalf("m opened %T, want the row view:\n%s", m.active(), s)
	}
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "duration_s" {
			if f[1] != "1.071588" {
				t.Errorf("the whole row's duration_s %s, want 1.071588 as the table draws it", f[1])
			}
			return
		}
	}
	t.Fatalf("no duration_s line in the whole row:\n%s", s)
}
