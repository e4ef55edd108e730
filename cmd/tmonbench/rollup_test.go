package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/queries/enrich"
)

// TestRollupCommand: `replay --rollup` and `rollup` write the 15 rollup
// tables beside the raw ones; a later replay into the folder still
// replaces it.
func TestRollupCommand(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	code, stdout, stderr := tmon(t, "replay", "--rollup", "--out", out, wiki)
	if code != 0 || !strings.Contains(stdout, "flow_counters_1d            312 rows") || !strings.Contains(stdout, "\ntmonbench rollup: "+out+"\n") {
		t.Fatalf("replay --rollup: %d\n%s\n%s", code, stdout, stderr)
	}
	for _, tbl := range []string{"flow_counters_1m", "rtt_histograms_1h", "oneway_latency_1d", "oneway_loss_1d", "size_histograms_1m"} {
		if m, _ := filepath.Glob(filepath.Join(out, tbl, "date=*", "*=*", "part-*.parquet")); len(m) == 0 {
			t.Errorf("%s: no Hive part", tbl)
		}
	}
	// each command's lines start "tmonbench CMD: " (rollup and enrich said "tmonbench: DIR")
	if code, stdout, stderr = tmon(t, "rollup", "--out", out); code != 0 || !strings.Contains(stdout, "rtt_histograms_1d") || !strings.HasPrefix(stdout, "tmonbench rollup: "+out+"\n") {
		t.Fatalf("rollup: %d\n%s\n%s", code, stdout, stderr)
	}
	// 8 addresses of the wikipedia capture are in 141.142.220.0/24 (the client 141.142.220.118 and its LAN neighbours:
	// tcpdump -nr zeek_wikipedia.pcap 'ip and net 141.142.220.0/24').
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("enrich:\n  networks:\n    - {cidr: 141.142.220.0/24, activity: ENG, location: Lab}\n"), 0o644)
	if code, stdout, stderr = tmon(t, "enrich", "--config", cfg, "--out", out); code != 0 || !strings.Contains(stdout, "(8 in configured networks, 0 known to a geoip database, 0 DNS names, 0 look-ups)") ||
		!strings.HasPrefix(stdout, "tmonbench enrich: "+out+"\n") {
		t.Fatalf("enrich: %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select address, activity, location from addresses where address = '141.142.220.118'"); stdout != "address,activity,location\n141.142.220.118,ENG,Lab\n" {
		t.Errorf("addresses: %d %q", code, stdout)
	}
	page := filepath.Join(t.TempDir(), "r.html")
	if code, stdout, stderr = tmon(t, "report", "--out", out, "--from", "2011-03-18", "--activity", "ENG", "-o", page); code != 0 || !strings.Contains(stdout, "6 tables") || stderr != "" {
		t.Fatalf("report: %d\n%s\n%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), `"activity":"ENG"`) || !strings.Contains(string(b), "Apache ECharts") {
		t.Errorf("report page: %v, %d bytes", err, len(b))
	}
	if code, _, stderr = tmon(t, "report", "--out", out, "--from", "yesterday"); code != 2 || !strings.Contains(stderr, "--from") {
		t.Errorf("report --from yesterday: %d %q", code, stderr)
	}
	// a range without rows: the page is still written (exit 0, as a replay
	// of a capture without a packet) but a warning says it is empty (it
	// said "0 charts" alone)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2020-01-01", "--to", "2020-01-02"}, "no rows between 2020-01-01T00:00:00Z and 2020-01-02T00:00:00Z"},
		{[]string{"--activity", "NOPE"}, `no rows of activity "NOPE" in ` + out},
	} {
		code, stdout, stderr = tmon(t, append([]string{"report", "--out", out, "-o", page}, c.args...)...)
		if want := "tmonbench report: warning: " + c.want + ": the report has no charts\n"; code != 0 || stderr != want || !strings.Contains(stdout, "(0 charts, 6 tables)") {
			t.Errorf("report %v: %d, stdout %q, stderr %q, want %q", c.args, code, stdout, stderr, want)
		}
	}
	// merge: an output with a copy of itself is itself (every row once),
	// in the Hive layout, with its manifest; the same output named twice
	// is refused (its rows would count twice as read).
	twin := filepath.Join(t.TempDir(), "twin")
	if err := os.CopyFS(twin, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	if code, _, stderr = tmon(t, "merge", "--out", merged, out, out); code != 1 || stderr != "tmonbench merge: "+out+" and "+out+" are the same output: name each source once\n" {
		t.Errorf("merge of one output twice: %d %q", code, stderr)
	}
	if code, stdout, stderr = tmon(t, "merge", "--out", merged, out, twin); code != 0 || !strings.Contains(stdout, "flows                       118 rows read,         59 distinct written") {
		t.Fatalf("merge: %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(merged, "_manifest.json")); err != nil {
		t.Error(err)
	}
	mergedRunJSON(t, merged, out, twin)
	// packet_index is not derived from the tables: rollup never rebuilds
	// it (the merge said it did); a replay of the captures writes it
	if !strings.Contains(stdout, "  not merged: [packet_index] (offsets into each source's capture files, for the TUI's p; replay the captures to write it)\n") ||
		!strings.Contains(stdout, "  not merged (derived; tmonbench rollup rebuilds them): [flow_counters_1d") || strings.Contains(stdout, "packet_index]\n") {
		t.Errorf("merge: what it did not merge:\n%s", stdout)
	}
	if !strings.Contains(stdout, "tmonbench merge: 2 outputs into "+merged) {
		t.Errorf("merge of 2: %s", stdout)
	}
	if code, stdout, _ = tmon(t, "merge", "--out", filepath.Join(t.TempDir(), "one"), out); code != 0 || !strings.Contains(stdout, "tmonbench merge: 1 output into ") {
		t.Errorf("merge of 1: %d %s", code, stdout)
	}
	if code, _, stderr = tmon(t, "merge", "--out", merged); code != 2 {
		t.Errorf("merge without sources: %d %q", code, stderr)
	}
	if code, _, stderr = tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatalf("replay over a rolled-up output: %d %s", code, stderr)
	}
	if code, _, stderr = tmon(t, "rollup", "--out", filepath.Join(t.TempDir(), "none")); code != 1 || !strings.Contains(stderr, "no tmonbench output") {
		t.Errorf("rollup of nothing: %d %q", code, stderr)
	}
}

// TestPrepareRefusesRunningReplay: rollup and enrich on the output of a
// replay still running refuse with one line (exit status 1) and write
// nothing: the replay stages its tables inside the folder and replaces it
// when it ends, and rollup tables written beside them made it refuse the
// folder at the end, losing every row of the run.
func TestPrepareRefusesRunningReplay(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	run, err := store.BeginRun(out, store.Manifest{Mode: store.ModeReplay})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Abort()
	for _, cmd := range []string{"rollup", "enrich"} {
		code, _, stderr := tmon(t, cmd, "--out", out)
		want := fmt.Sprintf("tmonbench %s: the replay writing %s is still running (pid %d) and replaces the folder when it ends: run tmonbench %s once it has ended\n", cmd, out, os.Getpid(), cmd)
		if code != 1 || stderr != want {
			t.Errorf("%s during a replay: %d %q, want 1 %q", cmd, code, stderr, want)
		}
	}
	for _, tbl := range []string{"flow_counters_1m", "addresses"} {
		if _, err := os.Stat(filepath.Join(out, tbl)); err == nil {
			t.Errorf("%s written into the folder of a running replay", tbl)
		}
	}
	if err := run.Finish(); err != nil {
		t.Errorf("the replay's end: %v", err)
	}
}

// TestPrepareStopsAtCancel: `rollup` stops at Ctrl-C (its context) with
// the context's error and leaves no hidden folder of a table half
// written; it was killed by the signal and left `.<table>.tmp` (the new
// user's walk of 2026-12-05). The command maps the cancel to exit 130.
func TestPrepareStopsAtCancel(t *testing.T) {
	out := replayWikiOut(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := prepare(ctx, out, enrich.Options{}, true, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("rollup with its context cancelled: %v, want context.Canceled", err)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && e.Name() != store.LockName {
			t.Errorf("%s left in the output folder", e.Name())
		}
	}
}

// TestReplayRollupStopsAtCancel: `replay --rollup` stops its rollups at
// Ctrl-C (the replay's signal context) with exit 130 and says so, as
// `tmonbench rollup` does (TestPrepareStopsAtCancel); the run's own tables
// stay. The rollups ran under context.Background(): the sixth new-user
// trial sent SIGINT twice during the 5 s of rollups after a replay of the
// bench seed (149,496 packets) and the command went on and exited 0.
func TestReplayRollupStopsAtCancel(t *testing.T) {
	out := replayWikiOut(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr strings.Builder
	err := replayEnd(ctx, &replayArgs{rollup: true, quiet: true}, out, io.Discard, &stderr)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 130 {
		t.Fatalf("replay --rollup interrupted: %v, want exit 130", err)
	}
	if want := "tmonbench replay: interrupted during the rollups"; !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr %q, want it to start with %q", stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(out, "flow_counters_1m")); err == nil {
		t.Errorf("flow_counters_1m written after the interrupt")
	}
	// the run's tables are untouched: the wikipedia sample's 126 IP packets (README, tshark -Y ip)
	if got := csvQuery(t, out, "select sum(packets) n from flows where class = 'all'"); got != "n\n126\n" {
		t.Errorf("flows after the interrupted rollup: %q, want 126 packets", got)
	}
}

// TestPrepareNotesRunningLive: rollup and enrich on the output of a live
// capture still running (run.json mode live, as cmdLive opens it) write
// the tables, and say on stderr that they cover the rows written so far.
// Without the note a new user's walk (2026-12-05) rolled up a live
// output mid-run and, after the capture ended, `query operator` printed
// 0 rows from the stale flow_counters_1m beside 44 flow_counters rows.
func TestPrepareNotesRunningLive(t *testing.T) {
	out := filepath.Join(t.TempDir(), "live")
	app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeLive, Command: []string{"tmonbench", "live"}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for _, cmd := range []string{"rollup", "enrich"} {
		code, _, stderr := tmon(t, cmd, "-q", "--out", out)
		want := fmt.Sprintf("tmonbench %s: note: the live capture writing %s is still running (pid %d): these tables cover the rows written so far; run tmonbench %s again once it has ended\n", cmd, out, os.Getpid(), cmd)
		if code != 0 || stderr != want {
			t.Errorf("%s during a live capture: %d %q, want 0 %q", cmd, code, stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "flow_counters_1m")); err != nil {
		t.Errorf("rollup wrote no flow_counters_1m into the live output: %v", err)
	}
}

// TestQueryNotesRollupsBehind: rows written into a rolled-up table after
// its rollups (a collector or live capture appending after `tmonbench
// rollup`; here the rollups' files made an hour older) make `query
// operator` and `report`, which read the rollups, say so on stderr and
// print as before; `query summary` (raw tables) says nothing, nor does
// operator once rollup has run again. Found by the new-user trial: query
// operator printed 0 rows from a rollup written mid-capture, silently.
func TestQueryNotesRollupsBehind(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--rollup", "--out", out, wiki); code != 0 {
		t.Fatalf("replay --rollup: %d %s", code, stderr)
	}
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "_1") && filepath.Ext(p) == ".parquet" {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	note := "tmonbench %s: note: rows were written into " + out + " at "
	for _, args := range [][]string{{"query", "--out", out, "operator"}, {"report", "--out", out, "-o", filepath.Join(t.TempDir(), "r.html")}} {
		code, stdout, stderr := tmon(t, args...)
		if want := fmt.Sprintf(note, args[0]); code != 0 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "after its rollups (") ||
			!strings.Contains(stderr, "run tmonbench rollup --out "+out+" again") || stdout == "" {
			t.Errorf("%v with rollups behind: %d, stderr %q, want the note %q...", args, code, stderr, want)
		}
	}
	if code, _, stderr := tmon(t, "query", "--out", out, "summary"); code != 0 || stderr != "" {
		t.Errorf("query summary: %d %q, want no note (it reads no rollup)", code, stderr)
	}
	if code, _, stderr := tmon(t, "rollup", "-q", "--out", out); code != 0 {
		t.Fatalf("rollup: %d %s", code, stderr)
	}
	if code, _, stderr := tmon(t, "query", "--out", out, "operator"); code != 0 || stderr != "" {
		t.Errorf("query operator after rollup: %d %q, want no note", code, stderr)
	}
}

// mergedRunJSON: merge's run.json says what it wrote per table, as a
// replay's does (it said "tables": {}): each table's rows are the rows
// DuckDB counts in the merged output (flows: the 59 distinct written),
// and each source's size_bytes (it said 0) is the bytes of the Parquet
// parts of its tables (what merge reads: rollups and packet_index left
// out), summed here from the files.
func mergedRunJSON(t *testing.T, merged string, srcs ...string) {
	t.Helper()
	m, err := store.ReadManifest(merged)
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["flows"].Rows != 59 || m.Tables["flows"].Files == 0 || len(m.Tables) != len(observe.Tables) {
		t.Errorf("merge's run.json tables: %v, want flows 59 rows and every table", m.Tables)
	}
	for _, tb := range observe.Tables {
		rows := csvRows(t, "--out", merged, "--sql", "select count(*) from "+tb.Name)
		if got := fmt.Sprint(m.Tables[tb.Name].Rows); got != rows[1][0] {
			t.Errorf("merge's run.json: %s has %s rows, DuckDB counts %s", tb.Name, got, rows[1][0])
		}
	}
	if len(m.Inputs) != len(srcs) {
		t.Fatalf("merge's run.json inputs %v, want %v", m.Inputs, srcs)
	}
	for i, src := range srcs {
		var want int64 // the Parquet files merge reads: its tables' and its addresses table's
		for _, name := range append(observe.TableNames(), enrich.Table) {
			filepath.WalkDir(filepath.Join(src, name), func(path string, e os.DirEntry, err error) error {
				if fi, ierr := os.Stat(path); err == nil && ierr == nil && strings.HasSuffix(path, ".parquet") {
					want += fi.Size()
				}
				return nil
			})
		}
		if m.Inputs[i].Path != src || m.Inputs[i].SizeBytes != want || want == 0 {
			t.Errorf("merge's run.json input %d: %+v, want %s of %d bytes", i, m.Inputs[i], src, want)
		}
	}
}

// hostsResolver answers reverse look-ups from a map (tests never resolve
// external names); other addresses fail as "no such host".
type hostsResolver map[string]string

func (h hostsResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if n, ok := h[addr]; ok {
		return []string{n + "."}, nil
	}
	return nil, errors.New("no such host")
}

// TestRollupKeepsDNSNames: `tmonbench enrich --dns` then `tmonbench
// rollup` without --dns (D24 of a new user's trial: the rollup rewrites
// the addresses table and the look-ups seemed lost, its line saying
// nothing of them): the names stay, and the rollup's line says they were
// carried over from the previous table rather than looked up again.
func TestRollupKeepsDNSNames(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	// 141.142.220.118 is the wikipedia capture's client (tcpdump -nr zeek_wikipedia.pcap).
	dns := &enrich.DNSOptions{Resolver: hostsResolver{"141.142.220.118": "client.lab.example"}, RatePerS: 1000, Timeout: time.Second, Refresh: 7 * 24 * time.Hour}
	if err := prepare(context.Background(), out, enrich.Options{DNS: dns, Now: time.Now().UTC()}, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := tmon(t, "rollup", "--out", out)
	if code != 0 || !strings.Contains(stdout, "1 DNS name (1 kept from the previous table), 0 look-ups)") {
		t.Errorf("rollup: %d\n%s\n%s", code, stdout, stderr)
	}
	if _, stdout, _ = tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select dns_name from addresses where dns_name <> ''"); stdout != "dns_name\nclient.lab.example\n" {
		t.Errorf("after the rollup: %q", stdout)
	}
}

// TestMergeCarriesDNSNames: merge carries the sources' DNS names (it
// dropped the addresses table as derived, and `merge --rollup` without
// --dns wrote one without a name: a reverse look-up is not derived from
// the tables, only made again, later and maybe otherwise). The merged
// addresses table has one row per address, its key: when two sources
// looked one address up, the later answer (dns_time), as enrich itself
// replaces a name by a later look-up's; a name only one source has is
// kept. The rollup of the merged output keeps them all (enrich's cache).
// A is the wikipedia capture, B the same without 208.80.152.2's packets
// (--filter 'not host 208.80.152.2': 18 addresses, not 19), a probe of
// its own; 141.142.220.118 and 208.80.152.2 are addresses of the capture
// (tcpdump -nr samples/zeek_wikipedia.pcap).
func TestMergeCarriesDNSNames(t *testing.T) {
	t.Parallel()
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	now := time.Now().UTC().Truncate(time.Second)
	for _, o := range []struct {
		out   string
		args  []string
		names hostsResolver
		at    time.Time
	}{
		{a, []string{wiki}, hostsResolver{"141.142.220.118": "old.lab.example", "208.80.152.2": "wiki.example"}, now.Add(-2 * time.Hour)},
		{b, []string{"--filter", "not host 208.80.152.2", "--probe", "B=" + wiki}, hostsResolver{"141.142.220.118": "new.lab.example"}, now.Add(-time.Hour)},
	} {
		if code, _, stderr := tmon(t, append([]string{"replay", "-q", "--out", o.out}, o.args...)...); code != 0 {
			t.Fatalf("replay: %d %s", code, stderr)
		}
		dns := &enrich.DNSOptions{Resolver: o.names, RatePerS: 1000, Timeout: time.Second, Refresh: 7 * 24 * time.Hour}
		if err := prepare(context.Background(), o.out, enrich.Options{DNS: dns, Now: o.at}, false, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	names := "select address, dns_name, dns_time from addresses where dns_name <> '' order by address"
	want := "address,dns_name,dns_time\n141.142.220.118,new.lab.example," + now.Add(-time.Hour).Format("2006-01-02T15:04:05.000000000Z") +
		"\n208.80.152.2,wiki.example," + now.Add(-2*time.Hour).Format("2006-01-02T15:04:05.000000000Z") + "\n"
	for _, args := range [][]string{{"merge"}, {"merge", "--rollup"}} {
		merged := filepath.Join(t.TempDir(), "merged")
		code, stdout, stderr := tmon(t, append(args, "--out", merged, a, b)...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, stderr)
		}
		if _, got, _ := tmon(t, "query", "--out", merged, "--format", "csv", "--sql", names); got != want {
			t.Errorf("%v: DNS names\n%s\nwant\n%s", args, got, want)
		}
		rows := csvRows(t, "--out", merged, "--sql", "select count(*), count(distinct address) from addresses")
		if rows[1][0] != "19" || rows[1][1] != "19" {
			t.Errorf("%v: addresses %v: want 19 rows, one per address", args, rows[1])
		}
		if !strings.Contains(stdout, "  addresses                    37 rows read,         19 distinct written\n") {
			t.Errorf("%v: no line for addresses (19 + 18 read):\n%s", args, stdout)
		}
		if len(args) == 2 && !strings.Contains(stdout, "2 DNS names (2 kept from the previous table), 0 look-ups)") {
			t.Errorf("%v: the rollup's line does not say the names were kept:\n%s", args, stdout)
		}
		// run.json's size of each input is the bytes of the Parquet files
		// merge reads: its tables' and, now, its addresses table's (left out)
		var m struct {
			Inputs []struct {
				Path      string
				SizeBytes int64 `json:"size_bytes"`
			}
		}
		if j, err := os.ReadFile(filepath.Join(merged, "run.json")); err != nil || json.Unmarshal(j, &m) != nil || len(m.Inputs) != 2 {
			t.Fatalf("%v: run.json: %v %+v", args, err, m)
		}
		for i, src := range []string{a, b} {
			var want, addr int64
			for _, table := range append(observe.TableNames(), "addresses") {
				filepath.WalkDir(filepath.Join(src, table), func(f string, e os.DirEntry, err error) error {
					if fi, err2 := os.Stat(f); err == nil && err2 == nil && fi.Mode().IsRegular() && strings.HasSuffix(f, ".parquet") {
						want += fi.Size()
						if table == "addresses" {
							addr += fi.Size()
						}
					}
					return nil
				})
			}
			if m.Inputs[i].Path != src || m.Inputs[i].SizeBytes != want || addr == 0 {
				t.Errorf("%v: input %s: size_bytes %d, want %d (the Parquet files of its tables, %d of them the addresses table's)", args, m.Inputs[i].Path, m.Inputs[i].SizeBytes, want, addr)
			}
		}
	}
}

// replayWikiOut replays the wikipedia sample (126 IP packets: README)
// into a new output folder and returns it.
func replayWikiOut(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, wiki); code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	return out
}
