package store

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestPageStatistics: a part's data pages carry no statistics in their
// headers (writerOptions), while the column index and the column chunk
// statistics keep each column's bounds (here flow_id 5..7004 and
// packets 0..999 of 7000 rows): what readers prune by (Parquet format,
// PageIndex.md; DuckDB uses the chunk statistics).
func TestPageStatistics(t *testing.T) {
	rows := make([]observe.Flow, 7000)
	for i := range rows {
		rows[i] = observe.Flow{FlowID: uint64(i + 5), Probe: "p1", Class: "all", Packets: uint64(i % 1000), FirstSeen: 1e18}
	}
	path, err := Write(t.TempDir(), observe.TableFlows, 0, rows)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	le := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	want := map[string][2]uint64{"flow_id": {5, 7004}, "packets": {0, 999}}
	cols := f.Metadata().RowGroups[0].Columns
	indexes := f.ColumnIndexes()
	for i, name := range f.Schema().Columns() {
		w, ok := want[name[0]]
		if !ok {
			continue
		}
		delete(want, name[0])
		st := cols[i].MetaData.Statistics
		if !bytes.Equal(st.MinValue, le(w[0])) || !bytes.Equal(st.MaxValue, le(w[1])) {
			t.Errorf("%s: chunk statistics %x..%x, want %d..%d", name[0], st.MinValue, st.MaxValue, w[0], w[1])
		}
		if ci := indexes[i]; len(ci.MinValues) != 1 || !bytes.Equal(ci.MinValues[0], le(w[0])) || !bytes.Equal(ci.MaxValues[0], le(w[1])) {
			t.Errorf("%s: column index %x..%x, want %d..%d", name[0], ci.MinValues, ci.MaxValues, w[0], w[1])
		}
		var h format.PageHeader
		r := (&thrift.CompactProtocol{}).NewReader(bytes.NewReader(data[cols[i].MetaData.DataPageOffset:]))
		if err := thrift.NewDecoder(r).Decode(&h); err != nil {
			t.Fatalf("%s: page header: %v", name[0], err)
		}
		v1, v2 := h.DataPageHeader.V.Statistics, h.DataPageHeaderV2.V.Statistics
		if !h.DataPageHeader.Valid && !h.DataPageHeaderV2.Valid {
			t.Errorf("%s: the first page is not a data page: %+v", name[0], h)
		}
		if v1.MinValue != nil || v1.MaxValue != nil || v2.MinValue != nil || v2.MaxValue != nil {
			t.Errorf("%s: page header statistics %+v %+v, want none", name[0], v1, v2)
		}
	}
	if len(want) != 0 {
		t.Errorf("columns %v not found", want)
	}
}
