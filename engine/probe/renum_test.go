package probe

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestRecorderInsertIDs: the ids a work item created are noted before
// its records, across a chunk boundary; the ops keep their order and
// their capture ordinals grow; a clock step that was the last op is still
// the one the next step extends (recorder.tick).
func TestRecorderInsertIDs(t *testing.T) {
	var r recorder
	r.ord = 1
	for range recOpsChunk - 2 {
		r.Begin(pdu.TypeEvents, 1)
		r.End(pdu.TypeEvents, 1)
	}
	r.Tick(5)        // the previous item's clock step
	start := r.len() // shard.begin
	r.ord = 2        // Probe.Packet
	r.Tick(6)        // extends the step: its ordinal becomes 2
	e := r.Begin(pdu.TypeFlowUpdate, 6)
	e.ID(pdu.IDFlow, 42)
	e.B = append(e.B, 0)
	r.End(pdu.TypeFlowUpdate, 6)
	r.Tick(7) // a clock step last
	r.insertIDs(start, []idSeg{{kind: segFlow, n: 1, lo: 41}})
	want := []struct {
		op  uint8
		ord uint64
	}{{opTick, 2}, {opIDs, 2}, {opEnd, 2}, {opTick, 2}}
	if r.len() != recOpsChunk-2+len(want) {
		t.Fatalf("%d ops, want %d", r.len(), recOpsChunk-2+len(want))
	}
	for i, w := range want {
		op := r.op(start - 1 + i)
		if op.op != w.op || op.ord != w.ord {
			t.Errorf("op %d: op %d ord %d, want op %d ord %d", start-1+i, op.op, op.ord, w.op, w.ord)
		}
	}
	if op := r.op(start + 1); op.op != opEnd || op.nmarks != 1 || r.marks[0].Kind != pdu.IDFlow {
		t.Errorf("the record's marks: %d, %v", op.nmarks, r.marks)
	}
	r.Tick(9)
	if last := r.last(); last.op != opTick || last.nowNs != 9 || r.len() != recOpsChunk-2+len(want) {
		t.Errorf("the last step after insertIDs: %+v, %d ops", *last, r.len())
	}
}

// TestRenumRewrite: the merge gives a segment's sparse ids dense ones in
// order, writes them in place of the sparse ones (a shorter varint), and
// forgets an ended flow's id the grace after its last update.
func TestRenumRewrite(t *testing.T) {
	rn := newRenum(100, 1, 10)
	rn.assign([]idSeg{{kind: segFlow, n: 2, lo: 1 << 40}, {kind: segConn, n: 1, lo: 1 << 41}, {kind: segSession, n: 1, lo: 1 << 42}, {kind: segFlow, n: 1, lo: 1<<40 + 7}})
	var src pdu.Enc
	src.Mark = true
	u := pdu.FlowUpdate{FlowID: 1<<40 + 2, LastSeenNs: 5, Packets: 3, Bytes: 300, Ended: pdu.EndIdle}
	u.Append(&src)
	var dst pdu.Enc
	rn.rewrite(pdu.TypeFlowUpdate, src.B, src.Marks, &dst, 50)
	var got pdu.FlowUpdate
	got.Decode(&pdu.Dec{B: dst.B})
	if want := (pdu.FlowUpdate{FlowID: 102, LastSeenNs: 5, Packets: 3, Bytes: 300, Ended: pdu.EndIdle}); got != want {
		t.Errorf("rewritten %+v, want %+v", got, want)
	}
	if d := rn.m[pdu.IDFlow][1<<40+8]; d != 103 || rn.m[pdu.IDConn][1<<41+1] != 101 || rn.m[pdu.IDSession][1<<42+1] != 101 || rn.last() != 103 {
		t.Errorf("dense ids: flow %d conn %d session %d, last %d; want 103, 101, 101, 103", d, rn.m[pdu.IDConn][1<<41+1], rn.m[pdu.IDSession][1<<42+1], rn.last())
	}
	rn.expire(60) // 50 + grace 10: not yet
	if _, ok := rn.m[pdu.IDFlow][1<<40+2]; !ok {
		t.Error("the ended flow's id forgotten before the grace passed")
	}
	rn.expire(61)
	if _, ok := rn.m[pdu.IDFlow][1<<40+2]; ok || len(rn.m[pdu.IDFlow]) != 2 || rn.misses != 0 {
		t.Errorf("after the grace: %d flow ids kept (want 2), ended one kept %v, %d misses", len(rn.m[pdu.IDFlow]), ok, rn.misses)
	}
}
