package main

import (
	"encoding/csv"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/tmonbench/tmonbench/queries"
)

// TestNamedQueriesFit120 runs every named query with --width 120 over two
// lab outputs (the FTP lab with the default configuration, the one-way
// UDP lab with samples/oneway-lab.yaml, both rolled up): every line fits
// 120 columns, every query prints a boxed table (never the vertical
// layout) with no cell cut (but events' free-text messages), and ratios
// print as percentages (no *ratio* column; *_pct columns with at most 3
// decimals). A query with a wide form prints it with --wide: other
// columns (more of them, or operator's longer names), as many rows.
func TestNamedQueriesFit120(t *testing.T) {
	lab := filepath.Join(samples(t), "lab")
	tmp := t.TempDir()
	outs := map[string][]string{
		"ftp":    {"replay", "-q", "--out", filepath.Join(tmp, "ftp")},
		"oneway": {"replay", "-q", "--config", filepath.Join("..", "..", "samples", "oneway-lab.yaml"), "--out", filepath.Join(tmp, "oneway")},
	}
	for name, args := range outs {
		for _, f := range []string{"A", "B", "RC", "RS"} {
			args = append(args, filepath.Join(lab, map[string]string{"ftp": "ftp", "oneway": "oneway-udp"}[name], f+".pcap"))
		}
		if code, _, stderr := tmon(t, args...); code != 0 {
			t.Fatalf("replay %s: %s", name, stderr)
		}
		if code, _, stderr := tmon(t, "rollup", "--out", filepath.Join(tmp, name)); code != 0 {
			t.Fatalf("rollup %s: %s", name, stderr)
		}
	}
	pct := 0
	for _, q := range queries.List() {
		for _, name := range []string{"ftp", "oneway"} {
			out := filepath.Join(tmp, name)
			code, stdout, stderr := tmon(t, "query", "--out", out, "--width", "120", q.Name)
			if code != 0 {
				t.Fatalf("query %s on %s: %s", q.Name, name, stderr)
			}
			for _, l := range strings.Split(stdout, "\n") {
				if w := runewidth.StringWidth(l); w > 120 {
					t.Errorf("query %s on %s: a line of %d columns: %q", q.Name, name, w, l)
				}
			}
			if !strings.HasPrefix(stdout, "┌") || (strings.Contains(stdout, "…") && q.Name != "events") {
				t.Errorf("query %s on %s: not a boxed table of uncut cells at 120 columns:\n%s", q.Name, name, stdout)
			}
			rows := csvRows(t, "--out", out, q.Name)
			if q.HasWide() {
				wide := csvRows(t, "--out", out, "--wide", q.Name)
				if len(wide[0]) < len(rows[0]) || len(wide) != len(rows) || slices.Equal(wide[0], rows[0]) {
					t.Errorf("query --wide %s on %s: %d columns, %d rows; the default form: %d columns, %d rows",
						q.Name, name, len(wide[0]), len(wide)-1, len(rows[0]), len(rows)-1)
				}
			}
			for i, col := range rows[0] {
				if col == "ratio" || strings.HasSuffix(col, "_ratio") || strings.Contains(col, "_ratio_") {
					t.Errorf("query %s: column %s is a ratio, not a percentage", q.Name, col)
				}
				if !strings.HasSuffix(col, "_pct") {
					continue
				}
				for _, r := range rows[1:] {
					if _, frac, ok := strings.Cut(r[i], "."); ok && len(frac) > 3 {
						t.Errorf("query %s: %s = %s: more than 3 decimals", q.Name, col, r[i])
					}
					pct++
				}
			}
		}
	}
	if pct == 0 {
		t.Error("no percentage printed: the one-way lab should give loss_pct")
	}
}

// csvRows runs tmonbench query --format csv with args and returns its
// rows, the header first.
func csvRows(t *testing.T, args ...string) [][]string {
	t.Helper()
	code, stdout, stderr := tmon(t, append([]string{"query", "--format", "csv"}, args...)...)
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || len(rows) == 0 {
		t.Fatalf("query --format csv %v: %v %s", args, err, stderr)
	}
	return rows
}
