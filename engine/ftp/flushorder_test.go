package ftp

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// TestFlushKeys: Flush writes the sessions retired since the last Expire
// in the order they were retired, then the others least recently active
// first, and tells OnFlushSession's function each one's key before its
// rows: the capture ordinal (SetOrdinal) of the packet that retired it,
// then 1<<63 | that of its last packet; the keys run in the order of the
// rows. Sessions A, B and C open at ordinals 1, 2 and 3 (ids 1, 2, 3), A
// sends a command at 4, a new SYN with another ISN on B's 4-tuple at 5
// retires B and opens B' (id 4): rows B, C, A, B', keys 5, then 1<<63 |
// 3, 4 and 5.
func TestFlushKeys(t *testing.T) {
	v := newConv(DefaultConfig())
	open := func(ord uint64, port uint16) {
		v.t.SetOrdinal(ord)
		v.cp, v.seq = port, [2]uint32{1000, 5000}
		v.open()
	}
	open(1, 50000)
	open(2, 50001)
	open(3, 50002)
	v.t.SetOrdinal(4)
	v.cp = 50000
	v.send(0, "PWD\r\n")
	v.t.SetOrdinal(5)
	v.cp = 50001
	d := v.seg(0, 90000, "", dissect.TCPSyn)
	d.TCPFlags = dissect.TCPSyn
	v.t.Control(d)
	var keys []uint64
	v.t.OnFlushSession(func(k uint64) { keys = append(keys, k) })
	v.t.Flush(v.now, v.emitT, v.emitS)
	var ids []uint64
	for _, s := range v.sessions {
		ids = append(ids, s.SessionID)
	}
	if want := []uint64{2, 3, 1, 4}; !slices.Equal(ids, want) {
		t.Errorf("session ids flushed %v, want %v", ids, want)
	}
	if want := []uint64{5, 1<<63 | 3, 1<<63 | 4, 1<<63 | 5}; !slices.Equal(keys, want) {
		t.Errorf("keys %#x, want %#x", keys, want)
	}
}
