package replay

import (
	"bytes"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// lentNG is a synthetic pcapng of 4000 EPBs of 300 bytes each (1.4 MiB,
// three read buffers of bufSize), built with the draft's block layout
// (build_test.go).
func lentNG() []byte {
	parts := [][]byte{ngSHB(le), ngIDB(le, uint16(pkt.LinkEthernet), 0)}
	for i := range 4000 {
		parts = append(parts, ngEPB(le, 0, uint64(i), 300, frame(byte(i), 300)))
	}
	return cat(parts...)
}

// TestLentBlocksStay: a File's packets whose block is held (Retain, as
// probe.Workers.PacketLent does) keep their bytes while the File reads
// on past them, through several blocks: every packet read so, all held
// until the end, equals its copy read by another File. Once released,
// the blocks go back to the File's pool. Captures: ftp-crack (classic
// pcap, 1.5 MiB), the same gzip-compressed, and a synthetic pcapng.
func TestLentBlocksStay(t *testing.T) {
	ftp := loadSample(t, "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap")
	for _, c := range []struct {
		name string
		b    []byte
	}{{"pcap", ftp}, {"gzip", gz(t, ftp)}, {"pcapng", lentNG()}} {
		t.Run(c.name, func(t *testing.T) {
			want, err := readAll(t, mustReader(t, c.b))
			if err != nil {
				t.Fatal(err)
			}
			f := mustReader(t, c.b)
			var _ pkt.Lender = f
			var got [][]byte
			var held []*pkt.Block
			for {
				data, _, err := f.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				blk := f.Lent()
				if blk == nil {
					t.Fatalf("packet %d: Lent nil", len(got)+1)
				}
				if len(held) == 0 || held[len(held)-1] != blk {
					blk.Retain()
					held = append(held, blk)
				}
				got = append(got, data)
			}
			if f.Lent() != nil {
				t.Error("Lent after the end: not nil")
			}
			if len(got) != len(want) {
				t.Fatalf("%d packets, want %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i].data) {
					t.Fatalf("packet %d overwritten while its block was held", i+1)
				}
			}
			if len(held) < 3 {
				t.Fatalf("%d blocks: the capture must span several", len(held))
			}
			wantFree := len(held)
			for _, blk := range held {
				blk.Release()
				if blk == f.br.cur { // the reader's own, still
					wantFree--
				}
			}
			if n := len(f.br.pool.free); n != wantFree {
				t.Errorf("%d blocks back in the pool, want %d", n, wantFree)
			}
		})
	}
}

// TestLentUnheldOneBlock: when nobody holds its packets, a File reads
// every packet into the same block (its unread bytes slide to the start,
// as bufio.Reader does): no block per read buffer's worth.
func TestLentUnheldOneBlock(t *testing.T) {
	f := mustReader(t, loadSample(t, "pcap/ftp-edge/chrissanders_ppa1e_ftp-crack.pcap"))
	seen := map[*pkt.Block]bool{}
	for {
		if _, _, err := f.Next(); err != nil {
			break
		}
		seen[f.Lent()] = true
	}
	if len(seen) != 1 {
		t.Errorf("%d blocks, want 1", len(seen))
	}
}

// TestLentLargeRecord: a record larger than the read buffer (bufSize) is
// read into a buffer of its own, not lent (Lent nil); the next one is.
func TestLentLargeRecord(t *testing.T) {
	b := cat(pcapHeader(le, false, 2, 4, 0, 1),
		pcapRecord(le, 1, 0, 60, frame(1, 60)),
		pcapRecord(le, 2, 0, bufSize+1000, frame(2, bufSize+1000)),
		pcapRecord(le, 3, 0, 60, frame(3, 60)))
	f := mustReader(t, b)
	for i, lent := range []bool{true, false, true} {
		data, _, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if data[0] != byte(i+1) {
			t.Fatalf("packet %d: first byte %d", i+1, data[0])
		}
		if got := f.Lent() != nil; got != lent {
			t.Errorf("packet %d: lent %v, want %v", i+1, got, lent)
		}
	}
}
