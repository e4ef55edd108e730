//go:build linux

package replay

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// BenchmarkMmap is issue 14's question whether a File should read a
// regular file through a read-only mapping (mmap(2)) rather than read(2)
// into its blocks (doc.go, "Why read(2), not mmap"). It alternates, in one
// process, three rounds of:
//
//   - read: the File as replay reads it (Open, NextInto), the kernel
//     copying the page cache into the File's blocks;
//   - mmap: the least a reader over a mapping does: the classic pcap
//     records walked in place (each record's header and first data byte
//     read), MADV_SEQUENTIAL on the mapping, MADV_POPULATE_READ on the
//     512 KiB window ahead of the walk and MADV_DONTNEED two windows
//     behind it (the resident set bounded to about four windows);
//   - mmap-fault: the same without MADV_POPULATE_READ (the page faults,
//     with the kernel's fault-around, map the pages).
//
// ns/pkt is the wall time a packet, cpu-ns/pkt the process's CPU time
// (user and system). The mapped walks skip the File's parsing, so they
// are a lower bound for a mapped File: where they are slower than read,
// mapping is. TMONBENCH_BENCH_PCAP names the capture (a little-endian
// classic pcap; the 5 M corpus of ../shared/bench).
//
//	go test ./replay -run '^$' -bench Mmap -benchtime 1x
func BenchmarkMmap(b *testing.B) {
	path := testsamples.BenchCapture(b)
	modes := []string{"read", "mmap", "mmap-fault"}
	for i := range 3 * len(modes) {
		mode := modes[i%len(modes)]
		b.Run(fmt.Sprintf("%s/round=%d", mode, i/len(modes)+1), func(b *testing.B) {
			var packets uint64
			var sum byte
			cpu0 := testenv.ProcessCPU(b)
			for b.Loop() {
				var n uint64
				var s byte
				if mode == "read" {
					n, s = readFileAll(b, path)
				} else {
					n, s = walkMapped(b, path, mode == "mmap")
				}
				packets += n
				sum += s
			}
			testsamples.ReportPerPacket(b, packets)
			b.ReportMetric(float64(testenv.ProcessCPU(b)-cpu0)/float64(packets), "cpu-ns/pkt")
			benchSink = sum
		})
	}
}

// readFileAll reads path with a File (BenchmarkReadFile's loop): the packets
// and a byte of their data.
func readFileAll(b *testing.B, path string) (packets uint64, sum byte) {
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var m pkt.Meta
	for {
		data, err := f.NextInto(&m)
		if err == io.EOF {
			return packets, sum
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(data) > 0 {
			sum += data[0]
		}
		packets++
	}
}

// mapWindow is the bytes BenchmarkMmap populates ahead and drops behind
// at a time (a File's block, bufSize).
const mapWindow = 512 << 10

// walkMapped walks the classic pcap records of path in a read-only
// mapping (BenchmarkMmap), populating the window ahead when populate.
func walkMapped(b *testing.B, path string, populate bool) (packets uint64, sum byte) {
	fh, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		b.Fatal(err)
	}
	size := int(st.Size())
	if size < pcapHeaderLen {
		b.Skipf("%s: %d bytes, not a classic pcap", path, size)
	}
	d, err := unix.Mmap(int(fh.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(d)
	if magic := binary.LittleEndian.Uint32(d); magic != 0xa1b2c3d4 && magic != 0xa1b23c4d {
		b.Skipf("%s: magic 0x%08x, not a little-endian classic pcap", path, magic)
	}
	if err := unix.Madvise(d, unix.MADV_SEQUENTIAL); err != nil {
		b.Fatal(err)
	}
	window := func(k int) []byte { return d[min(k*mapWindow, size):min((k+1)*mapWindow, size)] }
	ahead := func(k int) {
		if w := window(k); populate && len(w) > 0 {
			if err := unix.Madvise(w, unix.MADV_POPULATE_READ); err != nil {
				b.Fatalf("MADV_POPULATE_READ: %v (Linux 5.14 or later)", err)
			}
		}
	}
	ahead(0)
	ahead(1)
	off, next, dropped := pcapHeaderLen, mapWindow, 0
	for off+pcapRecordLen <= size {
		caplen := int(binary.LittleEndian.Uint32(d[off+8:]))
		end := off + pcapRecordLen + caplen
		if caplen > maxCapLen || end > size {
			b.Fatalf("%s: record at offset %d cut short or malformed", path, off)
		}
		if caplen > 0 {
			sum += d[off+pcapRecordLen]
		}
		packets++
		off = end
		if off >= next {
			k := off / mapWindow
			next = (k + 1) * mapWindow
			ahead(k + 1)
			if lo, hi := dropped*mapWindow, (k-2)*mapWindow; hi > lo {
				if err := unix.Madvise(d[lo:hi], unix.MADV_DONTNEED); err != nil {
					b.Fatal(err)
				}
				dropped = k - 2
			}
		}
	}
	return packets, sum
}
