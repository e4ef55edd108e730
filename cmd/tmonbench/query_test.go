package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/queries"
)

// TestQueryFlags (issues 9.4, 9.6): --limit and the default of 40 rows,
// --width, repeated --sql, a multi-statement or empty --sql refused
// before any runs, a rollup
// query before rollup said in one line, --local-time
// under TZ=Europe/Brussels, and the help's export and flag lines
// (TestQueryHelpListsAll checks its queries and tables).
func TestQueryFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "o")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatal(stderr)
	}
	_, stdout, _ := tmon(t, "query", "--out", out, "--width", "0", "--sql", "select flow_id from flows order by flow_id")
	if !strings.HasSuffix(stdout, "... 19 more rows (--limit N prints N, --limit 0 all)\n(59 rows)\n") || strings.Count(stdout, "\n") != 40+4+2 {
		t.Errorf("default limit:\n%s", stdout)
	}
	_, stdout, _ = tmon(t, "query", "--out", out, "--limit", "0", "--width", "0", "--sql", "select flow_id from flows")
	if strings.Contains(stdout, "more rows") || !strings.HasSuffix(stdout, "(59 rows)\n") {
		t.Errorf("--limit 0:\n%s", stdout)
	}
	_, stdout, _ = tmon(t, "query", "--out", out, "--width", "50", "--sql", "select name, packets from flows order by flow_id limit 3")
	if maxWidth(stdout) > 50 || !strings.Contains(stdout, "…") {
		t.Errorf("--width 50:\n%s", stdout)
	}
	// two results: a blank line between two CSV results, as between two
	// tables (README), not "a\n1\nb\n2\n", which reads as one column a
	// of rows 1, b, 2 (a trial); JSON: one array each, a stream jq reads
	for format, want := range map[string]string{"csv": "a\n1\n\nb\n2\n", "json": "[\n  {\"a\":1}\n]\n[\n  {\"b\":2}\n]\n"} {
		code, stdout, _ := tmon(t, "query", "--out", out, "-f", format, "--sql", "select 1 a", "--sql", "select 2 b")
		if code != 0 || stdout != want {
			t.Errorf("two --sql, --format %s: %d %q, want %q", format, code, stdout, want)
		}
	}
	code, _, stderr := tmon(t, "query", "--out", out, "--sql", "select 1; select 2")
	if code != 2 || !strings.Contains(stderr, `--sql "select 1; select 2" holds several statements: give one per --sql`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("two statements in one --sql: %d %q", code, stderr)
	}
	// every --sql is checked before the first runs; an empty one is a usage error
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--sql", "select 1", "--sql", "select 2; select 3"}, `--sql "select 2; select 3" holds several statements`},
		{[]string{"--sql", ""}, `--sql "" holds no SQL statement`},
		{[]string{"--sql", "select 1", "--sql", "-- a comment"}, `--sql "-- a comment" holds no SQL statement`},
	} {
		code, stdout, stderr := tmon(t, append([]string{"query", "--out", out}, c.args...)...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "tmonbench query: "+c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, nothing run, %q", c.args, code, stdout, stderr, c.want)
		}
	}
	// a query over the rollups before rollup ran: one line that says what to run
	code, _, stderr = tmon(t, "query", "--out", out, "manager")
	if want := "query manager reads the rollups and the addresses table, which " + out + " does not hold yet: run `tmonbench rollup --out " + out + "` first"; code != 1 || strings.TrimSpace(stderr) != "tmonbench query: "+want {
		t.Errorf("manager before rollup: %d %q", code, stderr)
	}
	// report likewise, naming the folder (it said `tmonbench rollup`, which prepares ./tmon-out)
	code, _, stderr = tmon(t, "report", "--out", out, "-o", filepath.Join(t.TempDir(), "r.html"))
	if want := "report: the report reads the rollups and the addresses table, which " + out + " does not hold yet: run `tmonbench rollup --out " + out + "` first"; code != 1 || strings.TrimSpace(stderr) != "tmonbench "+want {
		t.Errorf("report before rollup: %d %q", code, stderr)
	}
	_, help, _ := tmon(t, "query", "--help")
	for _, want := range []string{"COPY (SELECT ...) TO", "--local-time", "--wide"} {
		if !strings.Contains(help, want) {
			t.Errorf("query --help lacks %q", want)
		}
	}
	cmd := exec.Command(testout.Binary(t), "query", "--out", out, "-f", "csv", "--local-time", "--sql", "select min(first_seen) t from flows")
	cmd.Env = append(os.Environ(), "TZ=Europe/Brussels")
	b, err := cmd.Output()
	if err != nil || string(b) != "t\n2011-03-18T20:06:07.096535000+01:00\n" { // 19:06:07Z in the README's summary
		t.Errorf("--local-time under TZ=Europe/Brussels: %q %v", b, err)
	}
}

