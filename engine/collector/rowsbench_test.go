package collector

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// BenchmarkCollectorRows measures the collector side of a pipeline
// without Parquet: the frames of benchFrames (TMONBENCH_COLLECTOR_FRAMES:
// a probe's recorded PDU stream) decoded, drained and recycled as the
// pipeline does every sinkRows rows or flushNs of capture time, then the
// flows flushed in chunks and the last rows finished. Reported in ns per
// row drained. TMONBENCH_COLLECTOR_DUMP writes every row drained there
// (one a line, pointers followed), to compare the rows of two builds.
func BenchmarkCollectorRows(b *testing.B) {
	frames := benchFrames(b)
	var dump *bufio.Writer
	if path := os.Getenv("TMONBENCH_COLLECTOR_DUMP"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		dump = bufio.NewWriter(f)
		defer dump.Flush()
	}
	rows := 0
	write := func(batch *observe.Batch) {
		rows += batch.Rows()
		if dump == nil {
			return
		}
		for _, t := range observe.Tables {
			v := reflect.ValueOf(t.Rows(batch))
			for i := range v.Len() {
				fmt.Fprintf(dump, "%s", t.Name)
				r := v.Index(i)
				for _, c := range observe.ColumnFields(t.Row) {
					f := r.FieldByIndex(c.Index)
					if f.Kind() == reflect.Pointer {
						if f.IsNil() {
							fmt.Fprintf(dump, " nil")
							continue
						}
						f = f.Elem()
					}
					fmt.Fprintf(dump, " %v", f.Interface())
				}
				fmt.Fprintln(dump)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c, err := New(nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var last int64
		for _, f := range frames {
			c.Handle(f)
			now := c.ClockNs()
			if last == 0 {
				last = now
			}
			if c.Rows() >= sinkRows || now-last >= flushNs {
				last = now
				batch := c.Drain()
				write(batch)
				c.Recycle(batch)
			}
		}
		if err := c.FlushFlows(1<<15, func(batch *observe.Batch) (*observe.Batch, error) { write(batch); return batch, nil }); err != nil {
			b.Fatal(err)
		}
		write(c.Finish())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}
