package probe

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/testframes"
)

// TestRecorderInsertIDs: the ids a work item created are noted before
// its records, across a chunk boundary; the ops keep their order and
// their work items grow; a clock step that was the last op is still
// the one the next step extends (recorder.tick).
func TestRecorderInsertIDs(t *testing.T) {
	var r recorder
	r.ord = 1 << 32 // work item 1 (recOp.ord)
	for range recOpsChunk - 2 {
		r.Begin(pdu.TypeEvents, 1)
		r.End(pdu.TypeEvents, 1)
	}
	r.Tick(5)        // the previous item's clock step
	start := r.len() // shard.begin
	r.ord = 2 << 32  // work (the next item)
	r.Tick(6)        // extends the step: its item becomes 2
	e := r.Begin(pdu.TypeFlowUpdate, 6)
	e.ID(pdu.IDFlow, 42)
	e.B = append(e.B, 0)
	r.End(pdu.TypeFlowUpdate, 6)
	r.Tick(7) // a clock step last
	r.insertIDs(start, []idSeg{{kind: segFlow, n: 1, lo: 41}})
	want := []struct {
		op  uint8
		ord uint64
	}{{opTick, 2 << 32}, {opIDs, 2 << 32}, {opEnd, 2 << 32}, {opTick, 2 << 32}}
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

	// An item that publishes nothing but ids (a SYN in a known flow): the
	// step it extended is before them, no longer the last op; the next
	// item's step is another op. Before, the next step took the ids' op
	// for its own and moved it, ids and all, to its item (the merge then
	// numbered them after the other workers' of the items in between).
	var q recorder
	q.ord = 1 << 32
	q.Tick(5)
	start = q.len()
	q.ord = 2 << 32
	q.Tick(6) // extends the step into item 2
	q.insertIDs(start, []idSeg{{kind: segFlow, n: 1}})
	q.ord = 3 << 32
	q.Tick(7)
	want = []struct {
		op  uint8
		ord uint64
	}{{opTick, 2 << 32}, {opIDs, 2 << 32}, {opTick, 3 << 32}}
	if q.len() != len(want) {
		t.Fatalf("%d ops, want %d", q.len(), len(want))
	}
	for i, w := range want {
		if op := q.op(i); op.op != w.op || op.ord != w.ord {
			t.Errorf("op %d: op %d item %d, want op %d item %d", i, op.op, op.ord>>32, w.op, w.ord>>32)
		}
	}
}

// TestRenumRewrite: the merge gives the ids of the workers' segments
// dense ones in order, each worker's own (worker 1's flow 1 is not
// worker 0's), writes them in place of the local ones in a record, and
// forgets an ended flow's id the grace after its last update.
func TestRenumRewrite(t *testing.T) {
	rn := newRenum(2, 100, 10)
	rn.assign([]idSeg{{kind: segFlow, w: 0, n: 2}, {kind: segConn, w: 1, n: 1}, {kind: segSession, w: 1, n: 1}, {kind: segFlow, w: 1, n: 1}})
	var src pdu.Enc
	src.Mark = true
	u := pdu.FlowUpdate{FlowID: 1, LastSeenNs: 5, Packets: 3, Bytes: 300, Ended: pdu.EndIdle}
	u.Append(&src)
	for w, want := range []uint64{101, 103} {
		var dst pdu.Enc
		rn.rewrite(w, pdu.TypeFlowUpdate, src.B, src.Marks, &dst, 50)
		var got pdu.FlowUpdate
		got.Decode(&pdu.Dec{B: dst.B})
		if want := (pdu.FlowUpdate{FlowID: want, LastSeenNs: 5, Packets: 3, Bytes: 300, Ended: pdu.EndIdle}); got != want {
			t.Errorf("worker %d's update rewritten %+v, want %+v", w, got, want)
		}
	}
	d2, _ := rn.dense(0, pdu.IDFlow, 2)
	dc, _ := rn.dense(1, pdu.IDConn, 1)
	ds, _ := rn.dense(1, pdu.IDSession, 1)
	if d2 != 102 || dc != 101 || ds != 101 || rn.last() != 103 {
		t.Errorf("dense ids: worker 0's flow 2 %d, worker 1's conn %d and session %d, last %d; want 102, 101, 101, 103", d2, dc, ds, rn.last())
	}
	rn.expire(60) // 50 + grace 10: not yet
	if _, ok := rn.dense(0, pdu.IDFlow, 1); !ok {
		t.Error("the ended flow's id forgotten before the grace passed")
	}
	rn.expire(61)
	_, ok0 := rn.dense(0, pdu.IDFlow, 1)
	_, ok1 := rn.dense(1, pdu.IDFlow, 1)
	_, ok2 := rn.dense(0, pdu.IDFlow, 2)
	if ok0 || ok1 || !ok2 || rn.misses != 0 {
		t.Errorf("after the grace: ended flows kept %v %v, flow 2 kept %v (want false false true), %d misses", ok0, ok1, ok2, rn.misses)
	}
}