func maxWidth(s string) int {
	m := 0
	for _, l := range strings.Split(s, "\n") {
		m = max(m, len([]rune(l)))
	}
	return m
}

// TestSchema (issue 9.5): `query --schema` prints docs/tables.md, the
// reference generated from the code; every event kind a replay writes is
// in it (lab captures with fragments and one-way classes, a truncated
// capture, a capture whose time goes back).
func TestSchema(t *testing.T) {
	code, stdout, _ := tmon(t, "query", "--schema")
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "tables.md"))
	if code != 0 || err != nil || stdout != string(md) {
		t.Fatalf("query --schema (exit %d) differs from docs/tables.md (%v)", code, err)
	}
	out := filepath.Join(t.TempDir(), "o")
	s := testsamples.Dir(t)
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, "--config", filepath.Join("..", "..", "samples", "oneway-lab.yaml"),
		"--probe", "A="+filepath.Join(s, "lab", "frag", "A.pcap"), "--probe", "B="+filepath.Join(s, "lab", "frag", "B.pcap"),
		"--probe", "T="+filepath.Join(s, "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap"),
		"--probe", "E="+filepath.Join(s, "edge", "17-pcapng-sections-tsresol", "input.pcapng")); code != 0 {
		t.Fatal(stderr)
	}
	_, kinds, _ := tmon(t, "query", "--out", out, "-f", "csv", "--sql", "select distinct kind from events order by 1")
	lines := strings.Split(strings.TrimSpace(kinds), "\n")[1:]
	if len(lines) < 3 {
		t.Fatalf("only %d event kinds: %q", len(lines), kinds)
	}
	for _, k := range lines {
		if !strings.Contains(stdout, "| `"+k+"` |") {
			t.Errorf("event kind %s is not in the reference (go run ./internal/refgen)", k)
		}
	}
}

// TestSchemaOfTables: `query --schema TABLE...` prints those tables'
// sections of the reference (D20 of a new user's trial: `--schema flows`
// was refused), a rollup its family's, each as docs/tables.md has it.
func TestSchemaOfTables(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "tables.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := func(head string) string { // from "## head" to the next "## "
		_, rest, _ := strings.Cut(string(md), "\n## "+head+"\n")
		body, _, _ := strings.Cut(rest, "\n## ")
		return "## " + head + "\n" + strings.TrimRight(body, "\n") + "\n"
	}
	code, stdout, stderr := tmon(t, "query", "--schema", "flows", "rtt_histograms_1h")
	want := section("flows") + "\n" + section("rtt_histograms_1m, rtt_histograms_1h, rtt_histograms_1d")
	if code != 0 || stdout != want || !strings.Contains(stdout, "| `flow_id` | UBIGINT |") {
		t.Errorf("query --schema flows rtt_histograms_1h: %d %q\n%s\nwant\n%s", code, stderr, stdout, want)
	}
}

