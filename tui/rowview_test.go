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
