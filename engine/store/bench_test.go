package store

import (
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// BenchmarkWriteFlows writes 100k flows rows (distinct addresses, ports and
// times) per op: rows/s and bytes/row of the zstd Parquet file.
func BenchmarkWriteFlows(b *testing.B) {
	const n = 100_000
	rows := make([]observe.Flow, n)
	for i := range rows {
		rows[i] = observe.Flow{
			FlowID: uint64(i), Probe: "p1", Interface: "eth0", Class: "all",
			Name:      fmt.Sprintf("10.0.%d.%d:high>10.1.0.1:443/tcp", i>>8&255, i&255),
			IPVersion: 4, Protocol: 6, SrcAddr: fmt.Sprintf("10.0.%d.%d", i>>8&255, i&255), DstAddr: "10.1.0.1",
			SrcPort: uint16(1024 + i%60000), DstPort: 443,
			FirstSeen: 1700000000000000000 + int64(i)*1000, LastSeen: 1700000000000000000 + int64(i)*2000,
			Packets: uint64(i % 1000), Bytes: uint64(i%1000) * 800,
		}
	}
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	var size int64
	for b.Loop() {
		_, s, err := write(dir, observe.TableFlows, 0, rows)
		if err != nil {
			b.Fatal(err)
		}
		size = s
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/n, "bytes/row")
}