// TestReassembledInSummaries (issue 15.15): the datagrams reassembled from
// fragments are in the replay summary and in `query summary`, per
// protocol. engine/probe/testdata/frag-payload.pcap (generated by
// TestFragmentPayloadOnce) holds a UDP datagram over IPv4 in 4 fragments,
// one over IPv6 in 3 and a TCP segment over IPv4 in 3: 3 datagrams, 2 UDP
// and 1 TCP (tshark -r it -o ip.defragment:TRUE -o ipv6.defragment:TRUE
// -Y "ip.reassembled.length or ipv6.reassembled.length": 3 frames).
func TestReassembledInSummaries(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	code, stdout, stderr := tmon(t, "replay", "--out", out, filepath.Join("..", "..", "engine", "probe", "testdata", "frag-payload.pcap"))
	if code != 0 || !strings.Contains(stdout, "\n  reassembled                3  (") {
		t.Fatalf("replay: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = tmon(t, "query", "--out", out, "--format", "csv", "summary")
	var got []string // protocol and ip_reassembled, the second and last columns
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		f := strings.Split(line, ",")
		got = append(got, f[1]+"="+f[len(f)-1])
	}
	if want := "protocol=ip_reasm udp=2 tcp=1 total=3"; code != 0 || strings.Join(got, " ") != want {
		t.Errorf("query summary: exit %d %q, want %q\n%s%s", code, got, want, stdout, stderr)
	}
}

// TestQueryHelpListsAll (issue 9.5): `query --help` lists every named
// query with its one-line description (and [--wide] for those with a wide
// form), and every table of the reference (docs/tables.md): those every
// run writes, the rollups, packet_index and addresses.
func TestQueryHelpListsAll(t *testing.T) {
	code, help, _ := tmon(t, "query", "--help")
	if code != 0 {
		t.Fatalf("query --help: exit status %d", code)
	}
	_, named, _ := strings.Cut(help, "Named queries:\n")
	named, tables, _ := strings.Cut(named, "\nTables ")
	for _, q := range queries.List() {
		line := fmt.Sprintf("  %-16s %s", q.Name, q.Description)
		if q.HasWide() {
			line += " [--wide]"
		}
		if !strings.Contains(named, line+"\n") {
			t.Errorf("query --help lacks the line %q", line)
		}
	}
	names := observe.TableNames()
	for _, d := range observe.DerivedTables {
		names = append(names, d.Names...)
	}
	if len(names) < len(observe.Tables)+16 { // 15 rollups and packet_index
		t.Errorf("tables of the reference: %v", names)
	}
	for _, name := range names {
		if !regexp.MustCompile(`[ ,]` + name + `(,|\n)`).MatchString(tables) {
			t.Errorf("query --help lacks the table %s:\n%s", name, tables)
		}
	}
}

// TestQueryPipedWidth: the table format piped (stdout not a terminal, as
// tmon's buffer) with no --width fits $COLUMNS, else 120 columns, long
// cells cut with … (a trial saw `query events | less` 407 columns wide),
// or, at 80 where the kind is not cut (queries.MachineName), one block
// an event, its message wrapped; --width 0 and --format csv print every
// cell whole.
func TestQueryPipedWidth(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	f := filepath.Join(samples(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, f); code != 0 {
		t.Fatal(stderr)
	}
	whole := csvRows(t, "--out", out, "--sql", "select max(length(message)) from events")[1][0]
	for _, c := range []struct {
		columns string
		width   int
	}{{"", 120}, {"80", 80}} {
		t.Setenv("COLUMNS", c.columns)
		code, stdout, _ := tmon(t, "query", "--out", out, "events")
		if w := maxWidth(stdout); code != 0 || w > c.width || w < c.width-2 || !strings.Contains(stdout, "…") && !strings.Contains(stdout, "─[ row 1 ]") {
			t.Errorf("COLUMNS=%q: exit %d, %d columns wide, want %d with cells cut:\n%s", c.columns, code, w, c.width, stdout)
		}
	}
	_, stdout, _ := tmon(t, "query", "--out", out, "--width", "0", "events")
	if n, _ := strconv.Atoi(whole); n < 100 || maxWidth(stdout) < n || strings.Contains(stdout, "…") {
		t.Errorf("--width 0: not every cell whole (longest message %s):\n%s", whole, stdout)
	}
}

// TestQueryNotes: `query` says on stderr why a table is empty when no
// class of the output's configuration (run.json) runs the analysis that
// fills it (a trial's config without tcp gave `query tcp` "(0 rows)" and
// nothing else), and, when a replay into the folder was killed (its
// staging folder's run.json says running, its process is gone), that the
// tables are the last finished replay's (a trial queried rows of the
// previous capture without a word).
func TestQueryNotes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("classes:\n  - {name: web, filter: \"tcp\", granularity: [src_addr, dst_addr], analyses: [counters]}\n"), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	_, stdout, stderr := tmon(t, "query", "--out", out, "tcp")
	if want := "tmonbench query: tcp_connections is empty: no class of the configuration that wrote " + out + " runs the tcp analysis (add \"tcp\" to a class's analyses)\n"; !strings.HasSuffix(stdout, "(0 rows)\n") || !strings.Contains(stderr, want) {
		t.Errorf("query tcp: stdout %q stderr %q, want (0 rows) and %q", stdout, stderr, want)
	}
	if _, _, stderr := tmon(t, "query", "--out", out, "summary"); stderr != "" {
		t.Errorf("query summary: stderr %q, want nothing", stderr)
	}
	// the default configuration runs ftp (class ftp) and no oneway: over
	// a capture without FTP (zeek_wikipedia: tshark -Y ftp finds nothing)
	// ftp, and ftp-daily after rollup, say the ftp class matched nothing,
	// oneway-hourly that no class runs oneway, on its rollup (they said
	// "(0 rows)" alone, a trial)
	plain := filepath.Join(dir, "plain")
	if code, _, stderr := tmon(t, "replay", "-q", "--rollup", "--out", plain, filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	noFTP := "tmonbench query: ftp_transfers is empty: no packet matched the classes that run the ftp analysis (ftp: no flow of theirs in flows)\n"
	for q, want := range map[string]string{"ftp": noFTP, "ftp-daily": noFTP,
		"oneway-hourly": "tmonbench query: oneway_loss_1h is empty: no class of the configuration that wrote " + plain + " runs the oneway analysis (add \"oneway\" to a class's analyses) (oneway_loss_1h is rolled up from oneway_loss)\n"} {
		if code, stdout, stderr := tmon(t, "query", "--out", plain, q); code != 0 || stderr != want || !strings.HasSuffix(stdout, "(0 rows)\n") {
			t.Errorf("query %s: exit %d, stdout %q, stderr %q, want (0 rows) and %q", q, code, stdout, stderr, want)
		}
	}
	// a name inside another word is not the table (the review: any
	// substring matched)
	if _, _, stderr := tmon(t, "query", "--out", out, "--sql", "SELECT 1 AS my_tcp_connections_x"); stderr != "" {
		t.Errorf("query naming no table: stderr %q, want nothing", stderr)
	}
	// a killed replay's staging folder: a process that has ended
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(out, fmt.Sprintf(".tmon-run-%d-1", gone.Process.Pid))
	os.Mkdir(staging, 0o755)
	os.WriteFile(filepath.Join(staging, "run.json"), []byte(fmt.Sprintf(`{"mode": "replay", "state": "running", "pid": %d, "started": "2026-12-06T00:00:00Z"}`, gone.Process.Pid)), 0o644)
	_, _, stderr = tmon(t, "query", "--out", out, "summary")
	if want := fmt.Sprintf("tmonbench query: a replay into %s (pid %d, started 2026-12-06T00:00:00Z) stopped without finishing (killed?): none of its rows are in these tables, which are the last finished replay's\n", out, gone.Process.Pid); stderr != want {
		t.Errorf("query after a killed replay: stderr %q, want %q", stderr, want)
	}
}

// TestQueryTCPIPv6: `query tcp` over an IPv6 FTP capture, piped (120
// columns), is a table of one line per connection, not blocks of
// "column │ value" lines: the long addresses are elided in their middle
// and the legend under the table gives them whole. The six connections
// and the two addresses are tshark's:
// tshark -r testdata/pcap/ftp-active/zeek_ftp_ipv6.pcap -q -z conv,tcp.
func TestQueryTCPIPv6(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	f := filepath.Join(samples(t), "pcap", "ftp-active", "zeek_ftp_ipv6.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, f); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("COLUMNS", "")
	code, stdout, stderr := tmon(t, "query", "--out", out, "tcp")
	if code != 0 || maxWidth(stdout) > 120 || strings.Contains(stdout, "─[ row") || strings.Count(stdout, "│ zeek_ftp_ipv6 │") != 6 {
		t.Fatalf("exit %d, %d columns wide, want six connections a line each within 120:\n%s%s", code, maxWidth(stdout), stdout, stderr)
	}
	for _, want := range []string{
		"│ [2001…2e3e]:49185 ", "│ [2001…21]:21 ", // the control connection
		"│ [2001…21]:55647 ", "│ [2001…2e3e]:49190 ", // the last active-mode data connection
		"\n  2001…2e3e  2001:470:1f11:81f:c999:d94:aa7c:2e3e\n  2001…21    2001:470:4867:99::21\n(6 rows)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("lacks %q:\n%s", want, stdout)
		}
	}
}
