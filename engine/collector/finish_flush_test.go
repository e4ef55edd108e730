package collector

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// ackAfterRows is a fakeTransport that records, for each acknowledgement
// sent after its frame was handled, the pdu_stats rows the sink held then.
type ackAfterRows struct {
	fakeTransport
	sink *recordSink
	rows []int
}

func (f *ackAfterRows) SendAck(ack []byte, to netip.AddrPort) error {
	f.sink.mu.Lock()
	n := len(f.sink.rows.PDUStats)
	f.sink.mu.Unlock()
	f.mu.Lock()
	f.rows = append(f.rows, n)
	f.mu.Unlock()
	return f.fakeTransport.SendAck(ack, to)
}

// TestServerWritesFinishedProbeAtOnce: when a probe's final report
// arrives (its run finished), the server writes at once, not at the next
// WriteEvery (1 h here), and acknowledges the report only after that
// write: a probe process ends once acknowledged, so a query right after
// it sees its rows (the separate-process recipe of docs/processes.md). The other
// frames are acknowledged at once.
func TestServerWritesFinishedProbeAtOnce(t *testing.T) {
	sink := &recordSink{}
	tr := &ackAfterRows{sink: sink, fakeTransport: fakeTransport{frames: [][]byte{
		testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }),
		testFrame(pdu.TypeFlowDef, 2, func(e *pdu.Enc) {
			(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
		}),
		testFrame(pdu.TypeReport, 3, func(e *pdu.Enc) {
			(&pdu.Report{Final: true, Collector: "c", Types: []pdu.TypeCount{{Type: pdu.TypeFlowDef, PDUs: 1, Records: 1, Bytes: 60}}}).Append(e)
		}),
	}}}
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		tr.mu.Lock()
		n := len(tr.rows)
		tr.mu.Unlock()
		if n > 0 {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tr.acks != 2 || len(tr.rows) != 1 || tr.rows[0] == 0 || c.FinishedRuns() != 1 {
		t.Errorf("%d acks at once, pdu_stats rows when each later ack went: %v, %d runs finished; want 2 acks, then the report's after its rows (1 run)",
			tr.acks, tr.rows, c.FinishedRuns())
	}
}

// TestFinishedProbeFlowsAtNextDrain (an audit of issue 13.5): a probe's
// regulation may destroy the final updates of some flows (pdu_overflow),
// so no update ends them. Once the probe's run has finished (its final
// report and every PDU before it arrived), all its flows are final: the
// next Drain writes them, not only the collector's end.
func TestFinishedProbeFlowsAtNextDrain(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	c.Handle(testFrame(pdu.TypeFlowDef, 2, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
		(&pdu.FlowDef{FlowID: 8, Class: "all", Fields: pdu.FieldProtocol, Protocol: 6, FirstSeenNs: 2e8}).Append(e)
	}))
	c.Handle(testFrame(pdu.TypeFlowUpdate, 3, func(e *pdu.Enc) {
		(&pdu.FlowUpdate{FlowID: 7, LastSeenNs: 5e8, Packets: 9, Bytes: 900, Ended: pdu.EndFinal}).Append(e)
	}))
	// Flow 8's final update was destroyed by the probe: PDU 4 never comes;
	// the probe's heartbeat 5 (Sender.Farewell) closes the gap.
	c.Handle(testFrame(pdu.TypeReport, 5, func(e *pdu.Enc) {
		(&pdu.Report{Final: true, Collector: "c", Types: []pdu.TypeCount{{Type: pdu.TypeFlowUpdate, PDUs: 2, Records: 2, Bytes: 120, Destroyed: 1, DestroyedRecords: 1}}}).Append(e)
	}))
	if c.FinishedRuns() != 0 {
		t.Fatal("finished with PDU 4 missing")
	}
	wm := []byte{0, 0, 0, 6} // every id below 6 acknowledged or destroyed
	c.Handle(pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeHeartbeat, ProbeID: 3, BuildTimeNs: 2e9}, wm))
	b := c.Drain()
	var ids []uint64
	for _, f := range b.Flows {
		ids = append(ids, f.FlowID)
	}
	if c.FinishedRuns() != 1 || len(ids) != 2 {
		t.Errorf("%d runs finished, flows written at the drain: %v; want 1 run, flows 7 and 8", c.FinishedRuns(), ids)
	}
}
