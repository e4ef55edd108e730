package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/queries"
)

// checkFooterManifest writes out's manifest (WriteManifest, which reads the
// parts' footers) and compares it byte for byte with the one the DuckDB
// scan of every part gives (the oracle: count(*), min and max of the time
// column by SQL); it returns the tables WriteManifest read by DuckDB.
func checkFooterManifest(t *testing.T, out string) []string {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	m, err := WriteManifest(ctx, out, "test", now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := queries.Tables(out)
	if err != nil {
		t.Fatal(err)
	}
	oracle := &scanner{ctx: ctx, outDir: out}
	defer oracle.close()
	fast := &scanner{ctx: ctx, outDir: out, footers: true}
	defer fast.close()
	want := *m
	want.Tables = map[string]Table{}
	for _, name := range tables {
		if want.Tables[name], err = oracle.table(name); err != nil {
			t.Fatal(err)
		}
		if _, err := fast.table(name); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.MarshalIndent(&want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if b = append(b, '\n'); !bytes.Equal(got, b) {
		t.Errorf("%s: the manifest from the footers differs from DuckDB's scan:\n%s\nDuckDB:\n%s", out, got, b)
	}
	timed := 0
	for _, tb := range want.Tables {
		if tb.MinTime != "" {
			timed++
		}
	}
	if timed == 0 {
		t.Errorf("%s: no table has a time range: the comparison checks no statistics", out)
	}
	return fast.fellBack
}

// timeUnits returns the TIMESTAMP units (MILLIS, MICROS, NANOS) of the time
// column of table's parts in out, as their footers declare them.
func timeUnits(t *testing.T, out, table string) []string {
	t.Helper()
	var units []string
	filepath.WalkDir(filepath.Join(out, table), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		md, ok := readFooter(p)
		if !ok {
			t.Errorf("%s: footer does not read", p)
			return nil
		}
		if _, ts, ok := timestampColumn(md, timeColumn(table)); ok && !slices.Contains(units, ts.Unit.String()) {
			units = append(units, ts.Unit.String())
		}
		return nil
	})
	return units
}

// TestManifestFootersEqualScan: on real outputs — a replay of the lab's
// one-way UDP capture points with its rollups (written by DuckDB), a replay of the lab's FTP capture points and a merge (written
// by DuckDB) — the manifest read from the parts' footers is byte for byte
// the one DuckDB's scan gives, and no table needed the scan.
func TestManifestFootersEqualScan(t *testing.T) {
	oneway := testsamples.ReplayOnewayLab(t, testsamples.LabPath, "--rollup")
	var ftpArgs []string
	for _, p := range testsamples.LabPath {
		ftpArgs = append(ftpArgs, "--probe", "ftp"+p+"="+testsamples.Path(t, "lab", "ftp", p+".pcap"))
	}
	ftp := testout.Replay(t, ftpArgs...)
	merged := filepath.Join(t.TempDir(), "merged")
	os.MkdirAll(merged, 0o755)
	if _, err := Merge(context.Background(), merged, []string{oneway, ftp}); err != nil {
		t.Fatal(err)
	}
	// DuckDB writes the rollups' and the merge's TIMESTAMP_NS as NANOS,
	// as parquet-go the replay's (MILLIS and MICROS: TestManifestFootersUnits).
	for _, c := range []struct{ out, table string }{{oneway, "flows"}, {oneway, "flow_counters_1m"}, {merged, "flows"}} {
		if u := timeUnits(t, c.out, c.table); !slices.Equal(u, []string{"NANOS"}) {
			t.Errorf("%s %s time units %v, want NANOS", c.out, c.table, u)
		}
	}
	for _, out := range []string{oneway, ftp, merged} {
		if fell := checkFooterManifest(t, out); len(fell) != 0 {
			t.Errorf("%s: tables %v read by DuckDB, not from their footers", out, fell)
		}
	}
}

// TestManifestFootersFallBack: a part whose time column has no statistics
// (written by parquet-go without page bounds, as an output of another
// writer may be) sends its table to DuckDB's scan, whose manifest it is:
// the written part's last first_seen to the nanosecond.
func TestManifestFootersFallBack(t *testing.T) {
	out := testout.Replay(t, sample(t, "zeek_ntp.pcap"))
	type row struct {
		FirstSeen time.Time `parquet:"first_seen,timestamp(nanosecond:local)"`
		Packets   int64     `parquet:"packets"`
	}
	f := writePart(t, out, []row{{partT0, 1}, {partT0.Add(time.Second), 2}}, parquet.SkipPageBounds("first_seen"))
	md, ok := readFooter(f)
	if !ok {
		t.Fatal("footer does not read")
	}
	if st := md.RowGroups[0].Columns[0].MetaData.Statistics; st.MinValue != nil || st.Min != nil {
		t.Fatalf("the part has statistics %+v", st)
	}
	checkFallBack(t, out, "2016-10-16T01:02:04.456789123Z")
}

// TestManifestFootersUTCNanos: a part whose time column is NANOS adjusted
// to UTC, which DuckDB reads as a TIMESTAMPTZ of microseconds, sends its
// table (of it alone) to DuckDB's scan: the last first_seen to the
// microsecond.
func TestManifestFootersUTCNanos(t *testing.T) {
	out := t.TempDir()
	type row struct {
		FirstSeen time.Time `parquet:"first_seen,timestamp(nanosecond)"`
		Packets   int64     `parquet:"packets"`
	}
	writePart(t, out, []row{{partT0, 1}, {partT0.Add(time.Second), 2}})
	checkFallBack(t, out, "2016-10-16T01:02:04.456789000Z")
}

// partT0 is the first_seen of the first of the two rows of the parts the
// tests write, the second's a second later.
var partT0 = time.Date(2016, 10, 16, 1, 2, 3, 456789123, time.UTC)

// writePart writes rows as flows/date=2016-10-16/probe=other/part-00000.parquet
// in out and returns its path.
func writePart[R any](t *testing.T, out string, rows []R, opts ...parquet.WriterOption) string {
	t.Helper()
	dir := filepath.Join(out, "flows", "date=2016-10-16", "probe=other")
	os.MkdirAll(dir, 0o755)
	f, err := os.Create(filepath.Join(dir, "part-00000.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[R](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// checkFallBack checks that flows alone in out was read by DuckDB, with the
// same manifest as its scan, and flows' max_time is want.
func checkFallBack(t *testing.T, out, want string) {
	t.Helper()
	if fell := checkFooterManifest(t, out); !slices.Equal(fell, []string{"flows"}) {
		t.Errorf("tables read by DuckDB %v, want [flows]", fell)
	}
	var m Manifest
	b, _ := os.ReadFile(filepath.Join(out, ManifestName))
	json.Unmarshal(b, &m)
	if got := m.Tables["flows"].MaxTime; got != want {
		t.Errorf("flows max_time %s, want %s", got, want)
	}
}

// TestManifestFootersUnits: parts whose time column is MILLIS or MICROS,
// adjusted to UTC or not (as other writers store it), with nulls, a row
// group of nulls only, a time before the epoch, a part of no row and one of
// nulls only, are read from their footers, and their manifest is DuckDB's
// scan's: min and max ignore nulls, a part of no row or of nulls only has
// no time range.
func TestManifestFootersUnits(t *testing.T) {
	v := func(x int64) *int64 { return &x }
	groups := [][]*int64{{v(1000), nil, v(-5)}, {nil, nil}, {v(7777777)}}
	for _, unit := range []string{"millisecond", "millisecond:local", "microsecond", "microsecond:local"} {
		t.Run(unit, func(t *testing.T) {
			out := t.TempDir()
			dir := filepath.Join(out, "flows", "date=1970-01-01", "probe=other")
			os.MkdirAll(dir, 0o755)
			tu := parquet.Millisecond
			if strings.HasPrefix(unit, "micro") {
				tu = parquet.Microsecond
			}
			schema := parquet.NewSchema("flows", parquet.Group{
				"first_seen": parquet.Optional(parquet.TimestampAdjusted(tu, !strings.HasSuffix(unit, ":local"))),
				"packets":    parquet.Int(64),
			})
			for i, rgs := range [][][]*int64{groups, nil, {{nil}}} {
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", i)))
				if err != nil {
					t.Fatal(err)
				}
				w := parquet.NewWriter(f, schema)
				for _, rg := range rgs {
					for _, x := range rg {
						// the leaf columns in name order: first_seen, packets
						ts := parquet.NullValue().Level(0, 0, 0)
						if x != nil {
							ts = parquet.Int64Value(*x).Level(0, 1, 0)
						}
						if _, err := w.WriteRows([]parquet.Row{{ts, parquet.Int64Value(1).Level(0, 0, 1)}}); err != nil {
							t.Fatal(err)
						}
					}
					w.Flush()
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			if fell := checkFooterManifest(t, out); len(fell) != 0 {
				t.Errorf("tables %v read by DuckDB, not from their footers", fell)
			}
			var m Manifest
			b, _ := os.ReadFile(filepath.Join(out, ManifestName))
			json.Unmarshal(b, &m)
			step := time.Millisecond
			if strings.HasPrefix(unit, "micro") {
				step = time.Microsecond
			}
			fl := m.Tables["flows"]
			lo, hi := time.Unix(0, -5*int64(step)).UTC().Format(queries.TimeLayout), time.Unix(0, 7777777*int64(step)).UTC().Format(queries.TimeLayout)
			if fl.Rows != 7 || fl.MinTime != lo || fl.MaxTime != hi || len(fl.Files) != 3 || fl.Files[1].MinTime != "" || fl.Files[2].Rows != 1 || fl.Files[2].MaxTime != "" {
				t.Errorf("flows %+v, want 7 rows from %s to %s (the values written), no time in the parts of no row and of nulls only", fl, lo, hi)
			}
		})
	}
}

// BenchmarkWriteManifest measures WriteManifest on the output of a replay
// of the lab's one-way UDP capture points (the parts' footers) against
// DuckDB's scan of the same parts; parts/op is the number of Parquet parts.
func BenchmarkWriteManifest(b *testing.B) {
	out := testsamples.ReplayOnewayLab(b, testsamples.LabPath)
	m, err := WriteManifest(context.Background(), out, "bench", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	parts := 0
	for _, t := range m.Tables {
		parts += len(t.Files)
	}
	for _, c := range []struct {
		name    string
		footers bool
	}{{"footers", true}, {"duckdb", false}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := writeManifest(context.Background(), out, "bench", time.Now(), c.footers); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(parts), "parts/op")
		})
	}
}
