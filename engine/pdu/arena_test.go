package pdu

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestArena: an Arena gives the same values as plain allocation, interns
// short strings and address texts, never rewrites a value it handed out,
// and starts its intern maps over when they are full.
func TestArena(t *testing.T) {
	var a Arena
	s1 := a.String([]byte("ShAdDaFf"))
	s2 := a.String([]byte("ShAdDaFf"))
	if s1 != "ShAdDaFf" || s2 != s1 || unsafeData(s1) != unsafeData(s2) {
		t.Errorf("String: %q %q, want one interned %q", s1, s2, "ShAdDaFf")
	}
	long := make([]byte, ArenaInternLen+1)
	if a.String(long) != string(long) || len(a.strs) != 1 {
		t.Errorf("a string longer than %d was interned", ArenaInternLen)
	}
	for _, s := range []string{"10.1.2.3", "2001:db8::1", "::ffff:10.1.2.3"} {
		addr := netip.MustParseAddr(s)
		if got := a.Addr(addr); got != s || a.Addr(addr) != s {
			t.Errorf("Addr(%s) = %q", s, got)
		}
	}
	if a.Addr(netip.Addr{}) != "" {
		t.Error("Addr of the zero Addr is not empty")
	}
	var fs []*float64
	for i := range 3 * arenaSlab {
		fs = append(fs, a.Float(float64(i)))
	}
	w, m := a.Int16(-1), a.Uint16(1460)
	for i, p := range fs {
		if *p != float64(i) {
			t.Fatalf("Float %d reads %v: a handed-out value was rewritten", i, *p)
		}
	}
	if *w != -1 || *m != 1460 {
		t.Errorf("Int16, Uint16: %d %d", *w, *m)
	}
	for i := range ArenaStringsMax + 10 {
		a.String([]byte(strconv.Itoa(i)))
	}
	if len(a.strs) > ArenaStringsMax {
		t.Errorf("%d strings interned, bound %d", len(a.strs), ArenaStringsMax)
	}
	var nilArena *Arena
	if nilArena.String([]byte("x")) != "x" || *nilArena.Float(1.5) != 1.5 || *nilArena.Int16(-3) != -3 || *nilArena.Uint16(9) != 9 ||
		nilArena.Addr(netip.MustParseAddr("10.0.0.1")) != "10.0.0.1" {
		t.Error("a nil Arena does not give the values")
	}
}

// TestArenaZeroAllocs: once warmed up, strings and addresses seen before
// and nullable values cost no allocation (slabs: one per arenaSlab
// values).
func TestArenaZeroAllocs(t *testing.T) {
	var a Arena
	b := []byte("tcp_handshake")
	addr := netip.MustParseAddr("198.18.0.7")
	run := func() {
		a.String(b)
		a.Addr(addr)
		a.Float(1)
		a.Int16(7)
		a.Uint16(1460)
	}
	run()
	if n := testing.AllocsPerRun(1000, run); n != 0 {
		t.Errorf("%.1f allocations per row's worth of values, want 0", n)
	}
	d := Dec{A: &a}
	var e Enc
	e.String("tcp_handshake")
	e.AddrString("198.18.0.7")
	e.AddrString("fe80::1%eth0") // not an address literal: kept as text
	payload := e.B
	dec := func() {
		d.B = payload
		_, _, _ = d.String(), d.AddrString(), d.AddrString()
	}
	dec()
	if n := testing.AllocsPerRun(1000, dec); n != 0 {
		t.Errorf("%.1f allocations per decode with an Arena, want 0", n)
	}
	d.B = payload
	if s, x, z := d.String(), d.AddrString(), d.AddrString(); s != "tcp_handshake" || x != "198.18.0.7" || z != "fe80::1%eth0" || d.Err() != nil {
		t.Errorf("decoded %q %q %q (%v)", s, x, z, d.Err())
	}
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

// TestArenaAddrRecent: the recent cache in front of the interned
// addresses gives every address its own text, whether it is new, in the
// cache, pushed out of it or past a restart of the intern map: IPv4 and
// the same address mapped into IPv6 (one slot: the same 16 bytes), zones,
// and more addresses than slots and than ArenaAddrsMax.
func TestArenaAddrRecent(t *testing.T) {
	var a Arena
	rng := rand.New(rand.NewPCG(14, 10))
	var addrs []netip.Addr
	for range 3 * arenaRecent {
		b := [4]byte{10, byte(rng.IntN(4)), byte(rng.Uint32()), byte(rng.Uint32())}
		v4 := netip.AddrFrom4(b)
		addrs = append(addrs, v4, netip.AddrFrom16(v4.As16()), netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(rng.Uint32())}).WithZone("eth"+strconv.Itoa(rng.IntN(3))))
	}
	for round := range 3 {
		for range len(addrs) {
			x := addrs[rng.IntN(len(addrs))]
			if got := a.Addr(x); got != x.String() {
				t.Fatalf("round %d: Addr(%v) = %q", round, x, got)
			}
		}
		for i := range ArenaAddrsMax + 10 { // the intern map starts over
			x := netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)})
			if got := a.Addr(x); got != x.String() {
				t.Fatalf("Addr(%v) = %q", x, got)
			}
		}
	}
}

// TestArenaNewTextsAmortised: interning strings and addresses never seen
// before costs no allocation of its own (issue 14: 0.36 allocations per
// 1000 packets of the 5M corpus's steady state were new address texts and
// strings, one each): their bytes come from text slabs, one per at least
// 256 of them, and the maps keep their room when they start over. Long
// zones and strings, past ArenaInternLen, still read right.
func TestArenaNewTextsAmortised(t *testing.T) {
	var a Arena
	for i := range ArenaAddrsMax + 1 { // the address map at its full size, started over
		a.Addr(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	for i := range ArenaStringsMax + 1 {
		a.String([]byte("warm-" + strconv.Itoa(i)))
	}
	const n = 1024 // per measured call; AllocsPerRun calls once more first
	v4, v6, strs := make([]netip.Addr, 2*n), make([]netip.Addr, 2*n), make([][]byte, 2*n)
	for i := range 2 * n {
		v4[i] = netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)})
		v6[i] = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, byte(i >> 8), byte(i)})
		strs[i] = []byte("new-string-" + strconv.Itoa(i) + "-" + strings.Repeat("x", i%48))
	}
	for _, c := range []struct {
		name string
		each func(i int)
	}{
		{"IPv4 addresses", func(i int) { a.Addr(v4[i]) }},
		{"IPv6 addresses", func(i int) { a.Addr(v6[i]) }},
		{"strings", func(i int) { a.String(strs[i]) }},
	} {
		next := 0
		allocs := testing.AllocsPerRun(1, func() {
			for range n {
				c.each(next)
				next++
			}
		}) // each value is new once
		if allocs > n/256 {
			t.Errorf("%s: %v allocations for %d new ones, want at most %d (one text slab per 256)", c.name, allocs, n, n/256)
		}
	}
	for i := range 2 * n {
		if a.Addr(v4[i]) != v4[i].String() || a.Addr(v6[i]) != v6[i].String() || a.String(strs[i]) != string(strs[i]) {
			t.Fatalf("value %d reads wrong after interning", i)
		}
	}
	zoned := netip.MustParseAddr("fe80::1").WithZone(strings.Repeat("z", ArenaInternLen))
	if got := a.Addr(zoned); got != zoned.String() {
		t.Errorf("Addr(long zone) = %q", got)
	}
}
