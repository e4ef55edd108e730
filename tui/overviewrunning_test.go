package tui

import (
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestOverviewNoFlowYet: the Overview of a running collector's output
// before any flow has ended said "(no flows)" and "no flows to add up", as
// for a capture without a flow (a tmux trial: `tmonbench tui` on a
// collector started with samples/dist.yaml, no probe yet). While the run
// goes (run.json: state "running", the pid of a live process, as
// engine/store writes it while a collector appends), it now says why, in
// the words `tmonbench query summary` prints for the same output
// (cmd/tmonbench TestEmptyNoteOnceRunning: "flows is empty: no flow has
// ended yet: the collector writing it is still going (a flow's row is
// written when it ends: idle, evicted or at the end of the run)"), at 120
// columns (the probe table on one line) and 80 (narrowProbeTable), every
// line within the width; once the run has ended, "(no flows)" again
// (noFlowOutput).
func TestOverviewNoFlowYet(t *testing.T) {
	out := noFlowOutput(t)
	const want = "(flows is empty: no flow has ended yet: the collector writing it is still going " +
		"(a flow's row is written when it ends: idle, evicted or at the end of the run))"
	for _, w := range []int{120, 80} {
		setRunState(t, out, false)
		m := newTestModel(t, out)
		drive(t, m, tea.WindowSizeMsg{Width: w, Height: 40})
		drive(t, m, runCmd(m.Init())...)
		s := trimLines(plain(m))
		if !strings.Contains(s, "  (no flows)\n") || !strings.Contains(s, "no flows to add up\n") || strings.Contains(s, "ended yet") {
			t.Fatalf("%d columns, a finished output without a flow:\n%s", w, s)
		}
		setRunState(t, out, true)
		drive(t, m, outputCheckMsg{})
		s = trimLines(plain(m))
		var words []string
		for _, l := range strings.Split(s, "\n") {
			if ansi.StringWidth(l) > w {
				t.Fatalf("%d columns: a line of %d: %q", w, ansi.StringWidth(l), l)
			}
			if f := strings.Fields(l); len(words) > 0 || len(f) > 0 && f[0] == "(flows" {
				if len(f) == 0 {
					break
				}
				words = append(words, f...)
			}
		}
		if got := strings.Join(words, " "); got != want || !strings.Contains(s, "no flows to add up yet\n") {
			t.Fatalf("%d columns, the collector still running: the note\n%q\nwant\n%q\n%s", w, got, want, s)
		}
		setRunState(t, out, false)
		drive(t, m, outputCheckMsg{})
		if s := trimLines(plain(m)); !strings.Contains(s, "  (no flows)\n") || strings.Contains(s, "ended yet") {
			t.Fatalf("%d columns, the collector ended:\n%s", w, s)
		}
	}
}

// noFlowOutput is a finished replay of the lab's FTP capture whose
// --filter matched no packet (no flow), made a collector's in its
// run.json.
func noFlowOutput(t *testing.T) string {
	out := filepath.Join(t.TempDir(), "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--filter", "port 1", "--out", out, capture(t, ftpLab))
	setMode(t, out, "collector")
	return out
}

// TestDetailNoFlowYet: a flow's detail without its flows row said why
// only under --tui (its snapshots); on a running collector's output
// (run.json, as TestOverviewNoFlowYet) it said "no flows row" alone. It
// now says the flow has not ended and the collector is still going, with
// when the row is written (queries.FlowRowWhen, the words of `tmonbench
// query`), as a note: the status line says no error.
func TestDetailNoFlowYet(t *testing.T) {
	out := noFlowOutput(t)
	setRunState(t, out, true)
	m := newTestModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 200, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, pushMsg{s: newDetail(m.e, flowRef{probe: "A", flowID: 99999})})
	want := "flow 99999 of probe A has not ended yet: the collector writing it is still going (a flow's row is written when it ends: idle, evicted or at the end of the run)"
	if s := plain(m); !strings.Contains(s, want) {
		t.Fatalf("screen lacks %q:\n%s", want, s)
	}
	// not a failure: no "error:" on the status line (a live trial read
	// the red "error: … no flows row" of a flow still going as a fault)
	lines := strings.Split(plain(m), "\n")
	if st := lines[len(lines)-2]; strings.Contains(st, "error") || strings.Contains(st, "no flows row") {
		t.Errorf("status line of a flow not ended yet: %q", st)
	}
}

// trimLines is s without the spaces ending its lines (a View pads them
// to the window's width).
func trimLines(s string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(ls, "\n")
}

// setMode writes mode into out's run.json ("collector": the output of a
// collector, which appends in place).
func setMode(t *testing.T, out, mode string) {
	t.Helper()
	editRunJSON(t, out, func(man map[string]any) { man["mode"] = mode })
}
