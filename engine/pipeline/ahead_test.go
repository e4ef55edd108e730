package pipeline

import (
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// script is a pkt.Source returning packets of the given sizes (filled with
// their index), with an error after packet i when errs[i] is set, reusing
// one buffer as a capture file does.
type script struct {
	sizes []int
	errs  map[int]error
	i     int
	buf   []byte
	fail  bool
}

func (s *script) Next() ([]byte, pkt.Meta, error) {
	if err := s.errs[s.i]; err != nil && !s.fail {
		s.fail = true
		if !errors.Is(err, pkt.ErrIdle) {
			s.i = len(s.sizes) // the end after a damaged input
		}
		return nil, pkt.Meta{}, err
	}
	s.fail = false
	if s.i >= len(s.sizes) {
		return nil, pkt.Meta{}, io.EOF
	}
	n := s.sizes[s.i]
	s.buf = slices.Grow(s.buf[:0], n)[:n]
	for j := range s.buf {
		s.buf[j] = byte(s.i)
	}
	s.i++
	return s.buf, pkt.Meta{Frame: uint64(s.i), TimeNs: int64(s.i) * 1000, CapLen: uint32(n)}, nil
}

func (s *script) Close() error { return nil }

// drainAll reads src to io.EOF (at most limit calls), recording what came.
func drainAll(t *testing.T, src pkt.Source, limit int) (got []string) {
	t.Helper()
	for range limit {
		data, m, err := src.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			got = append(got, "err "+err.Error())
			continue
		}
		got = append(got, string(data)+"|"+string(rune(m.Frame))+"|"+string(rune(m.TimeNs/1000)))
	}
	t.Fatal("no io.EOF")
	return nil
}

// TestAheadSameSequence: read ahead, a source gives the same packets
// (bytes and metadata), in the same order, with its errors at the same
// positions (pkt.ErrIdle passed on and reading going on after it, a
// damaged input's error then io.EOF), across batch boundaries by count and
// by bytes, with packets larger than a batch.
func TestAheadSameSequence(t *testing.T) {
	sizes := make([]int, 5000)
	for i := range sizes {
		sizes[i] = 1 + (i*7919)%1600
	}
	sizes[1500], sizes[1501], sizes[3000] = 300<<10, 2<<20, 0
	for name, errs := range map[string]map[int]error{
		"clean":   nil,
		"idle":    {10: pkt.ErrIdle, 1024: pkt.ErrIdle, 1025: pkt.ErrIdle, 4999: pkt.ErrIdle},
		"damaged": {2048: pkt.ErrTruncated},
		"empty":   {0: pkt.ErrMalformed},
	} {
		want := drainAll(t, &script{sizes: sizes, errs: errs}, 1e5)
		a := newAhead(&script{sizes: sizes, errs: errs})
		got := drainAll(t, a, 1e5)
		a.stop()
		if len(got) != len(want) {
			t.Fatalf("%s: %d items read ahead, %d directly", name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: item %d differs (%.40q vs %.40q)", name, i, got[i], want[i])
			}
		}
	}
}

// TestAheadStopEarly: a consumer that stops before the end (an error, a
// cancelled run) ends the reading goroutine, which was blocked on full
// batches.
func TestAheadStopEarly(t *testing.T) {
	sizes := make([]int, 100000)
	for i := range sizes {
		sizes[i] = 100
	}
	src := &script{sizes: sizes}
	a := newAhead(src)
	for range 10 {
		if _, _, err := a.Next(); err != nil {
			t.Fatal(err)
		}
	}
	a.stop()
	a.stop() // twice is fine
	if src.i >= len(sizes) {
		t.Errorf("read everything (%d) before stopping", src.i)
	}
}

// TestAheadZeroAllocs: reading ahead allocates nothing per packet once its
// batches exist.
func TestAheadZeroAllocs(t *testing.T) {
	sizes := make([]int, 200000)
	for i := range sizes {
		sizes[i] = 60 + i%1400
	}
	a := newAhead(&script{sizes: sizes, buf: make([]byte, 0, 2048)})
	defer a.stop()
	for range 5000 { // warm up
		a.Next()
	}
	if n := testing.AllocsPerRun(50000, func() { a.Next() }); n != 0 {
		t.Errorf("%.3f allocations per packet", n)
	}
}

