package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// batchesOnly is a replay.File without its own read-ahead (no
// pkt.ReadAheader): Options.ReadAhead reads it ahead in the pipeline's
// batches (ahead.go), its packets lent.
type batchesOnly struct{ f *replay.File }

func (s batchesOnly) Next() ([]byte, pkt.Meta, error)      { return s.f.Next() }
func (s batchesOnly) NextInto(m *pkt.Meta) ([]byte, error) { return s.f.NextInto(m) }
func (s batchesOnly) Lent() *pkt.Block                     { return s.f.Lent() }
func (s batchesOnly) Close() error                         { return s.f.Close() }

// BenchmarkReadAhead replays a capture file from disk (the page cache
// after the first round) as bench does (the default config, the
// collector in its own goroutine, no Parquet), its reading in the
// probe's goroutine ("own"), ahead of it in the pipeline's batches of
// packets ("batches", pipeline.Options.ReadAhead on a source that cannot
// read ahead itself) or in the File's own chunks ("chunks",
// replay.File.ReadAhead). One op is one whole replay; the three
// alternate in one process, three rounds. cpu-ns/pkt is the process's CPU
// time (user and system) per packet, which moves less than the wall
// time on a shared machine: the hand-off's cost is its difference to
// "own". TMONBENCH_BENCH_PCAP names another capture (the corpus's first
// million packets: editcap -F pcap -r corpus-5m.pcap c1m.pcap 1-1000000).
//
//	go test ./engine/pipeline -run '^$' -bench ReadAhead -benchtime 2x
func BenchmarkReadAhead(b *testing.B) {
	path := testsamples.BenchCapture(b)
	modes := []string{"own", "batches", "chunks"}
	for i := range 3 * len(modes) {
		mode := modes[i%len(modes)]
		b.Run(fmt.Sprintf("%s/round=%d", mode, i/len(modes)+1), func(b *testing.B) {
			var packets uint64
			cpu0 := testenv.ProcessCPU(b)
			for b.Loop() {
				f, err := replay.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var src pkt.Source = f
				if mode == "batches" {
					src = batchesOnly{f}
				}
				res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
					Config: config.Default(), Probes: []probe.Identity{{Name: "bench"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
					Parallel: true, ReadAhead: mode != "own",
				})
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				packets += res.Packets
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(packets)
			b.ReportMetric(ns, "ns/pkt")
			b.ReportMetric(float64(testenv.ProcessCPU(b)-cpu0)/float64(packets), "cpu-ns/pkt")
		})
	}
}
