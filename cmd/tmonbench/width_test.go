package main

import (
	"encoding/csv"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/tmonbench/tmonbench/queries"
)

// TestNamedQueriesFit120 runs every named query with --width 120 over three
// lab outputs (the FTP lab with the default configuration, the one-way
// UDP lab with samples/oneway-lab.yaml, and every lab capture together
// with the default configuration, as a newcomer's first try makes it: its
// probes are named dir/file, dns-snmp-ntp/RC the longest; all rolled up):
// every line fits 120 columns, every query prints a boxed table (never
// the vertical layout) with no cell cut (but events' free-text messages)
// and no column left out (a trial saw operator drop rst and
// conversations a column, top-flows duration_s, operator-rtt cut its
// kinds, on the lab together), and ratios
// print as percentages (no *ratio* column; *_pct columns with at most 3
// decimals). A query with a wide form prints it with --wide: other
// columns (more of them, or operator's longer names), as many rows.
func TestNamedQueriesFit120(t *testing.T) {
	t.Parallel()
	lab := filepath.Join(samples(t), "lab")
	tmp := t.TempDir()
	outs := map[string][]string{
		"ftp":    {"replay", "-q", "--out", filepath.Join(tmp, "ftp")},
		"oneway": {"replay", "-q", "--config", filepath.Join("..", "..", "samples", "oneway-lab.yaml"), "--out", filepath.Join(tmp, "oneway")},
		"lab":    {"replay", "-q", "--out", filepath.Join(tmp, "lab")},
	}
	for name, args := range outs {
		for _, f := range []string{"A", "B", "RC", "RS"} {
			if name == "lab" {
				for _, dir := range []string{"dns-snmp-ntp", "frag", "ftp", "oneway-icmp", "oneway-udp", "tcp-mix"} {
					p := filepath.Join(lab, dir, f+".pcap")
					if dir == "oneway-icmp" {
						p += ".gz"
					}
					args = append(args, p)
				}
				continue
			}
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
		for _, name := range []string{"ftp", "oneway", "lab"} {
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
			leftOut := strings.Contains(stdout, "not shown")
			if !strings.HasPrefix(stdout, "┌") || (strings.Contains(stdout, "…") && q.Name != "events") || leftOut {
				t.Errorf("query %s on %s: not a boxed table of uncut cells and every column at 120 columns:\n%s", q.Name, name, stdout)
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

// TestQueryAddressesWhole: the tcp and top-flows tables at 120 and 80
// columns print every client, server and flow name whole (a trial saw
// 141.142.220.118:80 cut to 141.142.220.11…, which reads as another
// address); what does not fit is a cut probe name, long IPv6 addresses
// elided in their middle ([2001…1002]:35023) with a legend under the
// table giving each whole (read back here: every label put back is the
// address of the CSV), columns left out (and named) or the vertical
// layout. No cut ends in a digit, dot or colon.
func TestQueryAddressesWhole(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out,
		filepath.Join(samples(t), "pcap", "ipv6", "chrissanders_http_ip4and6.pcapng"),
		filepath.Join(samples(t), "pcap", "ftp-passive", "zeek_ftp_bigtransfer.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	cutAddr := regexp.MustCompile(`[0-9.:\]]…`)
	for _, q := range []struct{ name, columns string }{{"tcp", "client server"}, {"top-flows", "name"}} {
		rows := csvRows(t, "--out", out, q.name)
		for _, width := range []string{"120", "80"} {
			code, printed, stderr := tmon(t, "query", "--out", out, "--width", width, q.name)
			stdout := legendBack(printed)
			if code != 0 || cutAddr.MatchString(stdout) {
				t.Errorf("query %s --width %s: exit %d %s, an address cut:\n%s", q.name, width, code, stderr, stdout)
			}
			w, _ := strconv.Atoi(width)
			if maxWidth(printed) > w {
				t.Errorf("query %s --width %s: %d columns wide:\n%s", q.name, width, maxWidth(printed), printed)
			}
			for i, col := range rows[0] {
				if !strings.Contains(q.columns, col) {
					continue
				}
				for _, row := range rows[1:] {
					if !strings.Contains(stdout, " "+row[i]+" ") && !strings.Contains(stdout, " "+row[i]+"\n") {
						t.Errorf("query %s --width %s: %s %s not whole:\n%s", q.name, width, col, row[i], stdout)
					}
				}
			}
		}
	}
}

// legendBack is a table with the labels of its IPv6 legend ("IPv6
// addresses shortened ...", then "  LABEL  ADDRESS" lines) put back as
// the addresses they stand for, the legend itself left out.
func legendBack(table string) string {
	head, legend, ok := strings.Cut(table, "IPv6 addresses shortened to fit (--width 0 prints them whole):\n")
	if !ok {
		return table
	}
	var rest []string
	for _, line := range strings.SplitAfter(legend, "\n") {
		f := strings.Fields(line)
		if !strings.HasPrefix(line, "  ") || len(f) != 2 {
			rest = append(rest, line)
			continue
		}
		head = strings.ReplaceAll(head, "["+f[0]+"]", "["+f[1]+"]")
	}
	return head + strings.Join(rest, "")
}

// TestFTPStatusShown: `query ftp` at 120 columns over a capture whose
// data connections were not captured (zeek_ftp_cwd-navigation: tshark -Y
// ftp-data finds no packet, -Y 'ftp.response.code==226' 689 replies)
// left out the status column, the one saying why bytes and rate_mbps are
// NULL (trial3 D1): status now follows the file, and the last columns
// left out would be numbers.
func TestFTPStatusShown(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, filepath.Join("..", "..", "testdata", "pcap", "ftp-edge", "zeek_ftp_cwd-navigation.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := tmon(t, "query", "--out", out, "--width", "120", "--limit", "3", "ftp")
	if code != 0 || strings.Contains(stdout, "not shown") || !strings.Contains(stdout, "│ status ") || !strings.Contains(stdout, "│ data_n…tured │") {
		t.Errorf("query ftp --width 120: exit %d, stderr %q, want the status column (data_not_captured, cut):\n%s", code, stderr, stdout)
	}
}
