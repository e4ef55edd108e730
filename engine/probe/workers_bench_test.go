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
// two alternate in one process, three rounds (alternateRounds).
// TMONBENCH_BENCH_PCAP and TMONBENCH_BENCH_PACKETS as for
// BenchmarkProbeDefault (issue 14).
//
//	TMONBENCH_BENCH_PCAP=/tmp/w-1m.pcap go test ./engine/probe -run '^$' -bench WorkersCPU -benchtime 1x
func BenchmarkWorkersCPU(b *testing.B) {
	frames, metas, blocks := lentFrames(b)
	cfg := config.Default()
	workers := func(alt bool) int {
		if alt {
			return 2
		}
		return 0
	}
	alternateRounds(b, func(alt bool) string { return fmt.Sprintf("workers=%d", workers(alt)) }, func(b *testing.B, alt bool) {
		cpuPerPacket(b, len(frames), func() {
			e := ackedEngine(b, cfg, workers(alt))
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
		})
	})
}

// alternateRounds runs variant(b, alt) as the sub-benchmarks
// name(alt)/round=N, three rounds of each of the two variants alternated
// in one process: on a shared machine CPU time moves less than wall
// time, and the alternation spreads the load over both.
func alternateRounds(b *testing.B, name func(alt bool) string, variant func(b *testing.B, alt bool)) {
	for round := range 6 {
		alt := round%2 == 1
		b.Run(fmt.Sprintf("%s/round=%d", name(alt), round/2+1), func(b *testing.B) { variant(b, alt) })
	}
}

// cpuPerPacket runs run under b.Loop and reports, and returns, the
// process's CPU time per packet (cpu-ns/pkt) of the packets each run
// handles.
func cpuPerPacket(b *testing.B, packets int, run func()) float64 {
	cpu0 := testenv.ProcessCPU(b)
	for b.Loop() {
		run()
	}
	perPkt := float64(testenv.ProcessCPU(b)-cpu0) / float64(b.N*packets)
	b.ReportMetric(perPkt, "cpu-ns/pkt")
	return perPkt
}

// ackedEngine returns a probe named bench of cfg, lone (workers 0) or on
// workers, whose PDUs are acknowledged at once (ackLink), no collector.
func ackedEngine(b *testing.B, cfg *config.Config, workers int) probe.Engine {
	link := &ackLink{}
	ch := []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}
	var e probe.Engine
	var err error
	if workers == 0 {
		e, err = probe.New(probe.Identity{Name: "bench"}, cfg, ch, nil)
	} else {
		e, err = probe.NewWorkers(probe.Identity{Name: "bench"}, cfg, ch, nil, workers)
	}
	if err != nil {
		b.Fatal(err)
	}
	link.s = e.Senders()[0]
	return e
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
