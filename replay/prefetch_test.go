package replay

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// aheadCaptures are captures to read ahead: a sample (classic pcap, 1.5
// MiB), the same gzip-compressed, a synthetic pcapng, and a synthetic
// pcap whose records range from 40 bytes to more than a read buffer
// (bufSize: read into a buffer of its own), cut inside its last record.
func aheadCaptures(t *testing.T) map[string][]byte {
	ftp := loadSample(t, "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap")
	parts := [][]byte{pcapHeader(le, false, 2, 4, 0, 1)}
	sizes := []int{40, 1500, 20 << 10, 100 << 10, 60, bufSize + 1000, 70, 300 << 10, 9000}
	for i := range 400 {
		n := sizes[i%len(sizes)]
		if i%len(sizes) == 5 && i > 5 {
			n = 600 // one record larger than bufSize only
		}
		parts = append(parts, pcapRecord(le, uint32(i), 0, uint32(n), frame(byte(i), n)))
	}
	cut := cat(parts...)
	cut = cut[:len(cut)-100]
	return map[string][]byte{"pcap": ftp, "gzip": gz(t, ftp), "pcapng": lentNG(), "sizes-cut": cut}
}

// aheadSizes sets the read-ahead's sizes for a test: the defaults, or
// small chunks (many chunk ends, tails longer than the room before a
// chunk, a chunk copied in parts).
func aheadSizes(t *testing.T, small bool) {
	h, c, n, w := prefetchHead, prefetchChunk, prefetchChunks, prefetchWake
	t.Cleanup(func() { prefetchHead, prefetchChunk, prefetchChunks, prefetchWake = h, c, n, w })
	if small {
		prefetchHead, prefetchChunk, prefetchChunks, prefetchWake = 256, 3001, 2, 0
	}
}

// aheadFile opens b from a temporary file (Open: a regular file, read
// ahead) and starts reading it ahead.
func aheadFile(t *testing.T, b []byte) (*File, func()) {
	t.Helper()
	f, err := Open(writeTemp(t, "capture", b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	stop := f.ReadAhead()
	if stop == nil {
		t.Fatal("not read ahead")
	}
	return f, stop
}

type aheadRec struct {
	data []byte
	m    pkt.Meta
	lent bool
	err  string
}

// readRecs reads f to io.EOF: every packet (bytes, metadata, lent or
// not) and error, then the Stats.
func readRecs(t *testing.T, f *File, stopAt int, stop func()) ([]aheadRec, Stats) {
	t.Helper()
	var out []aheadRec
	for i := 0; i < 1e6; i++ {
		if i == stopAt {
			stop()
		}
		var m pkt.Meta
		data, err := f.NextInto(&m)
		if err == io.EOF {
			return out, f.Stats()
		}
		if err != nil {
			out = append(out, aheadRec{err: strings.ReplaceAll(err.Error(), f.Name(), "F")})
			continue
		}
		out = append(out, aheadRec{data: bytes.Clone(data), m: m, lent: f.Lent() != nil})
	}
	t.Fatal("no io.EOF")
	return nil, Stats{}
}

// TestReadAheadSameSequence: read ahead (File.ReadAhead), a capture
// gives the same packets (bytes, metadata, lent or not), the same error
// at the same position and the same Stats as read in the caller's
// goroutine: pcap, gzip, pcapng, records of 40 bytes to more than a read
// buffer, a capture cut inside a record; with the read-ahead's sizes and
// with small chunks; reading ahead to the end or stopped after 100
// packets (the chunks read ahead are taken, then the file is read in the
// caller's goroutine again).
func TestReadAheadSameSequence(t *testing.T) {
	for name, b := range aheadCaptures(t) {
		plain, err := Open(writeTemp(t, "capture", b)) // the same name in errors
		if err != nil {
			t.Fatal(err)
		}
		want, wantStats := readRecs(t, plain, -1, nil)
		plain.Close()
		if len(want) < 100 {
			t.Fatalf("%s: %d packets", name, len(want))
		}
		for _, small := range []bool{false, true} {
			for _, stopAt := range []int{-1, 100} {
				t.Run(fmt.Sprintf("%s/small=%v/stop=%d", name, small, stopAt), func(t *testing.T) {
					aheadSizes(t, small)
					f, stop := aheadFile(t, b)
					got, gotStats := readRecs(t, f, stopAt, stop)
					stop()
					if len(got) != len(want) {
						t.Fatalf("%d items read ahead, %d without", len(got), len(want))
					}
					for i := range want {
						g, w := got[i], want[i]
						if !bytes.Equal(g.data, w.data) || g.m != w.m || g.lent != w.lent || g.err != w.err {
							t.Fatalf("item %d: %d bytes %+v lent %v %q; want %d bytes %+v lent %v %q",
								i, len(g.data), g.m, g.lent, g.err, len(w.data), w.m, w.lent, w.err)
						}
					}
					if gotStats != wantStats {
						t.Errorf("stats %+v, want %+v", gotStats, wantStats)
					}
				})
			}
		}
	}
}

// TestReadAheadLentBlocksStay: read ahead, packets whose block is held
// (Retain, as probe.Workers.PacketLent and the pipeline's batches do)
// keep their bytes while the File and its reading goroutine go on past
// them: every packet held until the end equals its copy.
func TestReadAheadLentBlocksStay(t *testing.T) {
	for name, b := range aheadCaptures(t) {
		for _, small := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/small=%v", name, small), func(t *testing.T) {
				aheadSizes(t, small)
				want, _ := readRecs(t, mustReader(t, b), -1, nil)
				f, stop := aheadFile(t, b)
				defer stop()
				var got [][]byte
				var held []*pkt.Block
				for {
					data, _, err := f.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						got = append(got, nil)
						continue
					}
					if blk := f.Lent(); blk != nil {
						blk.Retain()
						held = append(held, blk)
						got = append(got, data)
					} else {
						got = append(got, bytes.Clone(data))
					}
				}
				if len(got) != len(want) {
					t.Fatalf("%d items, want %d", len(got), len(want))
				}
				for i := range got {
					if !bytes.Equal(got[i], want[i].data) {
						t.Fatalf("packet %d overwritten while its block was held", i+1)
					}
				}
				for _, blk := range held {
					blk.Release()
				}
			})
		}
	}
}