// TestIDPagesReused: a page whose ids are all forgotten is reused once
// the ids after it are given, the pages before a long-lived id stay; an
// id forgotten or never given is not found.
func TestIDPagesReused(t *testing.T) {
	var ps idPages
	const n = 3 * idPageIDs
	for id := uint64(1); id <= n; id++ {
		ps.set(id, id+1000)
	}
	for id := uint64(2); id <= 2*idPageIDs; id++ { // id 1 lives on
		ps.forget(id)
	}
	if len(ps.pages) != 3 || ps.pages[1] != nil || len(ps.free) != 1 {
		t.Fatalf("%d pages, the second %v, %d free; want 3, nil, 1", len(ps.pages), ps.pages[1] != nil, len(ps.free))
	}
	ps.forget(1)
	if len(ps.pages) != 1 || ps.first != 2 || len(ps.free) != 2 {
		t.Fatalf("after the long-lived id: %d pages from %d, %d free; want 1 from 2, 2", len(ps.pages), ps.first, len(ps.free))
	}
	ps.set(n+1, 1) // a new page: a free one
	if len(ps.free) != 1 {
		t.Errorf("%d free pages after a new one, want 1", len(ps.free))
	}
	for id, want := range map[uint64]uint64{1: 0, 5: 0, n: n + 1000, n + 1: 1, n + 2: 0, 0: 0} {
		if d, ok := ps.get(id); d != want || ok != (want != 0) {
			t.Errorf("get(%d) = %d, %v; want %d", id, d, ok, want)
		}
	}
}

// TestPrescanKeepsWorkerOrder: ids several workers created at one
// capture ordinal are numbered in order of the ordinals they are counted
// for (idSeg.key), each worker's in the order it gave them even when
// their keys go down (held fragments released by a timer in map order):
// a worker's pages take its ids in order.
func TestPrescanKeepsWorkerOrder(t *testing.T) {
	outs := make([]workOut, 2)
	for i, segs := range [][]idSeg{
		{{kind: segFlow, w: 0, n: 1, lo: 0, key: 5}, {kind: segFlow, w: 0, n: 1, lo: 1, key: 3}},
		{{kind: segFlow, w: 1, n: 1, lo: 0, key: 4}},
	} {
		r := &outs[i].rec
		r.ord = 7 << 32
		r.insertIDs(0, segs)
	}
	rn := newRenum(2, 100, 10)
	rn.prescan(outs, []int{0, 0}, 7)
	a, _ := rn.dense(0, pdu.IDFlow, 1)
	b, _ := rn.dense(0, pdu.IDFlow, 2)
	c, _ := rn.dense(1, pdu.IDFlow, 1)
	if a != 102 || b != 103 || c != 101 || rn.misses != 0 {
		t.Errorf("worker 0's flows 1, 2: %d, %d; worker 1's flow 1: %d; %d misses; want 102, 103, 101, 0", a, b, c, rn.misses)
	}
	var ps idPages
	ps.set(5000, 1)
	if ps.set(1, 2) { // below the pages: refused, not a page per id in between
		t.Error("an id below the pages was set")
	}
}

// TestRenumGraceHolds: ids are forgotten as the run goes (each packet
// merged at once: Tick), and every id the workers' records carry is still
// known when they are merged, with the grace cut to its terms summed once
// (an interval, the rtt timeout, the PDU build time), not doubled and a
// minute more as idGrace gives: DNS, SNMP and NTP requests, some
// unanswered; TCP connections; fragmented datagrams; 1 s intervals, flows
// idle for 1 s ended, requests unanswered after 1 s. (On these captures
// no record names an id after the one that ends it: a grace of 0 passes
// too. The grace is for one-way observations still in an encoder and
// late RTT answers, which they do not have.)
func TestRenumGraceHolds(t *testing.T) {
	for _, path := range []string{"lab/dns-snmp-ntp/A.pcap", "lab/tcp-mix/A.pcap", "lab/frag/A.pcap"} {
		frames, metas := testframes.Frames(t, path)
		cfg := config.Default()
		cfg.IntervalS = 1
		for i := range cfg.Classes {
			cfg.Classes[i].IdleTimeoutS = 1 // flows end, and are forgotten, within the capture
			cfg.Classes[i].RTT.TimeoutS = 1
		}
		w, err := NewWorkers(Identity{Name: "P"}, cfg, []Channel{{Link: nopLink{}, Config: pdu.DefaultSenderConfig()}}, nil, 2)
		if err != nil {
			t.Fatal(err)
		}
		p := w.ws[0]
		w.rn.grace = p.intervalNs + 1e9 + p.obsMaxAgeNs // rtt timeout_s 1
		for i := range frames {
			w.Packet(frames[i], metas[i])
			w.Tick(metas[i].TimeNs) // merged at once: ids forgotten as the run goes
		}
		w.Close()
		if w.rn.misses != 0 || w.rn.forgot == 0 {
			t.Errorf("%s: %d ids not found, %d forgotten; want none, some", path, w.rn.misses, w.rn.forgot)
		}
	}
}
