package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// followPair replays zeek_wikipedia.pcap into out (59 flows, probe
// zeek_wikipedia, day 2011-03-18) and zeek_ntp.pcap into more (24 flows
// of 76 bytes each, probe zeek_ntp, day 2016-10-15: their partitions
// move into out whole, as a collector's appends come).
func followPair(t *testing.T) (out, more string) {
	t.Helper()
	dir := t.TempDir()
	out, more = filepath.Join(dir, "out"), filepath.Join(dir, "more")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, capture(t, "pcap/mixed/zeek_wikipedia.pcap"))
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", more, capture(t, "pcap/ntp/zeek_ntp.pcap"))
	return out, more
}

// moveIn renames the folders rels of from into out and runs the output
// check.
func moveIn(t *testing.T, m *Model, from, out string, rels ...string) {
	t.Helper()
	for _, r := range rels {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(out, r)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(from, r), filepath.Join(out, r)); err != nil {
			t.Fatal(err)
		}
	}
	drive(t, m, outputCheckMsg{})
}

// position is the table's "row N" (1-based) of the cursor.
func position(tb *pagedTable) int64 { return tb.offset + int64(tb.cur) + 1 }

// TestFollowKeepsRowPastFirstPage: the Flows screen (by bytes, largest
// first) in a 16-line terminal reads 20 rows a page; the cursor 5 rows
// above the last of zeek_wikipedia's 59 flows (66 bytes) is past the
// first page. The appends' refresh read the first page again and looked
// for the row there by its text: the cursor went to the same index in
// the first page, another flow. Now the row is found again by its key
// (part file, row number), on the same screen line, and its position
// moves down by the 24 NTP flows of 76 bytes that sort before it (the
// replays' flows tables: 24 flows of 76 bytes, none of 66).
func TestFollowKeepsRowPastFirstPage(t *testing.T) {
	out, more := followPair(t)
	m, press, _ := screenModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 16})
	press("2", "G")
	for range 5 {
		press("up")
	}
	tb := activeTable(t, m)
	if tb.offset == 0 || tb.total != 59 {
		t.Fatalf("window from row %d of %d: want past the first page of 59 flows", tb.offset+1, tb.total)
	}
	sel, line, pos := fmt.Sprint(tb.rows[tb.cur].Values), tb.cur-tb.top, position(tb)
	bytes := queries.Int64(tb.current()["bytes"])
	if bytes >= 76 {
		t.Fatalf("selected flow of %d bytes: want one the NTP flows sort before", bytes)
	}

	moveIn(t, m, more, out, "flows/date=2016-10-15", "flow_counters/date=2016-10-15")
	tb = activeTable(t, m)
	if got := fmt.Sprint(tb.rows[tb.cur].Values); got != sel {
		t.Fatalf("after the appends the cursor is on %s, want %s", got, sel)
	}
	if tb.cur-tb.top != line {
		t.Fatalf("row on screen line %d, was on %d", tb.cur-tb.top, line)
	}
	if got := position(tb); got != pos+24 || tb.total != 59+24 {
		t.Fatalf("row %d of %d, want row %d of 83", got, tb.total, pos+24)
	}
	if s := plain(m); !strings.Contains(s, fmt.Sprintf("row %d of 83", pos+24)) {
		t.Fatalf("screen lacks row %d of 83:\n%s", pos+24, s)
	}
}

