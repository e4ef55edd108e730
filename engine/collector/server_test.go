package collector

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// fakeTransport hands its frames to the server, records the acks, and
// then waits for the end.
type fakeTransport struct {
	frames [][]byte
	from   netip.AddrPort // the frames' sender (zero: none)
	mu     sync.Mutex
	acks   int
	late   int
}

func (f *fakeTransport) Serve(ctx context.Context, handle func([]byte, netip.AddrPort) []byte) error {
	for _, fr := range f.frames {
		if ack := handle(fr, f.from); ack != nil {
			f.mu.Lock()
			f.acks++
			f.mu.Unlock()
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeTransport) SendAck([]byte, netip.AddrPort) error {
	f.mu.Lock()
	f.late++
	f.mu.Unlock()
	return nil
}

// recordSink keeps every batch written and counts commits.
type recordSink struct {
	mu      sync.Mutex
	rows    observe.Batch
	commits int
}

func (s *recordSink) Write(b *observe.Batch) error {
	s.mu.Lock()
	s.rows.Append(b)
	s.mu.Unlock()
	return nil
}

func (s *recordSink) Commit() error {
	s.mu.Lock()
	s.commits++
	s.mu.Unlock()
	return nil
}

func (s *recordSink) flows() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows.Flows)
}

// TestServerFlushesWhileServing: a server writes the rows of ended flows
// to its sink within the flush period, before it stops, and everything
// else when it stops; acks go out at once.
func TestServerFlushesWhileServing(t *testing.T) {
	tr := &fakeTransport{frames: [][]byte{
		testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }),
		testFrame(pdu.TypeMetricDef, 2, func(e *pdu.Enc) { (&pdu.MetricDef{ID: 0, Name: "packets"}).Append(e) }),
		testFrame(pdu.TypeFlowDef, 3, func(e *pdu.Enc) {
			(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
			(&pdu.FlowDef{FlowID: 8, Class: "all", Fields: pdu.FieldProtocol, Protocol: 6, FirstSeenNs: 1e8}).Append(e)
		}),
		testFrame(pdu.TypeFlowUpdate, 4, func(e *pdu.Enc) {
			(&pdu.FlowUpdate{FlowID: 7, LastSeenNs: 5e8, Packets: 9, Bytes: 900, Ended: pdu.EndIdle}).Append(e)
			(&pdu.FlowUpdate{FlowID: 8, LastSeenNs: 5e8, Packets: 2, Bytes: 120}).Append(e)
		}),
	}}
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordSink{}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	deadline := time.Now().Add(time.Minute) // bounds a hang
	for sink.flows() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := sink.flows(); n != 1 {
		t.Errorf("%d flows written while serving; want the ended one", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(sink.rows.Flows) != 2 || sink.commits < 2 || tr.acks != 4 || tr.late != 0 {
		t.Errorf("%d flows, %d commits, %d acks (%d late)", len(sink.rows.Flows), sink.commits, tr.acks, tr.late)
	}
	if st := srv.Stats(); st.Receiver.Accepted != 4 || srv.Written() != uint64(sink.rows.Rows()) {
		t.Errorf("stats %+v, written %d of %d", st.Receiver, srv.Written(), sink.rows.Rows())
	}
	// The snapshot (observe.Snapshotter, for --metrics) holds the same.
	sn := srv.Snapshot()
	if !sn.Done || sn.State != "serving" || len(sn.Collectors) != 1 {
		t.Fatalf("snapshot %+v", sn)
	}
	if c := sn.Collectors[0]; c.Collector != "collector" || c.Frames != 4 || c.Accepted != 4 || c.Refused != 0 || c.RowsWritten != uint64(sink.rows.Rows()) {
		t.Errorf("snapshot counters %+v, want 4 frames and PDUs accepted, %d rows written", c, sink.rows.Rows())
	}
}
