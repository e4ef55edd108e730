package replay

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// loadSample reads a sample file into memory.
func loadSample(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Next allocates nothing per packet, for every format: pcap, pcapng (EPB
// with options, several sections), gzip, and through Merge and WithIface.
func TestNextAllocs(t *testing.T) {
	ftp := loadSample(t, "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap")
	sll := loadSample(t, "pcap/linux-sll/gopacket_linux_sll_oversized_addr.pcapng")
	for _, c := range []struct {
		name string
		open func() pkt.Source
	}{
		{"pcap", func() pkt.Source { return mustReader(t, ftp) }},
		{"pcapng", func() pkt.Source { return mustReader(t, sll) }},
		{"gzip", func() pkt.Source { return mustReader(t, gz(t, ftp)) }},
		{"merge", func() pkt.Source {
			return Merge(WithIface(mustReader(t, ftp), 0), WithIface(mustReader(t, sll), 1))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.open()
			for range 10 { // let buffers reach their size
				if _, _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(150, func() {
				if _, _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
		})
	}
}

func mustReader(tb testing.TB, b []byte) *File {
	f, err := NewReader(bytes.NewReader(b), "mem", int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkRead reads captures held in memory; one op is one packet (the
// file is reopened at its end, an allocation amortised over its packets).
//
//	go test ./replay -run '^$' -bench Read -benchmem
func BenchmarkRead(b *testing.B) {
	for _, c := range []struct {
		name, rel string
		gzip      bool
		merged    bool // through Merge with one source, as replay reads one file
	}{
		{"pcap", "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap", false, false},           // 19730 packets, 1.5 MiB
		{"pcapng", "pcap/linux-sll/gopacket_linux_sll_oversized_addr.pcapng", false, false}, // 209 packets
		{"pcap-gzip", "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap", true, false},
		{"pcap-merged", "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap", false, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			data := loadSample(b, c.rel)
			if c.gzip {
				data = gz(b, data)
			}
			open := func() pkt.Source {
				if c.merged {
					return Merge(mustReader(b, data))
				}
				return mustReader(b, data)
			}
			f := open()
			var bytesRead int64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				p, _, err := f.Next()
				if err == io.EOF {
					f = open()
					p, _, err = f.Next()
				}
				if err != nil {
					b.Fatal(err)
				}
				bytesRead += int64(len(p))
			}
			el := time.Since(start)
			b.ReportMetric(float64(el.Nanoseconds())/float64(b.N), "ns/pkt")
			b.ReportMetric(float64(b.N)/el.Seconds(), "pkts/s")
			b.SetBytes(bytesRead / int64(b.N))
		})
	}
}

// BenchmarkReadFile reads a capture file from disk (the page cache, after
// the first run) with Open, as replay and bench do: one op is one whole
// file, ns/pkt per packet. TMONBENCH_BENCH_PCAP names another capture
// (e.g. the 5 M corpus of ../shared/bench).
//
//	go test ./replay -run '^$' -bench ReadFile -benchtime 3x
func BenchmarkReadFile(b *testing.B) {
	path := testsamples.BenchCapture(b)
	var packets uint64
	var sum byte
	var m pkt.Meta
	b.ReportAllocs()
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			data, err := f.NextInto(&m)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if len(data) > 0 {
				sum += data[0]
			}
			packets++
		}
		f.Close()
	}
	testsamples.ReportPerPacket(b, packets)
	benchSink = sum
}

// benchSink keeps the bytes BenchmarkReadFile reads alive.
var benchSink byte

// BenchmarkReplayPath reads a capture file as `tmonbench replay` and
// `bench` read one: Open, an Indexer in front of it (the packet index),
// Merge of that single source, packets taken with NextInto and their
// blocks with Lent. One op is one whole file, ns/pkt per packet.
// TMONBENCH_BENCH_PCAP names another capture. Under valgrind (cachegrind
// instruction counts, -benchtime 1x) it gives the read path's
// instructions per packet.
//
//	go test ./replay -run '^$' -bench ReplayPath -benchtime 3x
func BenchmarkReplayPath(b *testing.B) {
	path := testsamples.BenchCapture(b)
	var packets uint64
	var sum byte
	var m pkt.Meta
	var blocks int
	var last *pkt.Block
	b.ReportAllocs()
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		x := NewIndexer(f, "bench", "if0", path, 1000, 1e9)
		var src pkt.Source = Merge(x)
		into := src.(pkt.MetaSource)
		lender := pkt.Lender(x)
		for {
			data, err := into.NextInto(&m)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if blk := lender.Lent(); blk != last {
				last = blk
				blocks++
			}
			if len(data) > 0 {
				sum += data[0]
			}
			packets++
		}
		f.Close()
	}
	testsamples.ReportPerPacket(b, packets)
	benchSink = sum + byte(blocks)
}

// BenchmarkReadAhead reads a capture file from disk (the page cache after
// the first round) as BenchmarkReadFile does, touching each packet's
// headers (the bytes an IPv4 TCP dissection reads first) and working
// on them (benchWork), in the caller's goroutine ("own") or read ahead
// (File.ReadAhead, "ahead"):
// the two alternate in one process, three rounds. cpu-ns/pkt is the
// process's CPU time (user and system) per packet: the read-ahead's
// hand-off costs its difference to "own" (the cross-core misses on the
// packets' first touch, a channel operation per chunk); ns/pkt is the
// wall time. TMONBENCH_BENCH_PCAP names another capture.
//
//	go test ./replay -run '^$' -bench ReadAhead -benchtime 3x
func BenchmarkReadAhead(b *testing.B) {
	path := testsamples.BenchCapture(b)
	for i := range 6 {
		ahead := i%2 == 1
		name := "own"
		if ahead {
			name = "ahead"
		}
		b.Run(fmt.Sprintf("%s/round=%d", name, i/2+1), func(b *testing.B) {
			var packets uint64
			var sum byte
			var m pkt.Meta
			b.ReportAllocs()
			cpu0 := testenv.ProcessCPU(b)
			for b.Loop() {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if ahead {
					defer f.ReadAhead()()
				}
				for {
					data, err := f.NextInto(&m)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if len(data) >= 38 {
						sum += data[12] ^ data[23] ^ data[30] ^ data[37]
					}
					x := uint64(sum) | 1
					for range benchWork {
						x ^= x << 13
						x ^= x >> 7
						x ^= x << 17
					}
					sum += byte(x)
					packets++
				}
				f.Close()
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(packets)
			b.ReportMetric(ns, "ns/pkt")
			b.ReportMetric(float64(testenv.ProcessCPU(b)-cpu0)/float64(packets), "cpu-ns/pkt")
			benchSink = sum
		})
	}
}

// benchWork is BenchmarkReadAhead's work per packet: rounds of xorshift,
// in registers (400: about 700 ns, a probe's goroutine's time a packet,
// so the reading is not what the consumer waits for, as in bench).
const benchWork = 400
