package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/bench"
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
	for _, parallel := range []bool{false, true} {
		name := "sequential"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) { benchPipeline(b, parallel) })
	}
}

func benchPipeline(b *testing.B, parallel bool) {
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
			Parallel: parallel,
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

// BenchmarkFloor is the decode-only reference of ../shared/bench/README.md
// ("Go floor", bench.Floor: gopacket's pcapgo reader with zero-copy reads
// and a DecodingLayerParser over Ethernet/802.1Q/IPv4/IPv6/TCP/UDP/ICMPv4,
// the one `tmonbench bench` runs), on the same capture as
// BenchmarkPipeline. Quote BenchmarkPipeline's ns/pkt as a
// ratio to this one, measured in the same run.
func BenchmarkFloor(b *testing.B) {
	path := os.Getenv("TMONBENCH_BENCH_PCAP")
	if path == "" {
		path = filepath.Join(samplesDir(b), "lab", "tcp-mix", "A.pcap")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var packets uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := bench.Floor(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		packets += c.Packets
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(packets)
	b.ReportMetric(ns, "ns/pkt")
	b.ReportMetric(1e9/ns, "pkts/s")
}
