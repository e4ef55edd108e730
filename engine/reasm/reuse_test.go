package reasm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// reuseFrames builds testdata/id-reuse.pcap: two pairs of IPv4 UDP
// datagrams from 192.0.2.1 to 198.51.100.2, the second of each pair
// reusing the first's identification while the first is incomplete
// (RFC 4963 §2), 1480-byte fragments, 0.1 ms apart:
//
//	A id 0x1234, 2992 bytes of 'A', port 40000: A0 A1 (A2 lost)
//	B id 0x1234, 2992 bytes of 'B', port 40000: B0 B1 B2
//	C id 0x2345, 2992 bytes of 'C', port 40001: C0 C2 (C1 lost)
//	D id 0x2345, 2000 bytes of 'D', port 40001: D1 (last, end 2008) D0
//
// It returns the frames and the IP datagrams B and D.
func reuseFrames() (frames []capgen.Frame, b, d []byte) {
	dg := func(sport uint16, id uint16, fill byte, n int) []byte {
		return capgen.UDP{Src: capgen.AP("192.0.2.1:" + itoa(sport)), Dst: capgen.AP("198.51.100.2:5000"), IPID: id, Payload: bytes.Repeat([]byte{fill}, n)}.Frame()
	}
	fa, fb := dg(40000, 0x1234, 'A', 2992), dg(40000, 0x1234, 'B', 2992)
	fc, fd := dg(40001, 0x2345, 'C', 2992), dg(40001, 0x2345, 'D', 2000)
	a, bb := capgen.Fragment4(fa, 1480), capgen.Fragment4(fb, 1480)
	c, dd := capgen.Fragment4(fc, 1480), capgen.Fragment4(fd, 1480)
	for i, p := range [][]byte{a[0], a[1], bb[0], bb[1], bb[2], c[0], c[2], dd[1], dd[0]} {
		frames = append(frames, capgen.Frame{TimeNs: capgen.Ms(float64(i) * 0.1), Data: p})
	}
	return frames, fb[14:], fd[14:]
}

func itoa(n uint16) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestIdentificationReused: an IPv4 fragment that cannot belong to the
// datagram in reassembly with its key (same offset, length and MF as a
// fragment held, other bytes: B0 after A0; or a second last fragment with
// another end: D1 after C2) starts a new datagram, and the one held is
// given up as Incomplete with ReasonReused (id_reused). B and D are
// reassembled with their own bytes, A and C reported, Stats.Reused 2.
//
// Before, B0 and B1 were ignored as duplicates of A0 and A1, and B2
// completed A0 A1 B2: 3000 bytes of which 2952 of A's (RFC 4963's
// mis-association; its UDP checksum fails); D1's end was ignored and D0
// taken for a duplicate of C0: C and D both lost.
//
// Linux (net/ipv4/ip_fragment.c, inet_frag_queue_insert) drops B0 and B1
// as duplicates (same range) and builds the same A0 A1 B2 unless
// ipfrag_max_dist (64) other fragments from 192.0.2.1 came in between
// (ip_frag_too_far); D1, a last fragment with another end, discards C's
// queue (ip_frag_queue: "end != qp->q.len", discard_qp) and is dropped
// with it, then D0 starts a queue that never completes.
//
// tshark 4.0 -r testdata/id-reuse.pcap -o ip.defragment:TRUE -T fields
// -e frame.number -e ip.fragment -e ip.fragment.error -e udp.length:
// frame 5 (B2) completes a datagram of frames 1, 3, 2, 4 and 5, 3000
// bytes, A's bytes first (A0 A1 B2: "41 41 ... 42"), with frames 3 and 4
// flagged as conflicting overlaps (ip.fragment.overlap.conflict,
// ip.fragment.error 3,4); nothing of C or D (frames 6 to 9) is
// reassembled, and nothing flagged.
func TestIdentificationReused(t *testing.T) {
	frames, b, d := reuseFrames()
	pkts := goldenCapture(t, "id-reuse.pcap", frames)
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 2 {
		t.Fatalf("%d datagrams reassembled, want 2 (B and D)", len(done))
	}
	for i, want := range [][]byte{b, d} {
		got := done[i].Datagram
		if len(got) != len(want) || !bytes.Equal(got[20:], want[20:]) || binary.BigEndian.Uint16(got[4:]) != binary.BigEndian.Uint16(want[4:]) {
			t.Errorf("datagram %d: %d bytes, payload from %q, want %d bytes of %q", i, len(got), got[28:29], len(want), want[28:29])
		}
	}
	if done[0].Fragments != 3 || done[0].FirstNs != capgen.Ms(0.2) || done[1].Fragments != 2 || done[1].FirstNs != capgen.Ms(0.7) {
		t.Errorf("B %d fragments from %d, D %d from %d; want 3 from 0.2 ms, 2 from 0.7 ms", done[0].Fragments, done[0].FirstNs, done[1].Fragments, done[1].FirstNs)
	}
	if len(inc) != 2 || inc[0].ID != 0x1234 || inc[0].Reason != ReasonReused || inc[0].Fragments != 2 || inc[0].BytesHave != 2960 ||
		inc[1].ID != 0x2345 || inc[1].Reason != ReasonReused || inc[1].Fragments != 2 || !inc[1].HaveLast || inc[1].TotalBytes != 3000 {
		t.Fatalf("incomplete %+v, want A (2 fragments, 2960 bytes) and C (2, last 3000) id_reused", inc)
	}
	if inc[0].Reason.String() != "id_reused" {
		t.Errorf("reason %q", inc[0].Reason)
	}
	if st := r.Stats(); st.Reused != 2 || st.Duplicates != 0 || st.Overlaps != 0 || st.Datagrams != 2 || st.Timeouts+st.Flushed != 0 {
		t.Errorf("stats %+v: want Reused 2, no duplicates, overlaps, timeouts or flushes", st)
	}
}

// TestCopyIsNoReuse: a copy of a fragment held (same bytes, another TTL)
// is still a duplicate, and so is a copy truncated by the snap length
// (its captured bytes differ from the held ones): neither is taken for
// another datagram.
func TestCopyIsNoReuse(t *testing.T) {
	body := seqBody(64)
	r := New(DefaultConfig())
	s0 := fragSpec{off: 0, n: 32, mf: true}
	f0 := build4(9, 17, nil, body, s0)
	add(t, r, f0, s0)
	cp := bytes.Clone(f0)
	cp[8]-- // TTL: one hop later
	if res := add(t, r, cp, s0); !res.Duplicate {
		t.Errorf("copy: %+v, want a duplicate", res)
	}
	d := rawDissection(f0[:40], s0)
	if res, err := r.Add(&d, f0[:40]); err != nil || !res.Duplicate {
		t.Errorf("truncated copy: %+v %v, want a duplicate", res, err)
	}
	if st := r.Stats(); st.Reused != 0 || st.Duplicates != 2 || r.Len() != 1 {
		t.Errorf("stats %+v len %d: want 2 duplicates, no reuse, 1 context", st, r.Len())
	}
}