// TestReadAheadClose: a File closed while its goroutine reads ahead (or
// waits for room) ends it, and reads nothing more.
func TestReadAheadClose(t *testing.T) {
	b := aheadCaptures(t)["pcap"]
	f, _ := aheadFile(t, b)
	for range 10 {
		if _, _, err := f.Next(); err != nil {
			t.Fatal(err)
		}
	}
	p := f.br.ahead
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	default:
		t.Fatal("the reading goroutine still runs after Close")
	}
	if _, _, err := f.Next(); err != io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestReadAheadOnlyFiles: a pipe is not read ahead (a stop would wait on
// its read), nor a file of less than a read buffer (read whole at once);
// a regular file and bytes in memory are.
func TestReadAheadOnlyFiles(t *testing.T) {
	b := aheadCaptures(t)["pcap"]
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.Write(b); w.Close() }()
	defer r.Close()
	f, err := NewReader(r, "pipe", 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.ReadAhead() != nil {
		t.Error("a pipe read ahead")
	}
	small := cat(pcapHeader(le, false, 2, 4, 0, 1), pcapRecord(le, 1, 0, 60, frame(1, 60)))
	if stop := mustReader(t, small).ReadAhead(); stop != nil {
		t.Error("a 100-byte capture read ahead")
	}
	if stop := mustReader(t, b).ReadAhead(); stop == nil {
		t.Error("bytes in memory not read ahead")
	} else {
		stop()
	}
}

// TestReadAheadZeroAllocs: reading ahead allocates nothing per packet once
// its blocks exist.
func TestReadAheadZeroAllocs(t *testing.T) {
	parts := [][]byte{pcapHeader(le, false, 2, 4, 0, 1)}
	for i := range 40000 {
		parts = append(parts, pcapRecord(le, uint32(i), 0, 600, frame(byte(i), 60+i%1400)))
	}
	f, stop := aheadFile(t, cat(parts...))
	defer stop()
	for range 10000 { // every block made, the pool's slice grown
		if _, _, err := f.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(20000, func() {
		if _, _, err := f.Next(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%.4f allocations per packet", n)
	}
}

// TestReadAheadReset: a blockReader reset while reading ahead stops its
// goroutine, gives back the chunks read ahead and reads the new reader
// only.
func TestReadAheadReset(t *testing.T) {
	aheadSizes(t, true)
	br := newBlockReader(bytes.NewReader(frame(1, 100000)), bufSize)
	br.startPrefetch()
	if p, err := br.Peek(5000); err != nil || p[4999] != 1+byte(4999%256) {
		t.Fatalf("Peek: %v", err)
	}
	br.Reset(bytes.NewReader(frame(7, 10)))
	if br.ahead != nil {
		t.Fatal("still reading ahead")
	}
	got, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(got, frame(7, 10)) {
		t.Errorf("after Reset: %v %v", got, err)
	}
}

// TestGzipProgressProcessed: a gzip file's Progress says the compressed
// bytes that gave the records read, not those the decompressor read
// ahead (it ran ahead by them: the read buffers, and with ReadAhead up to
// four chunks more). A pcap of 4,000 records of 1,000 random bytes
// (incompressible: compressed and uncompressed offsets in proportion),
// read to its 2,000th record: Progress lies between the compressed
// offset of that record (len(gzip) * offset / len(pcap)) less a block
// (published once per block) and that offset plus 64 KiB (the gzip
// framing of incompressible data: stored blocks' headers).
func TestGzipProgressProcessed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := [][]byte{pcapHeader(le, false, 2, 4, 0, 1)}
	for i := range 4000 {
		b := make([]byte, 1000)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		parts = append(parts, pcapRecord(le, uint32(i), 0, 1000, b))
	}
	plain := cat(parts...)
	z := gz(t, plain)
	for _, ahead := range []bool{false, true} {
		f, err := Open(writeTemp(t, "c.pcap.gz", z))
		if err != nil {
			t.Fatal(err)
		}
		if ahead && f.ReadAhead() == nil {
			t.Fatal("not read ahead")
		}
		for range 2000 {
			if _, _, err := f.Next(); err != nil {
				t.Fatal(err)
			}
		}
		off := int64(len(parts[0]) + 2000*(16+1000))
		want := int64(len(z)) * off / int64(len(plain))
		got, total := f.Progress()
		if total != int64(len(z)) || got > want+64<<10 || got < want-bufSize-64<<10 {
			t.Errorf("read ahead %v: Progress %d/%d after 2000 records of 4000, want %d (+64 KiB, -%d) of %d", ahead, got, total, want, bufSize+64<<10, len(z))
		}
		f.Close()
	}
}
