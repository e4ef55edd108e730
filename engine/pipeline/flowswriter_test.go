package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// recordSink keeps a copy of every batch written and every Commit, in
// order; a write holding flows rows sleeps delay first, and the failAt-th
// of them (from 1; 0: none) fails. Writes that overlap are noted.
type recordSink struct {
	delay   time.Duration
	failAt  int
	mu      sync.Mutex
	calls   []any // *observe.Batch or "commit"
	flows   int   // writes holding flows rows
	busy    atomic.Int32
	overlap atomic.Bool
}

var errSinkFull = errors.New("sink full")

func (s *recordSink) Write(b *observe.Batch) error {
	if s.busy.Add(1) != 1 {
		s.overlap.Store(true)
	}
	defer s.busy.Add(-1)
	c := &observe.Batch{}
	c.Append(b)
	s.mu.Lock()
	s.calls = append(s.calls, c)
	n := s.flows
	if len(b.Flows) > 0 {
		s.flows++
		n = s.flows
	}
	s.mu.Unlock()
	if len(b.Flows) > 0 {
		time.Sleep(s.delay)
		if n == s.failAt {
			return errSinkFull
		}
	}
	return nil
}

func (s *recordSink) Commit() error {
	s.mu.Lock()
	s.calls = append(s.calls, "commit")
	s.mu.Unlock()
	return nil
}

// runRecorded replays paths (one probe each) with the collector in its
// own goroutine (Parallel, as replay and bench run) and n probe workers
// into s, the final flows table's chunks written in a goroutine of their
// own or not.
func runRecorded(t *testing.T, s *recordSink, inGoroutine bool, workers int, paths ...string) (*pipeline.Result, error) {
	t.Helper()
	defer pipeline.SetFlowsInGoroutine(inGoroutine)()
	inputs, ids, closeAll := probeInputs(t, nil, paths...)
	defer closeAll()
	cfg := config.Default()
	cfg.IntervalS = 1
	return pipeline.Run(context.Background(), inputs, pipeline.Options{
		Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge, Parallel: true, Workers: workers, Sink: s,
	})
}

// TestFlowsWriterSameWrites: the final flows table's chunks written in a
// goroutine of their own (while the next chunk is built and the
// collectors finish) reach the sink as when written in the run's
// goroutine: the same writes and commits, every table's rows in the same
// order, never two writes at once. Chunks of 100 rows (the final table of
// the captures below: 6 to 15 chunks), a sink slower than the chunks are
// built (2 ms a chunk), one probe and four (the table sorted by probe
// name), with the probe in the reader's goroutine and on two workers.
func TestFlowsWriterSameWrites(t *testing.T) {
	defer pipeline.SetFinalFlowChunk(100)()
	lab := filepath.Join(samplesDir(t), "lab")
	runs := [][]string{
		{filepath.Join(samplesDir(t), "pcap", "ftp-edge", "chrissanders_ppa1e_ftp-crack.pcap")}, // 1425 flows of class all
		{filepath.Join(lab, "dns-snmp-ntp", "A.pcap"), filepath.Join(lab, "dns-snmp-ntp", "B.pcap"), filepath.Join(lab, "dns-snmp-ntp", "RC.pcap"), filepath.Join(lab, "dns-snmp-ntp", "RS.pcap")},
	}
	for _, paths := range runs {
		for _, workers := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/%d/workers=%d", filepath.Base(paths[0]), len(paths), workers), func(t *testing.T) {
				var sinks [2]*recordSink
				for i, inGoroutine := range []bool{false, true} {
					sinks[i] = &recordSink{delay: 2 * time.Millisecond}
					if _, err := runRecorded(t, sinks[i], inGoroutine, workers, paths...); err != nil {
						t.Fatal(err)
					}
					if sinks[i].overlap.Load() {
						t.Errorf("in goroutine %v: two writes at once", inGoroutine)
					}
				}
				want, got := sinks[0], sinks[1]
				if want.flows < 6 {
					t.Fatalf("%d writes with flows rows: want several chunks", want.flows)
				}
				if !reflect.DeepEqual(got.calls, want.calls) {
					t.Errorf("%d sink calls (%d with flows) in a goroutine of their own, %d (%d) in the run's; first difference at %d",
						len(got.calls), got.flows, len(want.calls), want.flows, firstDiff(got.calls, want.calls))
				}
			})
		}
	}
}

// firstDiff returns the index of the first call that differs.
func firstDiff(a, b []any) int {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFlowsWriterError: a sink failing on a chunk of the final flows
// table ends the run with its error, said once, and receives no chunk
// after it, as when the chunks are written in the run's goroutine. The
// last batch is still written, with the flows the failed table left out:
// the same sink calls in both ways, so the chunk built while the failed
// one was written (and the last one, when the one before it fails) is in
// that batch, not lost. Failing at the third chunk of 15 and at the last
// but one.
func TestFlowsWriterError(t *testing.T) {
	defer pipeline.SetFinalFlowChunk(100)()
	path := filepath.Join(samplesDir(t), "pcap", "ftp-edge", "chrissanders_ppa1e_ftp-crack.pcap")
	for _, failAt := range []int{3, 14} {
		t.Run(fmt.Sprint("failAt=", failAt), func(t *testing.T) { flowsWriterError(t, path, failAt) })
	}
}

func flowsWriterError(t *testing.T, path string, failAt int) {
	var sinks [2]*recordSink
	for i, inGoroutine := range []bool{false, true} {
		s := &recordSink{delay: time.Millisecond, failAt: failAt}
		sinks[i] = s
		_, err := runRecorded(t, s, inGoroutine, 0, path)
		if !errors.Is(err, errSinkFull) || strings.Count(err.Error(), errSinkFull.Error()) != 1 {
			t.Errorf("in goroutine %v: error %v, want %q once", inGoroutine, err, errSinkFull)
		}
		chunks := 0 // writes of flows rows alone: the final table's chunks
		for _, c := range s.calls {
			if b, ok := c.(*observe.Batch); ok && len(b.Flows) > 0 && b.Rows() == len(b.Flows) {
				chunks++
			}
		}
		if chunks != failAt {
			t.Errorf("in goroutine %v: %d chunks of the flows table written, want %d (none after the one that failed)", inGoroutine, chunks, failAt)
		}
	}
	want, got := sinks[0], sinks[1]
	if !reflect.DeepEqual(got.calls, want.calls) {
		t.Errorf("%d sink calls (%d flows rows) in a goroutine of their own, %d (%d) in the run's; first difference at %d",
			len(got.calls), flowRows(got.calls), len(want.calls), flowRows(want.calls), firstDiff(got.calls, want.calls))
	}
}

// flowRows counts the flows rows of the batches among calls.
func flowRows(calls []any) int {
	n := 0
	for _, c := range calls {
		if b, ok := c.(*observe.Batch); ok {
			n += len(b.Flows)
		}
	}
	return n
}
