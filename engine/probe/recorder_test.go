package probe

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestRecorderGivesBackCloseChunks: the chunks an interval close grows (a
// report per active flow) are given back at reset, the first ones kept
// for the next batches, and what is recorded afterwards is replayed whole.
func TestRecorderGivesBackCloseChunks(t *testing.T) {
	var r recorder
	rec := bytes.Repeat([]byte{7}, 100)
	const n = 10 * recOpsChunk // a close: ~4 MB of records
	for i := range n {
		r.ord = uint64(i + 1)
		e := r.Begin(pdu.TypeCounters, 1)
		e.B = append(e.B, rec...)
		r.End(pdu.TypeCounters, 1)
	}
	if r.len() != n || len(r.ops) != 10 || len(r.bufs) < 4 {
		t.Fatalf("recorded %d ops in %d op chunks and %d byte chunks, want %d in 10 and at least 4", r.len(), len(r.ops), len(r.bufs), n)
	}
	r.reset()
	if len(r.ops) != recKeepOps || len(r.bufs) != recKeepBufs || r.len() != 0 {
		t.Fatalf("after reset: %d op chunks, %d byte chunks, %d ops; want %d, %d, 0", len(r.ops), len(r.bufs), r.len(), recKeepOps, recKeepBufs)
	}
	// The kept chunks and new ones take the next batch's records.
	for i := range 3 * recOpsChunk {
		r.ord = uint64(i + 1)
		e := r.Begin(pdu.TypeFlowUpdate, 2)
		e.B = append(e.B, byte(i), byte(i>>8))
		r.End(pdu.TypeFlowUpdate, 2)
	}
	for i := range r.len() {
		op := r.op(i)
		got := r.bufs[op.chunk][op.off:op.end]
		if op.ord != uint64(i+1) || !bytes.Equal(got, []byte{byte(i), byte(i >> 8)}) {
			t.Fatalf("op %d: ord %d, record %v", i, op.ord, got)
		}
	}
}

// TestRecorderKeepsLittle: what a recorder keeps across batches is at
// most 96 KiB (one chunk of 64 KiB of records and one of 1024 ops of 32
// bytes): a Workers run keeps (workerInflight+1) recorders per worker,
// 0.6 MB for two workers where two chunks of 256 KiB and two of 4096
// 40-byte ops kept 5 MB (issue 14: `bench --workers 2` on the 5 M corpus
// published under 32 KiB in 98 % of its batches).
func TestRecorderKeepsLittle(t *testing.T) {
	if n := unsafe.Sizeof(recOp{}); n != 32 {
		t.Errorf("recOp takes %d bytes, want 32", n)
	}
	var r recorder
	for i := range 20_000 { // more than a chunk of each
		r.ord = uint64(i + 1)
		e := r.Begin(pdu.TypeCounters, 1)
		e.B = append(e.B, bytes.Repeat([]byte{1}, 50)...)
		r.End(pdu.TypeCounters, 1)
	}
	r.reset()
	kept := 0
	for _, c := range r.ops {
		kept += cap(c) * int(unsafe.Sizeof(recOp{}))
	}
	for _, c := range r.bufs {
		kept += cap(c)
	}
	if kept > 96<<10 {
		t.Errorf("a recorder keeps %d bytes after reset, want at most %d", kept, 96<<10)
	}
}
