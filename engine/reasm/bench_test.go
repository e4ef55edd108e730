package reasm

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// synthFrames builds n datagrams (alternately IPv4 and IPv6) of k
// fragments of 1480 bytes (+ a shorter last one), each datagram's
// fragments in a random order, datagrams one after the other, 10 µs apart.
func synthFrames(n, k int) ([][]byte, []dissect.Dissection) {
	rng := rand.New(rand.NewPCG(1, 2))
	body := seqBody(k*1480 + 1480)
	var frames [][]byte
	var dis []dissect.Dissection
	now := int64(1_700_000_000_000_000_000)
	for i := range n {
		size := (k-1)*1480 + 1 + rng.IntN(1480)
		order := rng.Perm(k)
		for _, j := range order {
			s := fragSpec{off: j * 1480, n: min(1480, size-j*1480), mf: j < k-1, timeNs: now}
			var f []byte
			if i%2 == 0 {
				f = build4(uint16(i), 17, nil, body, s)
			} else {
				f = build6(uint32(i), 17, nil, nil, body, s)
			}
			frames = append(frames, f)
			dis = append(dis, rawDissection(f, s))
			now += 10_000
		}
	}
	return frames, dis
}

// benchFrames runs frames through one Reassembler b.N times in total and
// reports ns and allocations per fragment.
func benchFrames(b *testing.B, frames [][]byte, dis []dissect.Dissection) {
	r := New(DefaultConfig())
	drop := func(Incomplete) {}
	// Warm up: slots, buffers and the map reach their steady size.
	for i := range frames {
		r.Add(&dis[i], frames[i])
	}
	r.Flush(drop)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		j := i % len(frames)
		if j == 0 {
			r.Flush(drop) // restart cleanly: the frames' times repeat
		}
		r.Add(&dis[j], frames[j])
		r.Expire(dis[j].Meta.TimeNs, drop)
	}
	el := time.Since(start)
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N), "ns/frag")
	b.ReportMetric(float64(b.N)/el.Seconds(), "frags/s")
}

// BenchmarkReassemble: 256 datagrams of 4 fragments (≈5.5 KiB), IPv4 and
// IPv6, fragments shuffled within each datagram.
func BenchmarkReassemble(b *testing.B) {
	frames, dis := synthFrames(256, 4)
	benchFrames(b, frames, dis)
}

// BenchmarkReassembleLabA: the fragments of the lab frag capture at A
// (868 fragments of 200 UDP datagrams, 3000-8000 bytes).
func BenchmarkReassembleLabA(b *testing.B) {
	pkts := readCapture(b, filepath.Join(samplesDir(b), "lab", "frag", "A.pcap"))
	var frames [][]byte
	var dis []dissect.Dissection
	for _, p := range pkts {
		if p.frag {
			frames = append(frames, p.data)
			dis = append(dis, p.d)
		}
	}
	benchFrames(b, frames, dis)
}