// lendScript is a script lending its packets (pkt.Lender) from 4 KiB
// blocks of its own, overwritten with 0xff once their last reference is
// released: a packet read after its batch gave its block back shows it.
type lendScript struct {
	script
	cur                     *pkt.Block
	w                       int
	made, recycled, maxLive atomic.Int64
	// sparse: each packet in a 64 KiB block of its own, as a replay.File
	// lends the packets a filter passes one in a block
	sparse bool
}

func (s *lendScript) Next() ([]byte, pkt.Meta, error) {
	data, m, err := s.script.Next()
	if err != nil {
		return data, m, err
	}
	if s.cur == nil || s.sparse || s.w+len(data) > len(s.cur.Data) {
		if s.cur != nil {
			s.cur.Release()
		}
		size := max(4096, len(data))
		if s.sparse {
			size = 64 << 10
		}
		s.cur, s.w = pkt.NewBlock(size, s.recycle), 0
		if live := s.made.Add(1) - s.recycled.Load(); live > s.maxLive.Load() {
			s.maxLive.Store(live)
		}
	}
	p := s.cur.Data[s.w : s.w+len(data)]
	copy(p, data)
	s.w += len(data)
	return p, m, nil
}

func (s *lendScript) recycle(b *pkt.Block) {
	for i := range b.Data {
		b.Data[i] = 0xff
	}
	s.recycled.Add(1)
}

func (s *lendScript) Lent() *pkt.Block { return s.cur }

// TestAheadLends: reading ahead a source that lends its packets
// (pkt.Lender) hands them over in the source's blocks, not copied: every
// packet comes with its block (ahead.Lent), intact (the blocks of
// consumed batches are scribbled over), and every block is given back.
func TestAheadLends(t *testing.T) {
	sizes := make([]int, 20000)
	for i := range sizes {
		sizes[i] = 60 + i%1400
	}
	src := &lendScript{script: script{sizes: sizes}}
	a := newAhead(src)
	for i := range sizes {
		data, _, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != sizes[i] || data[0] != byte(i) || data[len(data)-1] != byte(i) {
			t.Fatalf("packet %d: %d bytes, first %#x, want %d of %#x", i, len(data), data[0], sizes[i], byte(i))
		}
		if a.Lent() == nil {
			t.Fatalf("packet %d: copied, not lent", i)
		}
	}
	if _, _, err := a.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	a.stop()
	src.cur.Release()
	if made, rec := src.made.Load(), src.recycled.Load(); made < 100 || rec != made {
		t.Errorf("%d blocks given back of %d", rec, made)
	}
}

// TestAheadBoundsBlocksHeld: packets lent one a block are copied once a
// batch holds aheadBlockBytes of blocks, so the blocks held stay bounded
// whatever the packets per block: at most aheadBatches batches of
// aheadBlockBytes/64 KiB blocks (a review: a batch held a 512 KiB block
// for each of its 1024 packets, a whole 227 MB capture in memory).
func TestAheadBoundsBlocksHeld(t *testing.T) {
	sizes := make([]int, 5000)
	for i := range sizes {
		sizes[i] = 100
	}
	src := &lendScript{script: script{sizes: sizes}, sparse: true}
	a := newAhead(src)
	for i := range sizes {
		data, _, err := a.Next()
		if err != nil || len(data) != 100 || data[0] != byte(i) {
			t.Fatalf("packet %d: %d bytes, %v", i, len(data), err)
		}
	}
	a.stop()
	bound := int64(aheadBatches*(4*aheadBytes/(64<<10)+1) + 1) // 261
	if m := src.maxLive.Load(); m > bound {
		t.Errorf("%d blocks held at once, want at most %d", m, bound)
	}
}
