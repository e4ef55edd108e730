package reasm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// add feeds one synthetic fragment.
func add(t *testing.T, r *Reassembler, data []byte, s fragSpec) Result {
	t.Helper()
	d := rawDissection(data, s)
	res, err := r.Add(&d, data)
	if err != nil {
		t.Fatalf("Add(off %d n %d): %v", s.off, s.n, err)
	}
	return res
}

func collect(r *Reassembler, now int64, flush bool) []Incomplete {
	var out []Incomplete
	fn := func(i Incomplete) { out = append(out, i) }
	if flush {
		r.Flush(fn)
	} else {
		r.Expire(now, fn)
	}
	return out
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	bad := []Config{
		{TimeoutNs: 0, MaxDatagrams: 1, MaxDatagramBytes: 65535, MaxFragments: 1},
		{TimeoutNs: 1, MaxDatagrams: 0, MaxDatagramBytes: 65535, MaxFragments: 1},
		{TimeoutNs: 1, MaxDatagrams: 1, MaxDatagramBytes: 575, MaxFragments: 1},
		{TimeoutNs: 1, MaxDatagrams: 1, MaxDatagramBytes: MaxIPv6Bytes + 1, MaxFragments: 1},
		{TimeoutNs: 1, MaxDatagrams: 1, MaxDatagramBytes: 65535, MaxFragments: 8193},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: Validate = %v, want ErrConfig", c, err)
		}
	}
	if got := New(Config{}).Config(); got != DefaultConfig() {
		t.Errorf("New(zero config) uses %+v", got)
	}
	for r, s := range map[Reason]string{ReasonTimeout: "timeout", ReasonEvicted: "evicted",
		ReasonFlush: "flush", ReasonTruncated: "truncated", ReasonOverlap: "overlap",
		ReasonTooManyFragments: "too_many_fragments", ReasonTooLong: "too_long", ReasonNone: "none"} {
		if r.String() != s {
			t.Errorf("Reason(%d) = %q, want %q", r, r.String(), s)
		}
	}
}

