package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// blockSource lends the packets of a replay.File from blocks of its own
// (pkt.Lender), 16 KiB each: a batch of the workers spans many. A block's
// bytes are overwritten with 0xff once its last reference is released, so
// a worker that read a packet after its batch gave the block back would
// dissect garbage, and the rows would differ.
type blockSource struct {
	f        *replay.File
	cur      *pkt.Block
	w        int
	made     int          // blocks made
	shared   int          // blocks still held by the workers when the source moved on
	recycled atomic.Int64 // blocks whose last reference was released (from any goroutine)
}

func (s *blockSource) Next() ([]byte, pkt.Meta, error) {
	data, m, err := s.f.Next()
	if err != nil {
		return data, m, err
	}
	if s.cur == nil || s.w+len(data) > len(s.cur.Data) {
		if s.cur != nil {
			if s.cur.Shared() {
				s.shared++
			}
			s.cur.Release()
		}
		s.cur, s.w = pkt.NewBlock(max(16<<10, len(data)), s.recycle), 0
		s.made++
	}
	p := s.cur.Data[s.w : s.w+len(data)]
	copy(p, data)
	s.w += len(data)
	return p, m, nil
}

func (s *blockSource) recycle(b *pkt.Block) {
	for i := range b.Data {
		b.Data[i] = 0xff
	}
	s.recycled.Add(1)
}

func (s *blockSource) Lent() *pkt.Block { return s.cur }

func (s *blockSource) Close() error {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	return s.f.Close()
}

// TestWorkersLentPackets: probe workers fed by a source that lends its
// packets (pkt.Lender: replay.File) take them without a copy
// (probe.Workers.PacketLent), holding each block until the workers are
// done with its batch: the rows are those of the same captures read
// through a source that does not lend (every packet copied into the
// batches), the blocks were still held by the workers when the source
// moved on to the next one, and every block was given back at the end.
// Captures: the lab's tcp-mix A (1.2 MiB, 70 blocks) alone and the four
// capture points of oneway-udp merged (blocks of four sources in one
// batch); each also through read-aheads, which lend the blocks on
// (TestAheadLends).
func TestWorkersLentPackets(t *testing.T) {
	lab := filepath.Join(samplesDir(t), "lab")
	var merged []string
	for _, p := range []string{"A", "B", "RC", "RS"} {
		merged = append(merged, filepath.Join(lab, "oneway-udp", p+".pcap"))
	}
	for _, c := range []struct {
		paths []string
		ahead bool
	}{{[]string{filepath.Join(lab, "tcp-mix", "A.pcap")}, false}, {merged, false}, {merged, true}} {
		paths := c.paths
		t.Run(fmt.Sprintf("%s/%s/ahead=%v", filepath.Base(filepath.Dir(paths[0])), filepath.Base(paths[0]), c.ahead), func(t *testing.T) {
			want := runLent(t, paths, false, c.ahead)
			var srcs []*blockSource
			got := runLent(t, paths, true, c.ahead, &srcs)
			if got.Packets == 0 || got.Packets != want.Packets || got.ProbeTotals() != want.ProbeTotals() {
				t.Errorf("lent: %+v\ncopied: %+v", got.ProbeTotals(), want.ProbeTotals())
			}
			diffBatches(t, withoutPacking(got.Batch), withoutPacking(want.Batch))
			for i, s := range srcs {
				if s.made < 10 || s.shared == 0 {
					t.Errorf("source %d: %d blocks, %d held by the workers when the source moved on; want several", i, s.made, s.shared)
				}
				if n := s.recycled.Load(); n != int64(s.made) {
					t.Errorf("source %d: %d blocks of %d given back", i, n, s.made)
				}
			}
		})
	}
}

// runLent replays paths on 2 probe workers, through blockSources when
// lend is set (appended to srcs[0], closed before it returns), else
// through a wrapper that lends nothing; with read-aheads when ahead is set.
func runLent(t *testing.T, paths []string, lend, ahead bool, srcs ...*[]*blockSource) *pipeline.Result {
	t.Helper()
	var inputs []pipeline.Input
	var ids []probe.Identity
	var closers []pkt.Source
	for i, p := range paths {
		f, err := replay.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var src pkt.Source = struct{ pkt.Source }{f} // hides Lent
		if lend {
			bs := &blockSource{f: f}
			*srcs[0] = append(*srcs[0], bs)
			src = bs
		}
		closers = append(closers, src)
		inputs = append(inputs, pipeline.Input{Source: src, Probe: i})
		ids = append(ids, probe.Identity{Name: filepath.Base(p), Interfaces: []string{"if0"}})
	}
	cfg := config.Default()
	cfg.IntervalS = 1
	res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{
		Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge, Parallel: true, Workers: 2, ReadAhead: ahead,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range closers {
		c.Close()
	}
	return res
}
