package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tmonbench/tmonbench/engine/bench"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
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
	path := testsamples.BenchCapture(b)
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
	testsamples.ReportPerPacket(b, packets)
}

// BenchmarkFloor is the decode-only reference of ../shared/bench/README.md
// ("Go floor", bench.Floor: gopacket's pcapgo reader with zero-copy reads
// and a DecodingLayerParser over Ethernet/802.1Q/IPv4/IPv6/TCP/UDP/ICMPv4,
// the one `tmonbench bench` runs), on the same capture as
// BenchmarkPipeline. Quote BenchmarkPipeline's ns/pkt as a
// ratio to this one, measured in the same run.
func BenchmarkFloor(b *testing.B) {
	path := testsamples.BenchCapture(b)
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
	testsamples.ReportPerPacket(b, packets)
}

// BenchmarkWorkersLent replays a capture file (read from disk, as bench
// and replay do) on 2 probe workers, its packets lent to them
// (probe.Workers.PacketLent) or copied into their batches (the source
// hidden behind a wrapper that does not lend), and the collector in its
// own goroutine; one op is one whole replay. The two alternate in one
// process, three rounds (-count runs each sub-benchmark N times in a
// row: no alternation). cpu-ns/pkt is the process's CPU time (user
// and system) per packet: on a shared machine it moves less than the wall
// time. TMONBENCH_BENCH_PCAP names another capture.
//
//	go test ./engine/pipeline -run '^$' -bench WorkersLent -benchtime 1x
func BenchmarkWorkersLent(b *testing.B) {
	path := testsamples.BenchCapture(b)
	for i := range 6 {
		lend := i%2 == 1
		name := "copied"
		if lend {
			name = "lent"
		}
		b.Run(fmt.Sprintf("%s/round=%d", name, i/2+1), func(b *testing.B) {
			var packets uint64
			cpu0 := testenv.ProcessCPU(b)
			for b.Loop() {
				f, err := replay.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				var src pkt.Source = f
				if !lend {
					src = struct{ pkt.Source }{f}
				}
				res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
					Config: config.Default(), Probes: []probe.Identity{{Name: "bench"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
					Parallel: true, Workers: 2,
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
