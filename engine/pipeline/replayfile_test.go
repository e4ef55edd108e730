package pipeline_test

import (
	"context"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// BenchmarkReplayFile replays a capture file from disk as `tmonbench
// replay` and `bench` read one: replay.Open, the packet indexer attached
// (replay.NewIndexer: the file notes its packets), replay.Merge of the one input, the default config
// in one goroutine. One op is one whole replay; ns/pkt per packet. Under
// valgrind's cachegrind (-benchtime 1x) it counts the instructions of the
// read path per packet. TMONBENCH_BENCH_PCAP names another capture.
//
//	go test ./engine/pipeline -run '^$' -bench ReplayFile -benchtime 1x
func BenchmarkReplayFile(b *testing.B) {
	path := testsamples.BenchCapture(b)
	var packets uint64
	b.ReportAllocs()
	for b.Loop() {
		f, err := replay.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		x := replay.NewIndexer(f, "bench", "", path, 1000, 1e9)
		var src pkt.Source = f
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
			Config: config.Default(), Probes: []probe.Identity{{Name: "bench"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if len(x.Entries()) == 0 {
			b.Fatal("no packet index")
		}
		packets += res.Packets
	}
	testsamples.ReportPerPacket(b, packets)
}