// TestFollowRerunsSQL: the SQL screen's result was read once: appends
// never reached it. Now the result shown is run again when the output
// grows, the cursor on its row, on its screen line: a list of flows by
// bytes goes from 59 to 83 rows, the selected flow 24 rows further down
// (the NTP flows of 76 bytes sort before its 66); an aggregate by probe
// keeps its row by its text columns (zeek_wikipedia, now second after
// zeek_ntp) while its count grows.
func TestFollowRerunsSQL(t *testing.T) {
	out, more := followPair(t)
	m, press, expect := screenModel(t, out)
	press("8", "/")
	for _, r := range "SELECT name, probe, bytes FROM flows ORDER BY bytes DESC, name" {
		drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	press("ctrl+r")
	expect("the query's result", "59 rows")
	press("G")
	for range 3 {
		press("up")
	}
	s := m.active().(*sqlScreen)
	sel, line := fmt.Sprint(s.res.Rows[s.cur]), s.cur-s.top
	at := s.cur

	moveIn(t, m, more, out, "flows/date=2016-10-15")
	if len(s.res.Rows) != 83 {
		t.Fatalf("after the appends the result has %d rows, want 83", len(s.res.Rows))
	}
	if got := fmt.Sprint(s.res.Rows[s.cur]); got != sel || s.cur != at+24 || s.cur-s.top != line {
		t.Fatalf("cursor on row %d %s line %d; want row %d %s line %d", s.cur, got, s.cur-s.top, at+24, sel, line)
	}

	// an aggregate: its row found by its text columns
	press("esc", "/", "ctrl+u")
	for _, r := range "SELECT probe, count(*) AS flows FROM flows GROUP BY probe ORDER BY flows" {
		drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	press("ctrl+r")
	expect("the aggregate", "zeek_ntp", "zeek_wikipedia")
	press("down")
	if got := fmt.Sprint(s.res.Rows[s.cur]); got != "[zeek_wikipedia 59]" {
		t.Fatalf("cursor on %s, want [zeek_wikipedia 59]", got)
	}
	// three more parts of the NTP flows: 96 of them, now after
	// zeek_wikipedia's 59
	part := filepath.Join(out, "flows", "date=2016-10-15", "probe=zeek_ntp", "part-00000.parquet")
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if err := os.WriteFile(filepath.Join(filepath.Dir(part), fmt.Sprintf("part-%05d.parquet", n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	drive(t, m, outputCheckMsg{})
	if got := fmt.Sprint(s.res.Rows); got != "[[zeek_wikipedia 59] [zeek_ntp 96]]" {
		t.Fatalf("result %s, want [[zeek_wikipedia 59] [zeek_ntp 96]]", got)
	}
	if s.cur != 0 {
		t.Fatalf("cursor on result row %d, want 0 (zeek_wikipedia, now first)", s.cur)
	}
}

// TestFollowRefreshesDetail: a flow's detail was read once: rows
// appended for the flow (here its flow_counters part written again as
// another part: every interval counted twice) never reached it. Now the
// detail shown reads its flow again, scrolled where it was: each
// metric's n and sum (flow_counters summed over the flow) double.
func TestFollowRefreshesDetail(t *testing.T) {
	out, m, press, d := followedDetail(t)
	before := d.d.metrics
	plain(m)
	for range 4 {
		press("down")
	}
	plain(m)
	off := d.vp.YOffset
	if off == 0 {
		t.Fatal("the detail did not scroll")
	}
	countersTwice(t, out)
	drive(t, m, outputCheckMsg{})
	if m.active() != screen(d) {
		t.Fatalf("active screen %T, want the same detail", m.active())
	}
	metricsTwice(t, before, d.d.metrics)
	plain(m)
	if d.vp.YOffset != off {
		t.Fatalf("detail scrolled to line %d after the refresh, was %d", d.vp.YOffset, off)
	}
}

// followedDetail opens the first flow's detail (2, enter) on the first
// output of followPair, with its metrics.
func followedDetail(t *testing.T) (out string, m *Model, press func(...string), d *detail) {
	t.Helper()
	out, _ = followPair(t)
	m, press, _ = screenModel(t, out)
	press("2", "enter")
	d, ok := m.active().(*detail)
	if !ok || d.d == nil || d.d.metrics == nil || len(d.d.metrics.Rows) == 0 {
		t.Fatalf("active screen %T, want a flow's detail with its metrics", m.active())
	}
	return out, m, press, d
}

// countersTwice writes out's flow_counters part (the wikipedia sample's
// replay) a second time, as part-00001: every metric's n and sum double.
func countersTwice(t *testing.T, out string) {
	t.Helper()
	part := filepath.Join(out, "flow_counters", "date=2011-03-18", "probe=zeek_wikipedia", "part-00000.parquet")
	b, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(part), "part-00001.parquet"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// metricsTwice checks a detail's metrics after countersTwice: each
// metric's n and sum twice before's.
func metricsTwice(t *testing.T, before, after *queries.Result) {
	t.Helper()
	if len(after.Rows) != len(before.Rows) {
		t.Fatalf("metrics %v after, %v before", after.Rows, before.Rows)
	}
	for i, r := range after.Rows {
		for _, c := range []int{1, 2} { // n, sum
			if queries.Float64(r[c]) != 2*queries.Float64(before.Rows[i][c]) {
				t.Fatalf("metric %v: %s %v, want twice %v (the part written twice)", r[0], after.Columns[c], r[c], before.Rows[i][c])
			}
		}
	}
}

// flatten moves every part of out's tables into its table folder
// (part-<n>.parquet, n counting up), as an output written before schema
// version 2 lays them, and removes the partition folders.
func flatten(t *testing.T, out string) {
	t.Helper()
	tables, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range tables {
		if !tab.IsDir() || strings.HasPrefix(tab.Name(), ".") {
			continue
		}
		dir := filepath.Join(out, tab.Name())
		var parts []string
		filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(p, ".parquet") && filepath.Dir(p) != dir {
				parts = append(parts, p)
			}
			return err
		})
		for i, p := range parts {
			if err := os.Rename(p, filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", 100+i))); err != nil {
				t.Fatal(err)
			}
		}
		subs, _ := os.ReadDir(dir)
		for _, s := range subs {
			if s.IsDir() {
				os.RemoveAll(filepath.Join(dir, s.Name()))
			}
		}
	}
}

// TestFollowPartitionDepth: an output of flat parts (before schema
// version 2) to which a collector writing date=…/probe=… partitions
// appends, and the reverse. The check saw the folders change, but the
// views kept the glob of the depth they were opened on (*.parquet, or
// */*/*.parquet): the appended flows never showed. Now a table whose
// parts come at another depth reopens the database, the views and the
// table screens reading every depth: 59 + 24 flows, the NTP ones among
// them, on the Flows screen and the overview.
func TestFollowPartitionDepth(t *testing.T) {
	for _, flatFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("flat first %v", flatFirst), func(t *testing.T) {
			out, more := followPair(t)
			if flatFirst {
				flatten(t, out)
			} else {
				flatten(t, more)
			}
			m, press, expect := screenModel(t, out)
			press("2")
			if tb := activeTable(t, m); tb.total != 59 {
				t.Fatalf("%d flows before the appends, want 59", tb.total)
			}
			if flatFirst {
				moveIn(t, m, more, out, "flows/date=2016-10-15", "flow_counters/date=2016-10-15")
			} else {
				for _, tab := range []string{"flows", "flow_counters"} {
					parts, _ := filepath.Glob(filepath.Join(more, tab, "*.parquet"))
					for i, p := range parts {
						if err := os.Rename(p, filepath.Join(out, tab, fmt.Sprintf("part-%05d.parquet", 200+i))); err != nil {
							t.Fatal(err)
						}
					}
				}
				drive(t, m, outputCheckMsg{})
			}
			expect("flows after the appends", "row 1 of 83")
			press("1")
			expect("overview after the appends", "zeek_ntp", "zeek_wikipedia")
		})
	}
}
