package probe_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testframes"
	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// BenchmarkProbeDefault measures the probe goroutine's work per packet
// outside reading (dissect, sieve, flow table, counters, tcp, rtt, PDU
// encode) with the default config: one op replays the packets held in
// memory through a new probe whose PDUs are acknowledged at once, each
// packet first copied into one buffer, as a reader hands it over (in
// cache). TMONBENCH_BENCH_PCAP names the capture (default: the lab's
// tcp-mix at A), TMONBENCH_BENCH_PACKETS caps the packets held (default
// 1 M: about 600 MB of the 5M corpus). With -cpuprofile, the profile
// charges its stages as `tmonbench bench` does (engine/bench).
func BenchmarkProbeDefault(b *testing.B) {
	path := os.Getenv("TMONBENCH_BENCH_PCAP")
	if path == "" {
		path = "lab/tcp-mix/A.pcap"
	}
	limit := benchPackets(b)
	frames, metas := framesUpTo(b, path, limit)
	cfg := config.Default()
	buf := make([]byte, 0, 1<<18)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		link := &ackLink{}
		p, err := probe.New(probe.Identity{Name: "bench"}, cfg, []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		link.s = p.Senders()[0]
		for j := range frames {
			buf = append(buf[:0], frames[j]...)
			p.Packet(buf, metas[j])
		}
	}
	testsamples.ReportPerPacket(b, b.N*len(frames))
}

// framesUpTo reads at most limit packets of the capture at path (relative
// to the shared samples, or absolute) into memory, in 64 MiB chunks.
func framesUpTo(b *testing.B, path string, limit int) ([][]byte, []pkt.Meta) {
	if !filepath.IsAbs(path) {
		return testframes.Frames(b, path)
	}
	src, err := replay.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var frames [][]byte
	var metas []pkt.Meta
	var chunk []byte
	for len(frames) < limit {
		data, m, err := src.Next()
		if err != nil {
			break
		}
		if len(chunk)+len(data) > cap(chunk) {
			chunk = make([]byte, 0, max(64<<20, len(data)))
		}
		start := len(chunk)
		chunk = append(chunk, data...)
		frames = append(frames, chunk[start:len(chunk):len(chunk)])
		metas = append(metas, m)
	}
	return frames, metas
}

// benchPackets is how many packets of the capture the benchmarks replay:
// the count TMONBENCH_BENCH_PACKETS says, 1 M (1 << 20) without it.
func benchPackets(b *testing.B) int {
	limit := 1 << 20
	if s := os.Getenv("TMONBENCH_BENCH_PACKETS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("TMONBENCH_BENCH_PACKETS=%q: want a packet count", s)
		}
		limit = n
	}
	return limit
}
