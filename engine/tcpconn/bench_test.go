package tcpconn

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// BenchmarkKnownConnections replays zeek_ssh_ssh.pcap (1797 packets, 23
// connections), decoded up front, through a Tracker that already follows
// its connections: the steady-state per-packet path, which must not
// allocate.
func BenchmarkKnownConnections(b *testing.B) {
	ds := readDissections(b, samplesDir(b)+"/pcap/tcp-options/zeek_ssh_ssh.pcap")
	tr := New(DefaultConfig())
	for i := range ds {
		tr.Packet(&ds[i], "ssh", false)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Packet(&ds[i%len(ds)], "ssh", false)
	}
	b.StopTimer()
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns, "ns/pkt")
	b.ReportMetric(1e9/ns, "pkts/s")
}

// BenchmarkCapture runs the whole capture through a new Tracker per pass,
// rows included (allocations here are per connection: the table, the row
// strings).
func BenchmarkCapture(b *testing.B) {
	ds := readDissections(b, samplesDir(b)+"/pcap/tcp-options/zeek_ssh_ssh.pcap")
	emit := func(uint16, *observe.TCPConnection) {}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr := New(DefaultConfig())
		for j := range ds {
			tr.Packet(&ds[j], "ssh", false)
		}
		tr.Flush(0, emit)
	}
	b.StopTimer()
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(ds))
	b.ReportMetric(ns, "ns/pkt")
	b.ReportMetric(1e9/ns, "pkts/s")
}
