package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// BenchmarkTail replays a capture file as `tmonbench bench` runs it (the
// default config, the collector in its own goroutine, the rows to a
// store.Run in a temporary folder) and measures the end of the run: from
// the inputs' end (Options.End) until Run returns (the probes closed,
// their last PDUs decoded, the last rows and the final flows table
// written). One op is one whole replay; tail-ms is the median over the
// ops of that wall time, tail-cpu-ms the process's CPU time (user and
// system) in it, median too, and feed-ms the wall time before it. The
// store's Finish (one syncfs) is left out. TMONBENCH_BENCH_PCAP names
// another capture (the 5M corpus: 197 k flows end at once);
// TMONBENCH_TAIL_PROFILE a file name to write a CPU profile of each tail
// alone to, NAME.1, NAME.2, ... (go tool pprof merges them).
//
//	TMONBENCH_BENCH_PCAP=corpus-5m.pcap go test ./engine/pipeline -run '^$' -bench Tail -benchtime 5x
func BenchmarkTail(b *testing.B) {
	path := testsamples.BenchCapture(b)
	colls, err := pipeline.Collectors(config.Default())
	if err != nil {
		b.Fatal(err)
	}
	var tails, cpus, feeds []float64
	profile := os.Getenv("TMONBENCH_TAIL_PROFILE")
	for b.Loop() {
		f, err := replay.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		run, err := store.BeginRun(filepath.Join(b.TempDir(), "out"), store.Manifest{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		var prof bytes.Buffer
		start := time.Now()
		var ended time.Time
		var cpu0 int64
		_, err = pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: config.Default(), Probes: []probe.Identity{{Name: "bench"}}, Collectors: colls, Merge: merge,
			Parallel: true, Sink: run,
			End: func(func(int, uint8, string, string, uint64)) {
				if profile != "" {
					if err := pprof.StartCPUProfile(&prof); err != nil {
						b.Fatal(err)
					}
				}
				ended, cpu0 = time.Now(), testenv.ProcessCPU(b)
			},
		})
		if profile != "" {
			pprof.StopCPUProfile()
			if err := os.WriteFile(fmt.Sprintf("%s.%d", profile, len(tails)+1), prof.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		tails = append(tails, float64(time.Since(ended))/1e6)
		cpus = append(cpus, float64(testenv.ProcessCPU(b)-cpu0)/1e6)
		feeds = append(feeds, float64(ended.Sub(start))/1e6)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		run.Abort()
	}
	b.ReportMetric(median(tails), "tail-ms")
	b.ReportMetric(median(cpus), "tail-cpu-ms")
	b.ReportMetric(median(feeds), "feed-ms")
}

// median returns the median of v (the mean of the middle two for an even
// count).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n == 0 {
		return 0
	}
	return (s[(n-1)/2] + s[n/2]) / 2
}
