package probe_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// BenchmarkWorkersCPU measures the process's CPU time (user and system:
// every goroutine, the workers' and the merge's) per packet of a lone
// probe (workers=0) and of probe.Workers with 2 workers, the packets held
// in memory in 512 KiB blocks (lentFrames) lent to the workers (PacketLent, as
// replay.File lends them), PDUs acknowledged at once, no collector. The
// two alternate in one process, three rounds: on a shared machine CPU
// time moves less than wall time, and the alternation spreads the load
// over both. TMONBENCH_BENCH_PCAP and TMONBENCH_BENCH_PACKETS as for
// BenchmarkProbeDefault (issue 14).
//
//	TMONBENCH_BENCH_PCAP=/tmp/w-1m.pcap go test ./engine/probe -run '^$' -bench WorkersCPU -benchtime 1x
func BenchmarkWorkersCPU(b *testing.B) {
	frames, metas, blocks := lentFrames(b)
	cfg := config.Default()
	for round := range 6 {
		n := 2 * (round % 2)
		b.Run(fmt.Sprintf("workers=%d/round=%d", n, round/2+1), func(b *testing.B) {
			cpu0 := testenv.ProcessCPU(b)
			for b.Loop() {
				link := &ackLink{}
				ch := []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}
				var e probe.Engine
				if n == 0 {
					p, err := probe.New(probe.Identity{Name: "bench"}, cfg, ch, nil)
					if err != nil {
						b.Fatal(err)
					}
					e = p
				} else {
					w, err := probe.NewWorkers(probe.Identity{Name: "bench"}, cfg, ch, nil, n)
					if err != nil {
						b.Fatal(err)
					}
					e = w
				}
				link.s = e.Senders()[0]
				if w, ok := e.(*probe.Workers); ok {
					for j := range frames {
						w.PacketLent(frames[j], metas[j], blocks[j])
					}
				} else {
					for j := range frames {
						e.Packet(frames[j], metas[j])
					}
				}
				e.Close()
			}
			b.ReportMetric(float64(testenv.ProcessCPU(b)-cpu0)/float64(b.N*len(frames)), "cpu-ns/pkt")
		})
	}
}

// lentFrames returns the benchmark's packets, each with the block of
// 512 KiB it is in (replay.File's block size).
func lentFrames(b *testing.B) ([][]byte, []pkt.Meta, []*pkt.Block) {
	path := os.Getenv("TMONBENCH_BENCH_PCAP")
	if path == "" {
		path = "lab/tcp-mix/A.pcap"
	}
	limit := benchPackets(b)
	in, metas := framesUpTo(b, path, limit)
	frames := make([][]byte, len(in))
	blocks := make([]*pkt.Block, len(in))
	var blk *pkt.Block
	off := 0
	for i, f := range in {
		if blk == nil || off+len(f) > len(blk.Data) {
			blk, off = pkt.NewBlock(max(512<<10, len(f)), nil), 0
		}
		frames[i] = blk.Data[off : off+copy(blk.Data[off:], f)]
		blocks[i] = blk
		off += len(f)
	}
	return frames, metas, blocks
}
