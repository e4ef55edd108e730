package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// goldenScreens are the screens drawn at 80×24, the smallest supported
// terminal, each the final screen of its keys on the lab FTP capture
// (testdata/TestGoldenAt80/<name>.golden).
var goldenScreens = []struct {
	name  string
	steps []step
}{
	{"Overview", []step{{wait: []string{"Throughput", "Protocols", "7,799"}}}},
	{"Flows", []step{{keys: keys("2"), wait: []string{"row 1 of 84", "sorted by bytes ↓"}}}},
	{"Filter", []step{
		{keys: keys("2"), wait: []string{"row 1 of 84"}},
		{keys: keys("/"), typed: "tcp port 21", wait: []string{"/tcp port 21"}},
		{keys: keys("enter"), wait: []string{"of 20", "filter: tcp port 21"}}}},
	{"TCP", []step{{keys: keys("3"), wait: []string{"row 1 of 21", "sorted by start_time"}}}},
	{"FTP", []step{{keys: keys("4"), wait: []string{"file-5M.bin", "row 1 of 16"}}}},
	{"RTT", []step{{keys: keys("5"), wait: []string{"row 1 of 21"}}}},
	{"OneWay", []step{{keys: keys("6"), wait: []string{"no rows · sorted by send_time"}}}},
	{"Events", []step{{keys: keys("7"), wait: []string{"row 1 of 11"}}}},
	{"EventRow", []step{
		{keys: keys("7"), wait: []string{"row 1 of 11"}},
		{keys: keys("/"), typed: "where kind = 'ftp_totals'", wait: []string{"ftp_totals'"}},
		{keys: keys("enter"), wait: []string{"row 1 of 1 "}},
		{keys: keys("m"), wait: []string{"Events row 1", "transfers_lost=0"}}}},
	{"SQLList", []step{{keys: keys("8"), wait: []string{"Named queries"}}}},
	{"SQL", []step{
		{keys: keys("8"), wait: []string{"Named queries"}},
		{keys: keys("/"), typed: "select command, file_name, bytes, status from ftp_transfers order by bytes desc, file_name", wait: []string{"ctrl+r runs"}},
		{keys: keys("ctrl+r"), wait: []string{"16 rows", "file-5M.bin"}}}},
	{"SQLRow", []step{
		{keys: keys("8"), wait: []string{"Named queries"}},
		{keys: keys("/"), typed: "select command, file_name, bytes, status from ftp_transfers order by bytes desc, file_name", wait: []string{"ctrl+r runs"}},
		{keys: keys("ctrl+r"), wait: []string{"16 rows", "file-5M.bin"}},
		{keys: keys("m"), wait: []string{"SQL row 1", "5242880"}}}},
	{"FlowDetail", []step{
		{keys: keys("4"), wait: []string{"file-5M.bin", "row 1 of 16"}},
		{keys: keys("enter"), wait: []string{"Counters over time", "1 interval(s)"}}}},
	{"Packets", []step{
		{keys: keys("4"), wait: []string{"file-5M.bin", "row 1 of 16"}},
		{keys: keys("enter"), wait: []string{"Counters over time"}},
		{keys: keys("p"), wait: []string{"3624 packets", "Flags [S.]"}}}},
	{"Help", []step{{keys: keys("?"), wait: []string{"any key closes"}}}},
}

// TestGoldenAt80: every screen at 80×24 (the live overview and a
// missing output's screen too), compared with its golden.
func TestGoldenAt80(t *testing.T) {
	out := replayed(t, ftpLab)
	for _, s := range goldenScreens {
		t.Run(s.name, func(t *testing.T) {
			golden.RequireEqual(t, []byte(goldenRunAt(t, out, 80, 24, s.steps...)))
		})
	}
	t.Run("Live", func(t *testing.T) {
		golden.RequireEqual(t, []byte(liveGoldenView(t, 80, 24)))
	})
	t.Run("Error", func(t *testing.T) {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		t.Chdir(t.TempDir())
		v := goldenRunAt(t, "no-such-run", 80, 24, step{keys: keys("2"), wait: []string{"no tmonbench output in no-such-run"}})
		if err := os.Chdir(wd); err != nil {
			t.Fatal(err)
		}
		golden.RequireEqual(t, []byte(v))
	})
}

// screenHints are the key hints a screen draws in its body, besides the
// footer every screen ends with.
var screenHints = map[string]string{
	"Overview": overviewHint,
	"Live":     overviewHint,
	"SQLList":  "enter runs",
	"SQL":      "esc: back to the list",
	"Packets":  "w writes a pcap",
	"Help":     "any key closes",
}

// typingFooters are the footers of the goldens that end with a text field
// holding the keys, where ? and q are typed, not help and quit
// (TestFooterWhileTyping): the SQL editor back on a query that failed.
var typingFooters = map[string]string{
	"QueryError": "ctrl+r run • esc leave the editor",
}

// TestGoldenHints: every screen shows its key hints at every size: the
// footer (at least "? help" and "q quit"; a text field's own keys while it
// has them, typingFooters) on its last line, and the
// screen's own hint line in its body, in every golden at 80×24 (the
// live overview's legend once pushed the overview's hint off its
// body, at 120×40 too) and at 120×40.
func TestGoldenHints(t *testing.T) {
	at80, err := filepath.Glob("testdata/TestGoldenAt80/*.golden")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(goldenScreens) + 2; len(at80) != want {
		t.Fatalf("%d goldens at 80×24, want %d (one a screen)", len(at80), want)
	}
	at120, err := filepath.Glob("testdata/TestGolden*.golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(at80, at120...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(ansi.Strip(string(b)), "\n")
		w, h := 80, 24
		switch {
		case strings.HasSuffix(f, "60.golden"):
			w = 60
		case !strings.Contains(f, "At80") && !strings.HasSuffix(f, "80.golden"):
			w, h = 120, 40
		}
		if len(lines) != h || ansi.StringWidth(lines[0]) != w {
			t.Errorf("%s: %d lines of %d, want %d×%d", f, len(lines), ansi.StringWidth(lines[0]), w, h)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".golden")
		name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, "TestGolden"), "80"), "60")
		last := lines[len(lines)-1]
		if keys, ok := typingFooters[name]; ok {
			if !strings.HasPrefix(last, keys) {
				t.Errorf("%s: the last line is not the text field's footer %q: %q", f, keys, last)
			}
		} else if !strings.Contains(last, "? help") || !strings.Contains(last, "q quit") {
			t.Errorf("%s: the last line is not the keys' footer: %q", f, last)
		}
		if hint, ok := screenHints[name]; ok && !strings.Contains(strings.Join(lines[1:len(lines)-2], "\n"), hint) {
			t.Errorf("%s: the screen's hint %q is not in its body:\n%s", f, hint, strings.Join(lines, "\n"))
		}
	}
}
