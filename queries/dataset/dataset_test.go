package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

func TestMain(m *testing.M) { os.Exit(testout.Main(m)) }

func sample(t *testing.T, name string) string {
	return filepath.Join(testout.ModuleRoot(t), "samples", name)
}

// query runs q over the output out (testdb.Query).
func query(t *testing.T, out, q string) string { return testdb.Query(t, out, q) }

// TestHiveLayoutPruning: a replay of two captures of different days writes
// every table as TABLE/date=.../probe=.../part-N.parquet; DuckDB reads the
// keys back typed (date a DATE) and prunes partitions: with the other
// day's file made unreadable, a query on one day still runs.
func TestHiveLayoutPruning(t *testing.T) {
	out := testout.Replay(t, "--probe", "wiki="+sample(t, "zeek_wikipedia.pcap"), "--probe", "ntp="+sample(t, "zeek_ntp.pcap"))
	for _, p := range []string{
		"flows/date=2011-03-18/probe=wiki/part-00000.parquet",
		"flows/date=2016-10-15/probe=ntp/part-00000.parquet",
		"flow_counters/date=2016-10-15/probe=ntp/part-00000.parquet",
		"events/date=2011-03-18/source=probe%3Awiki/part-00000.parquet",
		"oneway_loss/date=__HIVE_DEFAULT_PARTITION__/class=__HIVE_DEFAULT_PARTITION__/part-00000.parquet",
		"pdu_stats/probe=wiki/part-00000.parquet",
		ManifestName,
	} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Error(err)
		}
	}
	if got := query(t, out, `SELECT date, typeof(date), probe, count(*) FROM flows GROUP BY ALL ORDER BY 1`); got != "2011-03-18 00:00:00 +0000 UTC DATE wiki 59\n2016-10-15 00:00:00 +0000 UTC DATE ntp 24\n" {
		t.Errorf("partitions: %q", got)
	}
	if got := query(t, out, `SELECT count(*), sum(packets) FROM flows WHERE date = DATE '2011-03-18'`); got != "59 154\n" {
		t.Errorf("one day: %q", got)
	}
	db := testdb.Open(t, out)
	res, err := queries.Run(db, `EXPLAIN SELECT sum(packets) FROM flows WHERE date = DATE '2011-03-18'`)
	if err != nil {
		t.Fatal(err)
	}
	if plan := fmt.Sprint(res.Rows[0][1]); !strings.Contains(plan, "Scanning Files: 1/2") {
		t.Errorf("the query on one day read more than its partition's file:\n%s", plan)
	}
}

