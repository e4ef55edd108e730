package tui

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestEmptyNoteFollowsRun: a TUI opened on an output whose run was still
// going said, on an empty table, that the run was still going, and kept
// saying it once the run had finished (Options.Empty was read once, when
// the TUI opened). The output check (outputCheckMsg, every outputPoll)
// now asks the reasons again when the run's state changes (run.json: the
// state "running" and the pid of a live process, as engine/store writes
// it while a collector appends; without both, once it has ended), and
// only then: checks of an unchanged run and frames ask nothing.
func TestEmptyNoteFollowsRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.CopyFS(out, os.DirFS(replayed(t, "lab/dns-snmp-ntp/A.pcap"))); err != nil {
		t.Fatal(err)
	}
	setState := func(running bool) { t.Helper(); setRunState(t, out, running) }
	setState(true)
	asked := 0
	empty := func(db *sql.DB) queries.EmptyReasons {
		asked++
		if queries.State(out).Running {
			return queries.EmptyReasons{"oneway_delays": "the collector writing it is still going"}
		}
		return queries.EmptyReasons{"oneway_delays": "no class of the configuration runs the oneway analysis"}
	}
	m, err := New(Options{Out: out, Renderer: testRenderer(), Empty: empty})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	m.e.outPoll = 0
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("6"))
	note := func(step, want string) {
		t.Helper()
		if s := plain(m); !strings.Contains(s, want) {
			t.Fatalf("%s: screen lacks %q:\n%s", step, want, s)
		}
	}
	note("running", "(oneway_delays is empty: the collector writing it is still going)")
	drive(t, m, outputCheckMsg{}, outputCheckMsg{})
	for range 5 {
		plain(m)
	}
	if asked != 1 {
		t.Fatalf("reasons asked %d times while the run's state did not change, want 1 (at open)", asked)
	}
	setState(false)
	drive(t, m, outputCheckMsg{})
	note("finished", "(oneway_delays is empty: no class of the configuration runs the oneway analysis)")
	drive(t, m, outputCheckMsg{})
	if asked != 2 {
		t.Fatalf("reasons asked %d times, want 2 (at open, once the run finished)", asked)
	}
}

// setRunState writes into out's run.json that a run is writing it (the
// state "running" and this process's pid, as engine/store writes them
// while a collector appends) or that it has ended (neither).
func setRunState(t *testing.T, out string, running bool) {
	t.Helper()
	editRunJSON(t, out, func(man map[string]any) {
		delete(man, "state")
		delete(man, "pid")
		if running {
			man["state"], man["pid"] = "running", os.Getpid()
		}
	})
}

// editRunJSON rewrites out's run.json through edit, its fields as a map.
func editRunJSON(t *testing.T, out string, edit func(man map[string]any)) {
	t.Helper()
	mf := filepath.Join(out, queries.ManifestName)
	b, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]any
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	edit(man)
	if b, err = json.Marshal(man); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mf, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEmptyNoteFollowsLiveRun: the TUI of replay --tui and live --tui
// polls no output (its snapshots come instead), so the reasons of its
// empty tables, asked when it opened, kept saying the run was still going
// after it had ended. Its snapshots now note the run's state, and the
// reasons are asked again when it changed, once.
func TestEmptyNoteFollowsLiveRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.CopyFS(out, os.DirFS(replayed(t, "lab/dns-snmp-ntp/A.pcap"))); err != nil {
		t.Fatal(err)
	}
	setRunState(t, out, true)
	asked := 0
	empty := func(db *sql.DB) queries.EmptyReasons {
		asked++
		if queries.State(out).Running {
			return queries.EmptyReasons{"oneway_delays": "nothing yet: the replay writing it is still going"}
		}
		return queries.EmptyReasons{"oneway_delays": "no class of the configuration runs the oneway analysis"}
	}
	snaps := liveSnaps()
	m, err := New(Options{Out: out, Renderer: testRenderer(), Live: &fakeLive{snaps: snaps}, Empty: empty})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	m.e.livePoll = time.Millisecond
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("6"), keyMsg("L")) // the written table (the live view shows the engines' rows)
	note := func(step, want string) {
		t.Helper()
		if s := plain(m); !strings.Contains(s, want) {
			t.Fatalf("%s: screen lacks %q:\n%s", step, want, s)
		}
	}
	note("running", "(oneway_delays is empty: nothing yet: the replay writing it is still going)")
	s0, s1 := snaps[0], snaps[1]
	drive(t, m, liveMsg{st: &s0}, liveMsg{st: &s1})
	if asked != 1 {
		t.Fatalf("reasons asked %d times while the run's state did not change, want 1 (at open)", asked)
	}
	setRunState(t, out, false)
	end := snaps[len(snaps)-1]
	drive(t, m, liveMsg{st: &end})
	note("ended", "(oneway_delays is empty: no class of the configuration runs the oneway analysis)")
	if asked != 2 {
		t.Fatalf("reasons asked %d times, want 2 (at open, once the run ended)", asked)
	}
}
