package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
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
	if want := []string{"time", "source", "kind", "severity", "message"}; !reflect.DeepEqual(names, want) {
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
