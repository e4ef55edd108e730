package store

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// testFlows are hand-made rows; first_seen carries a full nanosecond value.
var testFlows = []observe.Flow{
	{FlowID: 1, Probe: "p1", Interface: "eth0", Class: "all", Name: "10.0.0.1:high>10.0.0.2:161/udp",
		IPVersion: 4, Protocol: 17, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 40000, DstPort: 161,
		FirstSeen: 1700000000123456789, LastSeen: 1700000001987654321, Packets: 3, Bytes: 240},
	{FlowID: 2, Probe: "p1", Interface: "eth0", Class: "all", Name: "[2001:db8::1]:high>[2001:db8::2]:443/tcp",
		IPVersion: 6, Protocol: 6, SrcAddr: "2001:db8::1", DstAddr: "2001:db8::2", SrcPort: 51515, DstPort: 443,
		FirstSeen: 1700000000000000001, LastSeen: 1700000009999999999, Packets: 10, Bytes: 7300},
}

func TestWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path, err := Write(dir, observe.TableFlows, 7, testFlows)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "flows", "part-00007.parquet"); path != want {
		t.Fatalf("path = %s, want %s", path, want)
	}
	got, err := parquet.ReadFile[observe.Flow](path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, testFlows) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, testFlows)
	}

	md := openMeta(t, path)
	if !strings.HasPrefix(md.CreatedBy, Application) {
		t.Errorf("created_by = %q", md.CreatedBy)
	}
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec != format.Zstd {
				t.Errorf("column %v codec = %v, want ZSTD", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}
	// first_seen is an INT64 TIMESTAMP(NANOS, isAdjustedToUTC=false): DuckDB
	// reads it as TIMESTAMP_NS (checked end to end in queries/).
	for _, se := range md.Schema {
		if se.Name == "first_seen" {
			if got, want := se.LogicalType.String(), "TIMESTAMP(isAdjustedToUTC=false,unit=NANOS)"; got != want {
				t.Errorf("first_seen logical type = %s, want %s", got, want)
			}
		}
	}
}

func openMeta(t *testing.T, path string) *format.FileMetaData {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf.Metadata()
}

func TestWriteEmptyHasSchema(t *testing.T) {
	dir := t.TempDir()
	path, err := Write[observe.Event](dir, observe.TableEvents, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	md := openMeta(t, path)
	if md.NumRows != 0 {
		t.Errorf("rows = %d, want 0", md.NumRows)
	}
	var names []string
	for _, se := range md.Schema[1:] { // [0] is the root
		names = append(names, se.Name)
	}
	if want := []string{"time", "source", "kind", "severity", "message", "count"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns = %v, want %v", names, want)
	}
}

func TestWriteAtomicInvisibleUntilRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, PartName(0))
	var sawTmp bool
	_, err := writeAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, 1<<20)); err != nil { // > the 256 KiB buffer: bytes reach the file
			return err
		}
		visible, _ := filepath.Glob(filepath.Join(dir, "*.parquet"))
		if len(visible) != 0 {
			t.Errorf("visible while writing: %v", visible)
		}
		fi, err := os.Stat(tmpName(path))
		sawTmp = err == nil && fi.Size() > 0
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawTmp {
		t.Error("temporary file not seen (or empty) during the write")
	}
	if !strings.HasPrefix(filepath.Base(tmpName(path)), ".") {
		t.Errorf("tmp name %s is not hidden", tmpName(path))
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("final file: %v %v", fi, err)
	}
	assertOnly(t, dir, PartName(0))
}

func TestWriteAtomicFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, PartName(3))
	boom := errors.New("disk on fire")
	_, err := writeAtomic(path, func(w io.Writer) error {
		w.Write(make([]byte, 1<<20))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	assertOnly(t, dir)

	// A failed rewrite of an existing part leaves the old bytes.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeAtomic(path, func(w io.Writer) error { w.Write([]byte("new, half")); return boom })
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after failed rewrite: %q, want %q", b, "old")
	}
	assertOnly(t, dir, PartName(3))
}

