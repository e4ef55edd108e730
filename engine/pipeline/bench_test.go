package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// BenchmarkPipeline replays a capture held in memory through probe, PDUs
// and collector with the default config. One op is one whole replay; the
// metrics are per packet. Set TMONBENCH_BENCH_PCAP to a larger capture
// (e.g. the corpus of ../shared/bench) to measure on it.
func BenchmarkPipeline(b *testing.B) {
	path := os.Getenv("TMONBENCH_BENCH_PCAP")
	if path == "" {
		path = filepath.Join(samplesDir(b), "lab", "tcp-mix", "A.pcap")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	var packets uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := replay.NewReader(bytes.NewReader(data), path, int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "bench"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		})
		if err != nil {
			b.Fatal(err)
		}
		packets += res.Packets
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(packets)
	b.ReportMetric(ns, "ns/pkt")
	b.ReportMetric(1e9/ns, "pkts/s")
}
