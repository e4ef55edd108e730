package testsamples

import (
	"os"
	"testing"
)

// BenchCapture returns the capture the replay benchmarks read: the file
// the environment variable TMONBENCH_BENCH_PCAP names, as it is named, or
// else lab/tcp-mix/A.pcap (Path).
func BenchCapture(tb testing.TB) string {
	tb.Helper()
	if path := os.Getenv("TMONBENCH_BENCH_PCAP"); path != "" {
		return path
	}
	return Path(tb, "lab", "tcp-mix", "A.pcap")
}

// ReportPerPacket reports a benchmark's time per packet (ns/pkt) and its
// packet rate (pkts/s), packets being those of all its b.N iterations.
func ReportPerPacket[N int | uint64](b *testing.B, packets N) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(packets)
	b.ReportMetric(ns, "ns/pkt")
	b.ReportMetric(1e9/ns, "pkts/s")
}