// TestWriteEncodeFailure fails inside parquet-go (a column type it cannot
// encode) and checks that no part file, visible or hidden, remains.
func TestWriteEncodeFailure(t *testing.T) {
	type bad struct {
		C chan int `parquet:"c"`
	}
	dir := t.TempDir()
	_, err := Write(dir, "bad", 0, []bad{{}}) // parquet-go panics here; Write must not
	if err == nil {
		t.Error("no error for an unencodable row type")
	}
	t.Log(err)
	if ents, _ := os.ReadDir(filepath.Join(dir, "bad")); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestWriteRejects(t *testing.T) {
	dir := t.TempDir()
	for _, table := range []string{"", ".hidden", "a/b", `a\b`, "..", "."} {
		if _, err := Write(dir, table, 0, testFlows); !errors.Is(err, ErrTableName) {
			t.Errorf("table %q: err = %v, want ErrTableName", table, err)
		}
	}
	for _, part := range []int{-1, MaxPart + 1} {
		if _, err := Write(dir, "flows", part, testFlows); !errors.Is(err, ErrPart) {
			t.Errorf("part %d: err = %v, want ErrPart", part, err)
		}
	}
	if _, err := Write(dir, "ints", 0, []int{1}); !errors.Is(err, ErrRowType) {
		t.Errorf("[]int: err = %v, want ErrRowType", err)
	}
	type hidden struct{ x int }
	if _, err := Write(dir, "hidden", 0, []hidden{{1}}); !errors.Is(err, ErrRowType) {
		t.Errorf("unexported fields: err = %v, want ErrRowType", err)
	}
	// Pointer rows are fine.
	if _, err := Write(dir, "ptr", 0, []*observe.Flow{&testFlows[0]}); err != nil {
		t.Errorf("[]*Flow: %v", err)
	}
	assertOnly(t, dir, "ptr")
}

// assertOnly fails unless dir holds exactly the names given.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(names) || (len(names) > 0 && !reflect.DeepEqual(got, names)) {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// TestRunWriteBatch: Run.Write streams each table's rows into one open
// part until it holds partRows rows (then the next part starts); Finish
// closes the parts and gives every table without rows a schema-only part,
// so every view exists.
func TestRunWriteBatch(t *testing.T) {
	defer func(n int) { partRows = n }(partRows)
	partRows = 2
	out := filepath.Join(t.TempDir(), "tmon-out")
	r, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	if err := r.Write(&observe.Batch{Flows: testFlows[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(&observe.Batch{Events: []observe.Event{{Kind: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(&observe.Batch{Flows: testFlows[1:]}); err != nil { // the part is full: closed
		t.Fatal(err)
	}
	if err := r.Write(&observe.Batch{Flows: testFlows[:1]}); err != nil { // a second part
		t.Fatal(err)
	}
	if err := r.Write(&observe.Batch{}); err != nil {
		t.Fatal(err)
	}
	if got := r.Stats().Tables[observe.TableFlows]; got.Files != 1 || got.Rows != 2 {
		t.Errorf("flows before Finish: %d files, %d rows; want 1 closed part of 2 rows", got.Files, got.Rows)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	for _, tab := range observe.Tables {
		want := TableStats{Files: 1}
		switch tab.Name {
		case observe.TableFlows:
			want = TableStats{Files: 2, Rows: 3}
		case observe.TableEvents:
			want = TableStats{Files: 1, Rows: 1}
		}
		got := st.Tables[tab.Name]
		if got.Files != want.Files || got.Rows != want.Rows {
			t.Errorf("%s: %d files, %d rows; want %d, %d", tab.Name, got.Files, got.Rows, want.Files, want.Rows)
		}
	}
	if got, want := readFlows(t, out), append(slices.Clone(testFlows), testFlows[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("flows = %+v, want %+v", got, want)
	}
}

// TestRunWriteHive: a batch spanning two days and two probes lands in one
// part per partition, <table>/date=YYYY-MM-DD/probe=NAME/part-00000.parquet
// (names escaped as Hive does), a table without rows in the default
// partition, and the folder is still a tmonbench run (a replay replaces it).
func TestRunWriteHive(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	r, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	day := int64(86400e9)
	flows := []observe.Flow{
		{FlowID: 1, Probe: "A", FirstSeen: 20000 * day},
		{FlowID: 2, Probe: "site/b", FirstSeen: 20000*day + 5},
		{FlowID: 3, Probe: "A", FirstSeen: 20001*day + 7},
		{FlowID: 4, Probe: "A", FirstSeen: 20000*day + 9},
	}
	if err := r.Write(&observe.Batch{Flows: flows}); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(&observe.Batch{Flows: flows[:1]}); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasPrefix(p, filepath.Join(out, "flows")) || strings.HasPrefix(p, filepath.Join(out, "pdu_stats"))) {
			rel, _ := filepath.Rel(out, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{ // the second Write goes on in the open part: parts are sized by rows
		"flows/date=2024-10-04/probe=A/part-00000.parquet",
		"flows/date=2024-10-04/probe=site%2Fb/part-00000.parquet",
		"flows/date=2024-10-05/probe=A/part-00000.parquet",
		"pdu_stats/probe=__HIVE_DEFAULT_PARTITION__/part-00000.parquet",
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files\n%q\nwant\n%q", files, want)
	}
	if got := readFlows(t, out); len(got) != 5 {
		t.Errorf("%d flows read back", len(got))
	}
	if st := r.Stats().Tables[observe.TableFlows]; st.Files != 3 || st.Rows != 5 {
		t.Errorf("flows stats %+v", st)
	}
	r2, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatalf("a Hive output is not recognised as a run: %v", err)
	}
	r2.Abort()
}
