package probe_test

import (
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// BenchmarkWorkersSettleCPU measures what a replay of several probes costs
// a probe on 2 workers by settling it every 100 ms of capture time
// (engine/pipeline quietTicks, probe.Engine.Settle): the process's CPU
// time per packet with and without a Settle at the latest packet's time
// each time the capture's clock passes a 100 ms mark, alternated in one
// process, three rounds each, as BenchmarkWorkersCPU (same packets: lab
// tcp-mix/A.pcap, 6436 packets over 10.9 s, or TMONBENCH_BENCH_PCAP).
// cpu-us/settle is the difference per Settle, from the round's pair.
//
//	go test ./engine/probe -run '^$' -bench WorkersSettleCPU -benchtime 20x
func BenchmarkWorkersSettleCPU(b *testing.B) {
	frames, metas, blocks := lentFrames(b)
	cfg := config.Default()
	const quietNs = int64(100e6)
	var without float64
	alternateRounds(b, func(settle bool) string { return fmt.Sprintf("settle=%v", settle) }, func(b *testing.B, settle bool) {
		settles := 0
		perPkt := cpuPerPacket(b, len(frames), func() {
			w := ackedEngine(b, cfg, 2).(*probe.Workers)
			next := int64(0)
			for j := range frames {
				t := metas[j].TimeNs
				if settle && t >= next {
					if j > 0 {
						w.Settle(metas[j-1].TimeNs)
						settles++
					}
					next = t + quietNs
				}
				w.PacketLent(frames[j], metas[j], blocks[j])
			}
			w.Close()
		})
		if !settle {
			without = perPkt
		} else if settles > 0 {
			b.ReportMetric((perPkt-without)*float64(b.N*len(frames))/float64(settles)/1e3, "cpu-us/settle")
			b.ReportMetric(float64(settles)/float64(b.N), "settles/run")
		}
	})
}
