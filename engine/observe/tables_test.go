package observe

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestTablesCoverBatch: every Batch slice is one table of the registry,
// with the same row type, in the same order, and every table's methods
// reach its own slice.
func TestTablesCoverBatch(t *testing.T) {
	bt := reflect.TypeFor[Batch]()
	if bt.NumField() != len(Tables) {
		t.Fatalf("Batch has %d fields, Tables %d entries", bt.NumField(), len(Tables))
	}
	var b Batch
	bv := reflect.ValueOf(&b).Elem()
	for i, tab := range Tables {
		f := bt.Field(i)
		if f.Type.Elem() != tab.Row {
			t.Errorf("table %s: row type %s, Batch field %d (%s) holds %s", tab.Name, tab.Row, i, f.Name, f.Type.Elem())
		}
		bv.Field(i).Set(reflect.Append(bv.Field(i), reflect.Zero(tab.Row)))
		if tab.Doc == "" || tab.Name == "" {
			t.Errorf("table %d has no name or doc", i)
		}
		if TableNamed(tab.Name) != tab {
			t.Errorf("TableNamed(%q) is not the table", tab.Name)
		}
	}
	for i, tab := range Tables {
		if n := tab.Len(&b); n != 1 {
			t.Errorf("%s: Len %d, want 1", tab.Name, n)
		}
		if reflect.TypeOf(tab.Rows(&b)) != bt.Field(i).Type {
			t.Errorf("%s: Rows is %T", tab.Name, tab.Rows(&b))
		}
	}
	if b.Rows() != len(Tables) {
		t.Errorf("Rows %d, want %d", b.Rows(), len(Tables))
	}
	var c Batch
	c.Append(&b)
	c.Append(&b)
	for name, n := range c.Len() {
		if n != 2 {
			t.Errorf("after two Appends %s has %d rows", name, n)
		}
	}
	c.Reset()
	if c.Rows() != 0 || cap(c.Flows) < 2 {
		t.Errorf("Reset: %d rows, flows capacity %d", c.Rows(), cap(c.Flows))
	}
}

// TestTableWriterSchema: a table's writer gives a Parquet file with the
// row type's columns, with or without rows.
func TestTableWriterSchema(t *testing.T) {
	b := Batch{Events: []Event{{Time: 1, Source: "collector", Kind: "k", Severity: SevInfo, Message: "m"}}}
	for _, tab := range []*Table{TableNamed(TableEvents), TableNamed(TableFlows)} {
		var buf bytes.Buffer
		w := tab.NewWriter(&buf)
		n, err := w.Write(&b)
		if err != nil || n != tab.Len(&b) {
			t.Fatalf("%s: wrote %d rows, %v", tab.Name, n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, c := range ColumnFields(tab.Row) {
			name, _, _ := strings.Cut(c.Tag.Get("parquet"), ",")
			fields = append(fields, name)
		}
		var cols []string
		for _, c := range f.Schema().Fields() {
			cols = append(cols, c.Name())
		}
		if !slices.Equal(cols, fields) {
			t.Errorf("%s: columns %v, ColumnFields %v", tab.Name, cols, fields)
		}
		if f.NumRows() != int64(tab.Len(&b)) {
			t.Errorf("%s: %d rows in the file", tab.Name, f.NumRows())
		}
	}
}

// TestColumnFieldsEmbedded: an embedded struct's fields stand in its
// place, with their path and their offset from the row's start (a key
// after another column is read at the right address by Split), and a
// parquet:"-" field is no column; the order is parquet-go's.
func TestColumnFieldsEmbedded(t *testing.T) {
	type row struct {
		Probe string `parquet:"probe"`
		OnewayKey
		Skip  int64  `parquet:"-"`
		N     uint64 `parquet:"n"`
		dummy int
	}
	var r row
	base := reflect.ValueOf(&r).Elem()
	var names []string
	for _, f := range ColumnFields(base.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		names = append(names, name)
		if got, want := f.Offset, base.FieldByIndex(f.Index).UnsafeAddr()-base.UnsafeAddr(); got != want {
			t.Errorf("%s: Offset %d, want %d", name, got, want)
		}
	}
	want := []string{"probe", "class", "flow_id", "flow", "from_hop", "to_hop", "interval_start", "interval_s", "from_hop_index", "to_hop_index", "n"}
	if !slices.Equal(names, want) {
		t.Errorf("columns %v, want %v", names, want)
	}
	var cols []string
	for _, f := range parquet.SchemaOf(r).Fields() {
		cols = append(cols, f.Name())
	}
	if !slices.Equal(cols, want) {
		t.Errorf("parquet-go columns %v, want %v", cols, want)
	}
	_ = r.dummy
}