// TestManifest: _manifest.json lists every part with its rows and time
// range, and per table the totals SQL finds.
func TestManifest(t *testing.T) {
	out := testout.Replay(t, sample(t, "zeek_wikipedia.pcap"), sample(t, "zeek_ntp.pcap"))
	b, err := os.ReadFile(filepath.Join(out, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != observe.SchemaVersion || m.Mode != "replay" || len(m.ConfigHash) != 16 || m.Version == "" || len(m.Tables) != len(observe.Tables)+1 {
		t.Errorf("manifest %+v", m)
	}
	// A replay also writes packet_index (replay.TablePacketIndex, the TUI's
	// time -> file offset map), which is not a collector table.
	for _, name := range append(observe.TableNames(), "packet_index") {
		if _, ok := m.Tables[name]; !ok {
			t.Errorf("manifest lacks table %s", name)
		}
	}
	for name, tb := range m.Tables {
		want := query(t, out, fmt.Sprintf(`SELECT count(*) FROM %s`, name))
		var files, rows int64
		for _, f := range tb.Files {
			files++
			rows += f.Rows
			if _, err := os.Stat(filepath.Join(out, f.Path)); err != nil {
				t.Error(err)
			}
		}
		if fmt.Sprintf("%d\n", tb.Rows) != want || rows != tb.Rows || files == 0 {
			t.Errorf("%s: manifest %d rows (%d in files), SQL %q", name, tb.Rows, rows, want)
		}
	}
	f := m.Tables["flows"]
	if f.MinTime != "2011-03-18T19:06:07.096535000Z" || f.TimeColumn != "first_seen" || strings.Join(f.PartitionKeys, ",") != "date,probe" {
		t.Errorf("flows %+v", f)
	}
	if want := query(t, out, `SELECT strftime(max(first_seen), '%Y-%m-%dT%H:%M:%S.%f') FROM flows`); !strings.HasPrefix(f.MaxTime, strings.TrimSpace(want)) {
		t.Errorf("flows max_time %s, SQL %s", f.MaxTime, want)
	}
}

// TestMerge: two outputs of the same observations (duplicated central
// sites) and a third, merged: every raw table equals the union of one copy
// and the third, row for row (a flat output: TestFlatOutput).
func TestMerge(t *testing.T) {
	a := testout.Replay(t, sample(t, "zeek_wikipedia.pcap"))
	b := testout.Replay(t, sample(t, "zeek_wikipedia.pcap"))
	c := testout.Replay(t, sample(t, "zeek_ntp.pcap"))
	union := testout.Replay(t, sample(t, "zeek_wikipedia.pcap"), sample(t, "zeek_ntp.pcap"))
	dst := filepath.Join(t.TempDir(), "merged")
	os.MkdirAll(dst, 0o755)
	res, err := Merge(context.Background(), dst, []string{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != len(observe.Tables) {
		t.Errorf("%d tables merged", len(res.Tables))
	}
	db := testdb.Open(t, dst)
	for _, tb := range observe.Tables {
		src, err := queries.TableSource(union, tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		// pdu_stats and events differ between one run of two captures and
		// two runs (per-run rows); compare them with the per-run union.
		if tb.Name == observe.TablePDUStats || tb.Name == observe.TableEvents {
			sa, _ := queries.TableSource(a, tb.Name)
			sc, _ := queries.TableSource(c, tb.Name)
			src = fmt.Sprintf("(SELECT * FROM %s UNION ALL BY NAME SELECT * FROM %s)", sa, sc)
		}
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s), (SELECT count(*) FROM (SELECT COLUMNS(c -> c <> 'date') FROM %[1]s EXCEPT ALL SELECT COLUMNS(c -> c <> 'date') FROM %[2]s)),
			(SELECT count(*) FROM (SELECT COLUMNS(c -> c <> 'date') FROM %[2]s EXCEPT ALL SELECT COLUMNS(c -> c <> 'date') FROM %[1]s))`, tb.Name, src)
		res, err := queries.Run(db, q)
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		if r := res.Rows[0]; r[1] != int64(0) || r[2] != int64(0) {
			t.Errorf("%s: %v rows merged; %v not in the union, %v of the union missing", tb.Name, r[0], r[1], r[2])
		}
	}
}

// TestMergeRefusesSameSourceTwice: one output named twice, by a link,
// is refused before anything is written (its rows would count twice in
// the input totals; a second name is most likely a typo).
func TestMergeRefusesSameSourceTwice(t *testing.T) {
	a := testout.Replay(t, sample(t, "zeek_ntp.pcap"))
	link := filepath.Join(t.TempDir(), "again")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "merged")
	os.MkdirAll(dst, 0o755)
	_, err := Merge(context.Background(), dst, []string{a, link})
	want := fmt.Sprintf("dataset: merge: %s and %s are the same output: name each source once", a, link)
	if err == nil || err.Error() != want {
		t.Fatalf("merge of one output twice: %v, want %q", err, want)
	}
	if ents, _ := os.ReadDir(dst); len(ents) != 0 {
		t.Errorf("the refused merge wrote %d entries into its destination", len(ents))
	}
}

// TestMergeRefusesOverlappingRuns: two outputs of different runs of one
// probe name (here two replays named "vm", as two live runs on one host
// are by default) both number their flows from 1; merged, flow_id 1 of
// probe vm would be two flows, and flow_counters, tcp_connections and the
// others, joined to flows by (probe, flow_id), would mix them. The merge
// is refused before anything is written, naming the probe, the id and
// both flows (zeek_ntp.pcap's first flow and zeek_wikipedia.pcap's, as
// `query --sql "SELECT name FROM flows WHERE flow_id = 1"` gives them).
// It merged them silently (found by a new user merging two live runs).
func TestMergeRefusesOverlappingRuns(t *testing.T) {
	a := testout.Replay(t, "--probe", "vm="+sample(t, "zeek_wikipedia.pcap"))
	b := testout.Replay(t, "--probe", "vm="+sample(t, "zeek_ntp.pcap"))
	first := func(out string) string {
		return strings.TrimSpace(query(t, out, `SELECT name FROM flows WHERE flow_id = 1 AND class = 'all'`))
	}
	fa, fb := first(a), first(b)
	if fa == "" || fb == "" || fa == fb {
		t.Fatalf("flow 1 is %q and %q: the test needs two different flows", fa, fb)
	}
	dst := filepath.Join(t.TempDir(), "merged")
	os.MkdirAll(dst, 0o755)
	_, err := Merge(context.Background(), dst, []string{a, b})
	if err == nil || !strings.Contains(err.Error(), "probe vm's flow_id 1 is ") || !strings.Contains(err.Error(), "different runs of one probe name") {
		t.Fatalf("merge of two runs of probe vm: %v, want a refusal naming probe vm's flow_id 1", err)
	}
	if ents, _ := os.ReadDir(dst); len(ents) != 0 {
		t.Errorf("the refused merge wrote %d entries into its destination", len(ents))
	}
	// the same run twice (duplicated collectors) still merges
	c := testout.Replay(t, "--probe", "vm="+sample(t, "zeek_wikipedia.pcap"))
	dst2 := filepath.Join(t.TempDir(), "merged2")
	os.MkdirAll(dst2, 0o755)
	if _, err := Merge(context.Background(), dst2, []string{a, c}); err != nil {
		t.Fatalf("merge of one run's two copies: %v", err)
	}
}

// flatten copies the Hive-partitioned output out into a flat one (schema
// version 1: every part file directly in its table's folder, no manifest,
// no partition folders), the layout written before the dataset layout;
// the partition keys are dropped with their folders, as they were never
// written then.
func flatten(t *testing.T, out string) string {
	t.Helper()
	flat := filepath.Join(t.TempDir(), "flat")
	for _, tb := range observe.Tables {
		n := 0
		err := filepath.WalkDir(filepath.Join(out, tb.Name), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".parquet" {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			dir := filepath.Join(flat, tb.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			n++
			return os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", n)), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return flat
}

// TestFlatOutput: an output of the flat layout (schema version 1) still
// opens, every table with the rows of the partitioned output it was made
// from, and merges with a partitioned one into the same rows as a merge
// of the two partitioned outputs.
func TestFlatOutput(t *testing.T) {
	a := testout.Replay(t, sample(t, "zeek_wikipedia.pcap"))
	c := testout.Replay(t, sample(t, "zeek_ntp.pcap"))
	flat := flatten(t, a)
	if _, err := os.Stat(filepath.Join(flat, "flows", "date=2011-03-18")); err == nil {
		t.Fatal("flatten kept a partition folder")
	}
	for _, tb := range observe.Tables {
		q := fmt.Sprintf(`SELECT count(*) FROM %s`, tb.Name)
		if got, want := query(t, flat, q), query(t, a, q); got != want {
			t.Errorf("flat %s: %s rows, partitioned %s", tb.Name, strings.TrimSpace(got), strings.TrimSpace(want))
		}
	}
	merged := func(srcs ...string) string {
		dst := filepath.Join(t.TempDir(), "merged")
		os.MkdirAll(dst, 0o755)
		if _, err := Merge(context.Background(), dst, srcs); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	fromFlat, fromHive := merged(flat, c), merged(a, c)
	for _, tb := range observe.Tables {
		q := fmt.Sprintf(`SELECT count(*), sum(hash(COLUMNS(c -> c NOT IN ('date', 'probe', 'class', 'source'))))::VARCHAR FROM %s`, tb.Name)
		if got, want := query(t, fromFlat, q), query(t, fromHive, q); got != want {
			t.Errorf("%s merged from the flat output: %s, from the partitioned one: %s", tb.Name, strings.TrimSpace(got), strings.TrimSpace(want))
		}
	}
}
