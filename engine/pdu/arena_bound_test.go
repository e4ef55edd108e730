package pdu

import (
	"net/netip"
	"runtime"
	"strconv"
	"testing"
)

// TestArenaRecentStartsOver: when the address map starts over, so does
// its recent cache: afterwards it holds the one address just interned,
// not the hot addresses of before, whose texts would keep the text slabs
// of the map's past epochs alive (up to arenaRecent slabs of arenaText
// bytes: 64 MiB per Arena with 16 KiB slabs).
func TestArenaRecentStartsOver(t *testing.T) {
	var a Arena
	for i := range ArenaAddrsMax { // the map full, the cache's slots filled
		a.Addr(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))
	}
	filled := 0
	for _, s := range a.recent {
		if s.addr.IsValid() {
			filled++
		}
	}
	if filled < arenaRecent/2 {
		t.Fatalf("%d of %d recent slots filled before the map starts over", filled, arenaRecent)
	}
	x := netip.AddrFrom4([4]byte{172, 16, 0, 1})
	if got := a.Addr(x); got != "172.16.0.1" {
		t.Fatalf("Addr(%v) = %q", x, got)
	}
	if len(a.addrs) != 1 {
		t.Fatalf("%d addresses interned after the map started over, want 1", len(a.addrs))
	}
	for i, s := range a.recent {
		if s.addr.IsValid() && s.addr != x {
			t.Fatalf("recent slot %d still holds %v (%q) from before the map started over", i, s.addr, s.text)
		}
	}
}

// TestArenaMemoryBounded: strings interned now and then among many more
// new addresses (a scan: the address map starts over again and again)
// keep no more than the Arena doc's bound alive: each string's text is in
// a slab of strings, not in one of the addresses' slabs of a past epoch
// (with one text slab for both, each of the 2048 strings kept its own
// slab: 8 MiB of 4 KiB slabs, 32 MiB of 16 KiB ones). Bound: 512 KiB of string texts, 4 MiB of
// address texts, two slabs being filled, and the two maps (65536
// addresses at 40 bytes of key and value each, twice for the map's
// slack: 5 MiB), 10 MiB with margin.
func TestArenaMemoryBounded(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	a := new(Arena)
	n := uint32(0)
	for i := range 2048 {
		a.String([]byte("class-" + strconv.Itoa(i)))
		for range arenaText / 12 { // a slab of address texts (12-15 bytes each) between strings
			n++
			a.Addr(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}))
		}
	}
	after := heap()
	runtime.KeepAlive(a)
	if after > before && after-before > 10<<20 {
		t.Errorf("the Arena keeps %d KiB alive after %d strings and %d addresses, want at most 10 MiB", (after-before)>>10, 2048, n)
	}
	t.Logf("%d KiB kept", (after-before)>>10)
}
