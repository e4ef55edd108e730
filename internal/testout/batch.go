package testout

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// ReadBatch reads every Parquet part of table tb under the output folder
// out back into the rows of a Batch, with parquet-go (the library that
// wrote them), in file order: the rows a run produced, as Go values.
func ReadBatch(tb testing.TB, out string, table *observe.Table) *observe.Batch {
	tb.Helper()
	b := &observe.Batch{}
	var slot reflect.Value
	bv := reflect.ValueOf(b).Elem()
	for i := range bv.NumField() {
		if bv.Field(i).Type().Elem() == table.Row {
			slot = bv.Field(i)
		}
	}
	err := filepath.WalkDir(filepath.Join(out, table.Name), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		r := parquet.NewReader(f, parquet.SchemaOf(reflect.New(table.Row).Interface()))
		defer r.Close()
		for {
			row := reflect.New(table.Row)
			if err := r.Read(row.Interface()); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			slot.Set(reflect.Append(slot, row.Elem()))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