// TestIPv4AnyOrder: 4 fragments in reverse order with a duplicate, the
// first one carrying IP options (RFC 791: only the first fragment need).
func TestIPv4AnyOrder(t *testing.T) {
	body := seqBody(3000)
	opts := []byte{1, 1, 1, 0} // NOP NOP NOP EOL
	specs := []fragSpec{
		{off: 0, n: 800, mf: true, timeNs: 400},
		{off: 800, n: 800, mf: true, timeNs: 300},
		{off: 1600, n: 800, mf: true, timeNs: 200},
		{off: 2400, n: 600, mf: false, timeNs: 100},
	}
	r := New(DefaultConfig())
	add(t, r, build4(77, 17, nil, body, specs[3]), specs[3])
	add(t, r, build4(77, 17, nil, body, specs[2]), specs[2])
	dup := specs[2]
	dup.timeNs = 1000 // a duplicate moves neither the times nor the count
	add(t, r, build4(77, 17, nil, body, dup), dup)
	add(t, r, build4(77, 17, nil, body, specs[1]), specs[1])
	res := add(t, r, build4(77, 17, opts, body, specs[0]), specs[0])
	if !res.Complete || res.Fragments != 4 || res.FirstNs != 100 || res.LastNs != 400 || res.ID != 77 {
		t.Fatalf("result %+v", res)
	}
	dg := res.Datagram
	if len(dg) != 24+3000 || !bytes.Equal(dg[24:], body) || !bytes.Equal(dg[20:24], opts) {
		t.Fatalf("datagram %d bytes, payload equal %v", len(dg), bytes.Equal(dg[24:], body))
	}
	if int(dg[0]&0xf) != 6 || binary.BigEndian.Uint16(dg[2:]) != 3024 || dg[6]&0x3f != 0 || dg[7] != 0 || checksum(dg[:24]) != 0 {
		t.Errorf("header %x", dg[:24])
	}
	st := r.Stats()
	if st.Duplicates != 1 || st.Fragments != 5 || st.Datagrams != 1 || st.Overlaps != 0 || r.Len() != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestKeySeparation: the same id on another interface or protocol is
// another datagram (design 3.2; RFC 791 §3.2).
func TestKeySeparation(t *testing.T) {
	body := seqBody(16)
	r := New(DefaultConfig())
	a := fragSpec{off: 0, n: 8, mf: true}
	b := fragSpec{off: 8, n: 8, mf: false, iface: 1}
	add(t, r, build4(5, 17, nil, body, a), a)
	add(t, r, build4(5, 17, nil, body, b), b) // other interface
	c := fragSpec{off: 8, n: 8}
	add(t, r, build4(5, 6, nil, body, c), c) // other protocol
	if r.Len() != 3 {
		t.Fatalf("%d contexts, want 3", r.Len())
	}
	if res := add(t, r, build4(5, 17, nil, body, fragSpec{off: 8, n: 8}), fragSpec{off: 8, n: 8}); !res.Complete {
		t.Fatal("not complete")
	}
}

// TestIPv6ExtensionHeaders: Hop-by-Hop and Destination Options before the
// Fragment header stay in the datagram; the Next Header naming the
// Fragment header is fixed; a long unfragmentable part takes the copy path.
func TestIPv6ExtensionHeaders(t *testing.T) {
	for _, extLen := range []int{8, 96} {
		body := seqBody(2000)
		nhs := []uint8{nhHopByHop, nhDestOpts}
		ext := [][]byte{extHdr(8), extHdr(extLen)}
		r := New(DefaultConfig())
		s1 := fragSpec{off: 1232, n: 768, timeNs: 2}
		s0 := fragSpec{off: 0, n: 1232, mf: true, timeNs: 1}
		add(t, r, build6(9, 17, nhs, ext, body, s1), s1)
		res := add(t, r, build6(9, 17, nhs, ext, body, s0), s0)
		if !res.Complete {
			t.Fatalf("ext %d: not complete", extLen)
		}
		dg := res.Datagram
		unfrag := 40 + 8 + extLen
		if len(dg) != unfrag+2000 || !bytes.Equal(dg[unfrag:], body) {
			t.Fatalf("ext %d: len %d", extLen, len(dg))
		}
		if dg[6] != nhHopByHop || dg[40] != nhDestOpts || dg[48] != 17 ||
			int(binary.BigEndian.Uint16(dg[4:])) != len(dg)-40 {
			t.Errorf("ext %d: header %x", extLen, dg[:unfrag])
		}
		if res.FirstNs != 1 || res.LastNs != 2 || res.Fragments != 2 {
			t.Errorf("ext %d: %+v", extLen, res)
		}
	}
}

// TestIPv6Atomic: offset 0, M=0 (RFC 6946) completes at once.
func TestIPv6Atomic(t *testing.T) {
	body := seqBody(100)
	s := fragSpec{off: 0, n: 100, timeNs: 5}
	r := New(DefaultConfig())
	res := add(t, r, build6(1, 58, nil, nil, body, s), s)
	if !res.Complete || len(res.Datagram) != 140 || res.Datagram[6] != 58 || !bytes.Equal(res.Datagram[40:], body) {
		t.Fatalf("%+v", res)
	}
}

// TestIPv6OverlapDiscards: RFC 5722 — overlapping fragments discard the
// datagram, its later fragments included; reported at expiry.
func TestIPv6OverlapDiscards(t *testing.T) {
	body := seqBody(48)
	r := New(Config{IPv6TimeoutNs: 1000})
	specs := []fragSpec{
		{off: 0, n: 24, mf: true, timeNs: 10},
		{off: 16, n: 16, mf: true, timeNs: 20}, // overlaps 16-23
		{off: 24, n: 24, mf: false, timeNs: 30},
	}
	for _, s := range specs {
		if res := add(t, r, build6(3, 17, nil, nil, body, s), s); res.Complete {
			t.Fatal("overlapping IPv6 datagram completed")
		}
	}
	if inc := collect(r, 1009, false); len(inc) != 0 {
		t.Fatalf("expired early: %+v", inc)
	}
	inc := collect(r, 1010, false)
	if len(inc) != 1 || inc[0].Reason != ReasonOverlap || inc[0].Fragments != 3 || !inc[0].HaveFirst ||
		!inc[0].HaveLast || inc[0].TotalBytes != 48 || inc[0].FirstNs != 10 || inc[0].LastNs != 30 {
		t.Fatalf("%+v", inc)
	}
	if st := r.Stats(); st.Overlaps != 1 || st.Discarded != 1 || st.Timeouts != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestIPv4FirstWins: overlapping data keeps the first bytes received; the
// first MF=0 fragment fixes the end.
func TestIPv4FirstWins(t *testing.T) {
	a := bytes.Repeat([]byte{'a'}, 64)
	b := bytes.Repeat([]byte{'b'}, 64)
	r := New(DefaultConfig())
	s1 := fragSpec{off: 8, n: 16, mf: true}
	add(t, r, build4(1, 17, nil, a, s1), s1) // a at 8-23
	s2 := fragSpec{off: 0, n: 40, mf: true}
	add(t, r, build4(1, 17, nil, b, s2), s2) // b at 0-7 and 24-39 only
	s3 := fragSpec{off: 32, n: 8, mf: false}
	res := add(t, r, build4(1, 17, nil, a, s3), s3) // end 40; 32-39 already b
	if !res.Complete {
		t.Fatal("not complete")
	}
	want := "bbbbbbbbaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"
	if got := string(res.Datagram[20:]); got != want {
		t.Errorf("payload %q, want %q", got, want)
	}
	// End first wins: data beyond a known end is dropped.
	s4 := fragSpec{off: 16, n: 8, mf: false}
	add(t, r, build4(2, 17, nil, a, s4), s4) // end 24
	s5 := fragSpec{off: 0, n: 32, mf: true}
	res = add(t, r, build4(2, 17, nil, b, s5), s5) // 24-31 dropped
	if !res.Complete || string(res.Datagram[20:]) != "bbbbbbbbbbbbbbbbaaaaaaaa" {
		t.Errorf("end-first-wins: %+v %q", res, res.Datagram)
	}
	// Data held beyond the end is trimmed when the last fragment arrives.
	s6 := fragSpec{off: 0, n: 32, mf: true}
	add(t, r, build4(3, 17, nil, b, s6), s6)
	s7 := fragSpec{off: 16, n: 8, mf: false}
	res = add(t, r, build4(3, 17, nil, a, s7), s7)
	if !res.Complete || string(res.Datagram[20:]) != "bbbbbbbbbbbbbbbbbbbbbbbb" ||
		binary.BigEndian.Uint16(res.Datagram[2:]) != 44 {
		t.Errorf("trim: %+v %q", res, res.Datagram)
	}
	if st := r.Stats(); st.Overlaps != 4 {
		t.Errorf("overlaps %d, want 4", st.Overlaps)
	}
}

// TestTruncated: a fragment captured short abandons the datagram.
func TestTruncated(t *testing.T) {
	body := seqBody(400)
	r := New(Config{TimeoutNs: 100})
	s0 := fragSpec{off: 0, n: 200, mf: true, timeNs: 1}
	f0 := build4(8, 17, nil, body, s0)
	d := rawDissection(f0[:120], s0)
	if res, err := r.Add(&d, f0[:120]); err != nil || res.Complete {
		t.Fatalf("%+v %v", res, err)
	}
	s1 := fragSpec{off: 200, n: 200, timeNs: 2}
	if res := add(t, r, build4(8, 17, nil, body, s1), s1); res.Complete {
		t.Fatal("truncated datagram completed")
	}
	inc := collect(r, 101, false)
	if len(inc) != 1 || inc[0].Reason != ReasonTruncated || inc[0].Fragments != 2 || !inc[0].HaveFirst || !inc[0].HaveLast {
		t.Fatalf("%+v", inc)
	}
	if st := r.Stats(); st.Truncated != 1 || st.Timeouts != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestEvictionAndStale: MaxDatagrams evicts the oldest; a fragment after
// the timeout starts a new context even without Expire.
func TestEvictionAndStale(t *testing.T) {
	body := seqBody(16)
	r := New(Config{TimeoutNs: 50, MaxDatagrams: 2})
	for id := uint16(1); id <= 3; id++ {
		s := fragSpec{off: 0, n: 8, mf: true, timeNs: int64(id)}
		add(t, r, build4(id, 17, nil, body, s), s)
	}
	if r.Len() != 2 {
		t.Fatalf("len %d", r.Len())
	}
	s := fragSpec{off: 8, n: 8, timeNs: 60} // id 2 created at 2: stale at 52
	if res := add(t, r, build4(2, 17, nil, body, s), s); res.Complete {
		t.Fatal("stale context completed")
	}
	inc := collect(r, 60, false)
	// Queued: id 1 evicted, id 2 superseded; then Expire: id 3 (created 3).
	if len(inc) != 3 || inc[0].ID != 1 || inc[0].Reason != ReasonEvicted || inc[1].ID != 2 ||
		inc[1].Reason != ReasonTimeout || inc[2].ID != 3 || inc[2].Reason != ReasonTimeout {
		t.Fatalf("%+v", inc)
	}
	inc = collect(r, 0, true)
	if len(inc) != 1 || inc[0].ID != 2 || inc[0].Reason != ReasonFlush || inc[0].HaveFirst || !inc[0].HaveLast {
		t.Fatalf("flush %+v", inc)
	}
	if st := r.Stats(); st.Evictions != 1 || st.Timeouts != 2 || st.Flushed != 1 || r.Len() != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTooManyFragments(t *testing.T) {
	body := seqBody(64)
	r := New(Config{MaxFragments: 4})
	var res Result
	for i := 7; i >= 0; i-- {
		s := fragSpec{off: i * 8, n: 8, mf: i != 7}
		res = add(t, r, build4(4, 17, nil, body, s), s)
	}
	if res.Complete {
		t.Fatal("completed beyond MaxFragments")
	}
	inc := collect(r, 0, true)
	if len(inc) != 1 || inc[0].Reason != ReasonTooManyFragments || inc[0].Fragments != 8 || inc[0].BytesHave != 32 {
		t.Fatalf("%+v", inc)
	}
}

// TestErrors: what Add refuses, and that it is counted.
func TestErrors(t *testing.T) {
	body := seqBody(70000)
	r := New(DefaultConfig())
	try := func(data []byte, want error) {
		t.Helper()
		d := rawDissection(append([]byte{0}, data...), fragSpec{})
		if len(data) > 0 {
			d = rawDissection(data, fragSpec{})
		}
		if _, err := r.Add(&d, data); err != want {
			t.Errorf("Add(%x...) = %v, want %v", data[:min(len(data), 8)], err, want)
		}
	}
	whole := build4(1, 17, nil, body, fragSpec{off: 0, n: 40})
	try(whole, ErrNotFragment)
	try(nil, ErrMalformed)
	try([]byte{0x45, 0, 0}, ErrMalformed)
	bad := build4(1, 17, nil, body, fragSpec{off: 0, n: 40, mf: true})
	bad[0] = 0x44 // IHL 16
	try(bad, ErrMalformed)
	try(build4(1, 17, nil, body, fragSpec{off: 8, n: 0}), ErrMalformed)
	try(build4(1, 17, nil, body, fragSpec{off: 65528, n: 16}), ErrTooLong) // ping of death
	try(build4(1, 17, nil, body, fragSpec{off: 8, n: 4, mf: true}), ErrMalformed)
	try([]byte{0x10, 1, 2, 3}, ErrNotFragment)
	// IPv6: non-last fragment not a multiple of 8 (RFC 8200 §4.5).
	try(build6(1, 17, nil, nil, body, fragSpec{off: 0, n: 12, mf: true}), ErrMalformed)
	try(build6(1, 17, nil, nil, body, fragSpec{off: 65528, n: 16}), ErrTooLong)
	v6 := build6(1, 17, nil, nil, body, fragSpec{off: 0, n: 16, mf: true})
	v6[6] = 17 // UDP, no Fragment header
	try(v6, ErrNotFragment)
	try(v6[:40+4], ErrNotFragment)
	v6 = build6(1, 17, nil, nil, body, fragSpec{off: 0, n: 16, mf: true})
	try(v6[:44], ErrMalformed) // Fragment header cut by the capture
	st := r.Stats()
	// the two oversize fragments abandon their datagrams (zeek#5911): held
	// until their timeout, then reported too_long, not "last not seen"
	if st.Malformed != 7 || st.TooLong != 2 || st.Oversize != 2 || st.Fragments != 0 || r.Len() != 2 {
		t.Errorf("stats %+v len %d", st, r.Len())
	}
	for _, in := range collect(r, 0, true) {
		if in.Reason != ReasonTooLong {
			t.Errorf("oversize datagram reported %v", in.Reason)
		}
	}
	// A dissection pointing past the data.
	d := rawDissection(whole, fragSpec{})
	d.NetOff = uint32(len(whole))
	if _, err := r.Add(&d, whole); err != ErrMalformed {
		t.Errorf("NetOff past data: %v", err)
	}
	if _, err := r.Add(nil, whole); err != ErrMalformed {
		t.Errorf("nil dissection: %v", err)
	}
}

// TestZeroAllocs: once warmed up, Add, Expire and Flush do not allocate.
func TestZeroAllocs(t *testing.T) {
	frames, dis := synthFrames(64, 3)
	r := New(DefaultConfig())
	run := func() {
		for i := range frames {
			r.Add(&dis[i], frames[i])
			r.Expire(dis[i].Meta.TimeNs, func(Incomplete) {})
		}
		r.Flush(func(Incomplete) {})
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Errorf("%v allocations per run of %d fragments, want 0", n, len(frames))
	}
}

// TestNewSlotsAmortised: contexts that keep growing in number (reassembled
// datagrams kept for their timeout, as the 5M corpus's steady state has
// them growing towards MaxDatagrams) take their fragment records and
// cover spans from chunks: 1024 new slots cost 2389 allocations before
// (two each, and the growth), now 10: the chunks' 8 and the growth of the slot slice and
// the maps (amortised doubling, 1024 -> 2048 entries).
func TestNewSlotsAmortised(t *testing.T) {
	const n = 1024 // datagrams per call; AllocsPerRun calls once more first
	frames, dis := synthFrames(2*n, 3)
	cfg := DefaultConfig()
	cfg.MaxDatagrams = 4 * n // every reassembled one is kept
	r := New(cfg)
	next := 0
	allocs := testing.AllocsPerRun(1, func() {
		for range 3 * n {
			r.Add(&dis[next], frames[next])
			next++
		}
	})
	if r.Stats().Datagrams != 2*n {
		t.Fatalf("%d datagrams reassembled, want %d", r.Stats().Datagrams, 2*n)
	}
	if allocs > n/32 {
		t.Errorf("%v allocations for %d new slots, want at most %d", allocs, n, n/32)
	}
}
