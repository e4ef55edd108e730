package store

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// fillRows appends n rows to every table of b, each field set from its
// row number by kind (strings from a few values, so dictionaries form;
// every third pointer nil).
func fillRows(b *observe.Batch, n int) {
	for _, tab := range observe.Tables {
		rows := reflect.MakeSlice(reflect.SliceOf(tab.Row), n, n)
		for i := range n {
			r := rows.Index(i)
			for f, c := range observe.ColumnFields(tab.Row) {
				setField(r.FieldByIndex(c.Index), i, f)
			}
		}
		bv := reflect.ValueOf(b).Elem()
		for f := range bv.NumField() {
			if bv.Field(f).Type() == rows.Type() {
				bv.Field(f).Set(rows)
			}
		}
		if tab.Len(b) != n {
			panic("no Batch field for table " + tab.Name)
		}
	}
}

func setField(v reflect.Value, i, f int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d-%d", f, (i*(f+1))%7))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(1764426960000000000/(1<<(64-v.Type().Bits())) + int64(i*(f+3))%100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(i*(f+1)) % (1 << min(v.Type().Bits()-1, 40)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(i*(f+1)) / 3)
	case reflect.Bool:
		v.SetBool((i+f)%2 == 0)
	case reflect.Pointer:
		if i%3 != 0 {
			p := reflect.New(v.Type().Elem())
			setField(p.Elem(), i, f)
			v.Set(p)
		}
	}
}

// tagOptions are the writer options as they were before schemaWith: the
// struct tags themselves, from which parquet-go builds the schema for
// each writer.
func tagOptions(row reflect.Type, streamed bool) []parquet.WriterOption {
	var opts []parquet.WriterOption
	if streamed {
		opts = append(opts, parquet.MaxRowsPerRowGroup(rowGroupRows))
	}
	opts = append(opts, writerOptions...)
	for _, tag := range deltaColumns(row) {
		opts = append(opts, tag.(parquet.WriterOption))
	}
	return opts
}

// TestSchemaOnceSameBytes: every table's part written with its schema
// built once (optionsFor: schemaWith) is byte for byte the part written
// with the struct tags given to each writer, and a new writer allocates
// less (the schema is not built again; issue 14: tcp_connections 941 ->
// 533 allocations, flows 360 -> 212).
func TestSchemaOnceSameBytes(t *testing.T) {
	var b observe.Batch
	fillRows(&b, 3000)
	for _, tab := range observe.Tables {
		write := func(opts []parquet.WriterOption) []byte {
			var out bytes.Buffer
			w := tab.NewWriter(&out, opts...)
			if _, err := w.Write(&b); err != nil {
				t.Fatalf("%s: %v", tab.Name, err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("%s: %v", tab.Name, err)
			}
			return out.Bytes()
		}
		for _, streamed := range []bool{false, true} {
			once, tags := write(optionsFor(tab.Row, streamed)), write(tagOptions(tab.Row, streamed))
			if !bytes.Equal(once, tags) {
				t.Errorf("%s (streamed %v): %d bytes with the schema built once, %d with the tags", tab.Name, streamed, len(once), len(tags))
			}
		}
		if len(deltaColumns(tab.Row)) == 0 {
			continue
		}
		newWriter := func(opts []parquet.WriterOption) func() {
			return func() { tab.NewWriter(io.Discard, opts...) }
		}
		once := testing.AllocsPerRun(5, newWriter(optionsFor(tab.Row, true)))
		tags := testing.AllocsPerRun(5, newWriter(tagOptions(tab.Row, true)))
		if once >= tags {
			t.Errorf("%s: a new writer allocates %v times with the schema built once, %v with the tags: want fewer", tab.Name, once, tags)
		}
	}
}
