package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/queries"
)

// TestOnewayEmptySaysWhy: the One-way screen of an output whose
// configuration runs no oneway analysis (the default one, on the lab's
// dns-snmp-ntp A capture) says why its table is empty, in the words
// `tmonbench query oneway` prints (Options.Empty, which the command fills
// from run.json: emptyReasons), where it said "(no rows)" alone (a trial);
// without a reason it still says "(no rows)".
func TestOnewayEmptySaysWhy(t *testing.T) {
	out := replayed(t, "lab/dns-snmp-ntp/A.pcap")
	m, press, expect := screenModel(t, out)
	press("6")
	expect("no reason", "(no rows)")
	why := "no class of the configuration that wrote " + out + " runs the oneway analysis (add \"oneway\" to a class's analyses)"
	m.e.empty = queries.EmptyReasons{"oneway_delays": why}
	expect("a reason", "(oneway_delays is empty: no class of the configuration that wrote")
}

// TestEmptyNoteWrapped80: at 80 columns the empty table's reason was cut
// at the window's edge ("… that wrote /tmp/tui3-t…", a tmux trial on a
// replay of samples/zeek_ftp_ipv4.pcap); it is wrapped between its words,
// every word shown.
func TestEmptyNoteWrapped80(t *testing.T) {
	out := replayed(t, ftpLab)
	m := newTestModel(t, out)
	m.e.empty = queries.EmptyReasons{"oneway_delays": "no class of the configuration that wrote " + out + " runs the oneway analysis (add \"oneway\" to a class's analyses)"}
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("6"))
	s := plain(m)
	var words []string
	for _, l := range strings.Split(s, "\n") {
		if ansi.StringWidth(l) > 80 {
			t.Fatalf("a line wider than 80: %q", l)
		}
		if strings.HasPrefix(l, "  ") && !strings.HasPrefix(strings.TrimSpace(l), "tab ") {
			words = append(words, strings.Fields(l)...)
		}
	}
	want := "(oneway_delays is empty: no class of the configuration that wrote " + out + " runs the oneway analysis (add \"oneway\" to a class's analyses))"
	if got := strings.Join(words, " "); got != want {
		t.Fatalf("the empty note:\n%q\nwant\n%q\n%s", got, want, s)
	}
}
