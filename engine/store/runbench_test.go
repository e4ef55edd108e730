package store

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// drainRows is the pipeline's DefaultSinkRows (engine/pipeline): the
// collector hands its rows to the sink in batches of about 64 k rows.
const drainRows = 1 << 16

// BenchmarkRunWrite streams rows through a Run as a replay does
// (engine/pipeline: Write of a drained batch, Commit, ..., Finish) and
// reports ns and file bytes per row. The rows are those of the tmonbench
// output folder TMONBENCH_STORE_ROWS when set (e.g. a replay of the 5M
// corpus's first million packets: every table, read back), else
// synthRows: flow_counters and flows rows shaped like the corpus's.
// Deterministic instruction counts: valgrind --tool=cachegrind of a
// CGO_ENABLED=0 test binary under GOMAXPROCS=1 GOGC=off
// GODEBUG=asyncpreemptoff=1 (with two Ps the idle scheduler's spinning
// varies by 10 %) at -test.benchtime=1x and 2x: the difference is one op
// (docs/speed.md).
func BenchmarkRunWrite(b *testing.B) {
	var all *observe.Batch
	if dir := os.Getenv("TMONBENCH_STORE_ROWS"); dir != "" {
		all = readOutput(b, dir)
	} else {
		all = synthRows(20_000)
	}
	batches := drains(all, drainRows)
	rows := all.Rows()
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		out := filepath.Join(b.TempDir(), "out")
		r, err := BeginRun(out, Manifest{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		r.PublishEvery = time.Hour // parts sized by rows, whatever the wall time (deterministic)
		b.StartTimer()
		for _, batch := range batches {
			if err := r.Write(batch); err != nil {
				b.Fatal(err)
			}
			if err := r.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Finish(); err != nil {
			b.Fatal(err)
		}
		size = r.Stats().Total().Bytes
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/float64(rows), "file-bytes/row")
	b.ReportMetric(float64(rows), "rows/op")
}

// synthRows returns rows shaped like the 5M corpus's (a replay of its
// first million packets: 7 flow_counters rows a flow, one interval, 17
// metrics; flow ids ascending): flows flows rows and their counters.
func synthRows(flows int) *observe.Batch {
	b := &observe.Batch{}
	metrics := [][2]string{{"dscp", "code point"}, {"ip_bytes", "bytes"}, {"l4_payload_bytes", "bytes"},
		{"packets", "packets"}, {"tcp_fin", "segments"}, {"tcp_syn", "segments"}, {"ttl", "hops"}}
	const t0 = 1764426960000000000 // 2025-11-29T14:36:00Z
	for i := range flows {
		n := uint64(100 + i%37)
		size := float64(52 + i%500)
		src := "10.1." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
		b.Flows = append(b.Flows, observe.Flow{FlowID: uint64(i + 1), Probe: "corpus", Interface: "corpus", Class: "all",
			Name: src + ":high>10.9.0.1:80/tcp", IPVersion: 4, Protocol: 6, SrcAddr: src, DstAddr: "10.9.0.1",
			SrcPort: uint16(1024 + i%60000), DstPort: 80, FirstSeen: t0 + int64(i)*7919, LastSeen: t0 + int64(i)*7919 + int64(n)*1e6,
			Packets: n, Bytes: n * uint64(size)})
		for _, m := range metrics {
			v := size
			switch m[0] {
			case "dscp":
				v = 0
			case "packets":
				v = 1
			case "ttl":
				v = float64(63 + i%2)
			}
			c := observe.FlowCounter{Probe: "corpus", FlowID: uint64(i + 1), IntervalStart: t0, IntervalS: 60,
				Metric: m[0], Unit: m[1], N: n, Sum: v * float64(n), SumSq: v * v * float64(n), Min: v, Max: v}
			if m[0] == "tcp_fin" || m[0] == "tcp_syn" {
				c.N, c.Sum, c.SumSq, c.Min, c.Max = 1, 1, 1, 1, 1
			}
			b.FlowCounters = append(b.FlowCounters, c)
		}
	}
	return b
}

// drains cuts all into batches of about n rows, each holding an equal
// share of every table's rows (in order), as the collector's drains do.
func drains(all *observe.Batch, n int) []*observe.Batch {
	k := max(1, (all.Rows()+n-1)/n)
	out := make([]*observe.Batch, k)
	for i := range out {
		out[i] = &observe.Batch{}
	}
	bv := reflect.ValueOf(all).Elem()
	for f := range bv.NumField() {
		rows := bv.Field(f)
		for i := range k {
			lo, hi := rows.Len()*i/k, rows.Len()*(i+1)/k
			reflect.ValueOf(out[i]).Elem().Field(f).Set(rows.Slice(lo, hi))
		}
	}
	return out
}

// readOutput reads every table of a tmonbench output folder back into one
// batch (rows in file order); TMONBENCH_STORE_TABLES, when set, names
// the tables to keep (comma-separated).
func readOutput(b *testing.B, dir string) *observe.Batch {
	all := &observe.Batch{}
	only := os.Getenv("TMONBENCH_STORE_TABLES") // a comma-separated list of tables to keep
	for _, t := range observe.Tables {
		if only != "" && !slices.Contains(strings.Split(only, ","), t.Name) {
			continue
		}
		all.Append(testout.ReadBatch(b, dir, t))
	}
	return all
}
