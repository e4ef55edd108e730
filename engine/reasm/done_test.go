package reasm

import "testing"

// TestLateCopies (done.go): after a datagram is reassembled, a copy of
// one of its fragments (same offset, length, MF and bytes: a capture that
// duplicates packets, a retransmission) is no datagram that never
// completed. Linux keeps nothing once a datagram is reassembled and would
// count the copy in IpReasmFails at its timeout; Wireshark leaves it
// unreassembled; here it is given up with ReasonLateCopies and counted in
// Stats.Duplicates, not in Timeouts. Before, it was an Incomplete with
// ReasonTimeout like any lost datagram. A datagram reusing the
// identification (RFC 791 §3.2) whose last fragment holds the same bytes
// as the previous one's still completes, and a fragment at the same place
// with other bytes that never completes is a failure (ReasonTimeout).
func TestLateCopies(t *testing.T) {
	a, b := seqBody(1600), seqBody(1600)
	b[0] = ^b[0] // the same datagram but its first byte
	first := fragSpec{off: 0, n: 800, mf: true, timeNs: 0}
	last := fragSpec{off: 800, n: 800, timeNs: 1e6}
	r := New(DefaultConfig())
	add(t, r, build4(9, 17, nil, a, first), first)
	if !add(t, r, build4(9, 17, nil, a, last), last).Complete {
		t.Fatal("datagram a not reassembled")
	}
	late := last
	late.timeNs = 2e6
	if res := add(t, r, build4(9, 17, nil, a, late), late); res.Complete || res.Duplicate {
		t.Fatalf("late copy: %+v", res) // told at its timeout only: it may start another datagram
	}
	late.timeNs = 3e6 // a second copy: a duplicate in its context at once
	if res := add(t, r, build4(9, 17, nil, a, late), late); !res.Duplicate {
		t.Fatalf("second late copy: %+v", res)
	}
	inc := collect(r, 31e9, false)
	if len(inc) != 1 || inc[0].Reason != ReasonLateCopies || inc[0].Fragments != 1 || inc[0].Reason.String() != "late_copies" {
		t.Fatalf("incompletes %+v, want one late_copies of 1 fragment", inc)
	}
	if st := r.Stats(); st.Duplicates != 2 || st.Timeouts != 0 || st.Datagrams != 1 || r.Len() != 0 {
		t.Errorf("stats %+v len %d, want 2 duplicates, 0 timeouts, 1 datagram", st, r.Len())
	}

	// Datagram b reuses identification 10 of a, reassembled: its last
	// fragment, the same bytes as a's, comes first; it completes.
	r = New(DefaultConfig())
	add(t, r, build4(10, 17, nil, a, first), first)
	add(t, r, build4(10, 17, nil, a, last), last)
	bl, bf := last, first
	bl.timeNs, bf.timeNs = 5e6, 6e6
	add(t, r, build4(10, 17, nil, b, bl), bl)
	if res := add(t, r, build4(10, 17, nil, b, bf), bf); !res.Complete || res.Datagram[20] != b[0] {
		t.Fatalf("datagram b reusing the identification: %+v", res)
	}
	// A first fragment at a's place with other bytes, never completed.
	other := fragSpec{off: 0, n: 800, mf: true, timeNs: 7e6}
	add(t, r, build4(10, 17, nil, seqBody(800+8), other), other)
	inc = collect(r, 0, true)
	if len(inc) != 1 || inc[0].Reason != ReasonFlush {
		t.Fatalf("incompletes %+v, want one flush: a datagram that never completed", inc)
	}
	if st := r.Stats(); st.Datagrams != 2 || st.Duplicates != 0 || st.Flushed != 1 {
		t.Errorf("stats %+v, want 2 datagrams, 0 duplicates, 1 flushed", st)
	}
}

// TestReassembledKeepNoBuffer: a reassembled context kept for its late
// copies holds its fragments' offsets and hashes, not the datagram: its
// buffer serves the next datagram. Before, every reassembled datagram
// kept its buffer for TimeoutNs, doubling the reassembly memory bound
// (MaxDatagrams reassembled ones of up to MaxDatagramBytes each, on top
// of those in progress).
func TestReassembledKeepNoBuffer(t *testing.T) {
	r := New(DefaultConfig())
	body := seqBody(16000)
	for id := range uint16(50) {
		first := fragSpec{off: 0, n: 8000, mf: true, timeNs: int64(id) * 1e6}
		last := fragSpec{off: 8000, n: 8000, timeNs: int64(id)*1e6 + 1e5}
		add(t, r, build4(id, 17, nil, body, first), first)
		if !add(t, r, build4(id, 17, nil, body, last), last).Complete {
			t.Fatalf("datagram %d not reassembled", id)
		}
	}
	held, kept := 0, 0
	for i := range r.ctxs {
		if r.ctxs[i].done {
			kept++
			held += cap(r.ctxs[i].buf) + cap(r.ctxs[i].hdr)
		}
	}
	if kept != 50 || held != 0 || len(r.spare) != 1 {
		t.Errorf("%d reassembled contexts kept holding %d buffer bytes, %d spare buffers: want 50, 0 and the one buffer that went from datagram to datagram", kept, held, len(r.spare))
	}
}
