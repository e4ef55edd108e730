package pdu

import (
	"encoding/binary"
	"net/netip"
	"unsafe"
)

// Arena holds what decoded rows keep beyond the payload they were read
// from, so that decoding a row allocates nothing once warmed up (issue
// 14): short strings (class names, histories, details) and address texts
// are interned, and the values behind a row's nullable columns (*float64,
// *int16, *uint16) are carved from slabs. A slab is never written twice,
// so a row may keep its pointers as long as it likes; a slab is freed
// once nothing points into it: an interned string keeps its whole text
// slab (4 KiB) alive, a nullable value its whole value slab (4096
// values: 32 KiB of float64).
//
// The intern maps are bounded (they start over when full, the recent
// address cache with the address map), and each map carves its texts
// from slabs of its own, so every text the Arena still holds was written
// since its map last started over: the Arena keeps at most
// ArenaStringsMax*ArenaInternLen bytes of string texts (512 KiB) and
// ArenaAddrsMax*ArenaInternLen of address texts (4 MiB; IPv4 texts take
// 15 bytes at most, IPv6 ones without a zone 39), each plus the slab
// being filled, and one value slab of each type. So memory follows
// ArenaStringsMax and ArenaAddrsMax, not the run, but for the slabs the
// caller's retained rows keep alive: at most one text slab per string
// they hold.
//
// The zero Arena is ready; a nil *Arena allocates each value on its own.
// It is not safe for concurrent use.
type Arena struct {
	strs  map[string]string
	addrs map[netip.Addr]string
	// recent caches the latest address texts in front of addrs, one slot
	// per hash: a hit costs a hash of two words and a compare, where the
	// map hashed the 24-byte Addr and probed (0.73 M lookups for the 5M
	// corpus's flows, tcp connections and rtt samples, 180 instructions
	// each; issue 14).
	recent   *[arenaRecent]addrText
	strSlab  []byte // the text slab the interned strings' bytes are carved from
	addrSlab []byte // the text slab the interned addresses' texts are carved from
	floats   []float64
	int16s   []int16
	uint16s  []uint16
}

const (
	// ArenaStringsMax is the number of strings an Arena interns before it
	// starts over.
	ArenaStringsMax = 1 << 13
	// ArenaAddrsMax is the number of address texts an Arena interns before
	// it starts over (hosts recur over many flows and rows).
	ArenaAddrsMax = 1 << 16
	// ArenaInternLen is the longest string an Arena interns; longer ones
	// are allocated each time.
	ArenaInternLen = 64
	// arenaSlab is the number of values per slab: a tcp_connections row
	// takes up to 4 floats, so a slab serves 1024 rows or more.
	arenaSlab = 4096
	// arenaText is the size in bytes of a text slab: at least
	// arenaText/ArenaInternLen = 64 strings, 270 IPv4 address texts.
	// 16 KiB before: 4 times fewer allocations (TestArenaNewTextsAmortised,
	// 1024 new texts: IPv4 1 and 3, IPv6 2 and 10, strings 3 and 10), but
	// a string a row keeps holds 4 times the bytes alive.
	arenaText = 4 << 10
	// arenaRecent is the number of slots of Arena.recent (a power of 2).
	arenaRecent = 1 << 12
)

// addrText is a slot of Arena.recent.
type addrText struct {
	addr netip.Addr
	text string
}

// String returns b as a string: the interned copy for a short one.
func (a *Arena) String(b []byte) string {
	if a == nil || len(b) > ArenaInternLen {
		return string(b)
	}
	if s, ok := a.strs[string(b)]; ok {
		return s
	}
	if a.strs == nil {
		a.strs = make(map[string]string, 64)
	} else if len(a.strs) >= ArenaStringsMax {
		clear(a.strs)
	}
	s := keep(&a.strSlab, b)
	a.strs[s] = s
	return s
}

// keep returns a copy of b (at most ArenaInternLen bytes) carved from the
// text slab *slab, a new slab when it has no room left (the old one stays
// with the strings into it).
func keep(slab *[]byte, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(*slab)-len(*slab) < len(b) {
		*slab = make([]byte, 0, arenaText)
	}
	n := len(*slab)
	*slab = append(*slab, b...)
	return unsafe.String(&(*slab)[n], len(b))
}

// Addr returns addr.String(), interned; "" for the zero Addr.
func (a *Arena) Addr(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	if a == nil {
		return addr.String()
	}
	b := addr.As16()
	h := (binary.LittleEndian.Uint64(b[:8]) ^ binary.LittleEndian.Uint64(b[8:])) * 0x9e3779b97f4a7c15
	if a.recent == nil {
		a.recent = new([arenaRecent]addrText)
	}
	slot := &a.recent[h>>(64-12)]
	if slot.addr == addr {
		return slot.text
	}
	s := a.internAddr(addr)
	*slot = addrText{addr, s}
	return s
}

// internAddr is Addr past the recent cache.
func (a *Arena) internAddr(addr netip.Addr) string {
	if s, ok := a.addrs[addr]; ok {
		return s
	}
	if a.addrs == nil {
		a.addrs = make(map[netip.Addr]string, 64)
	} else if len(a.addrs) >= ArenaAddrsMax {
		// the recent cache too: its texts would keep the slabs of
		// the map's past epochs alive (up to arenaRecent slabs)
		clear(a.addrs)
		if a.recent != nil {
			clear(a.recent[:])
		}
	}
	var buf [ArenaInternLen]byte
	var s string
	if b := addr.AppendTo(buf[:0]); len(b) <= len(buf) {
		s = keep(&a.addrSlab, b)
	} else {
		s = addr.String() // an IPv6 address with a long zone
	}
	a.addrs[addr] = s
	return s
}

// Float returns a pointer to a float64 holding v.
func (a *Arena) Float(v float64) *float64 {
	if a == nil {
		p := new(float64) // not &v: v would escape on every call
		*p = v
		return p
	}
	return put(&a.floats, v)
}

// Int16 returns a pointer to an int16 holding v.
func (a *Arena) Int16(v int16) *int16 {
	if a == nil {
		p := new(int16) // not &v: v would escape on every call
		*p = v
		return p
	}
	return put(&a.int16s, v)
}

// Uint16 returns a pointer to a uint16 holding v.
func (a *Arena) Uint16(v uint16) *uint16 {
	if a == nil {
		p := new(uint16) // not &v: v would escape on every call
		*p = v
		return p
	}
	return put(&a.uint16s, v)
}

// put stores v in the slab *s, a new slab of arenaSlab values when it is
// full (the old one stays with the pointers into it), and returns its
// address.
func put[T any](s *[]T, v T) *T {
	if len(*s) == cap(*s) {
		*s = make([]T, 0, arenaSlab)
	}
	*s = append(*s, v)
	return &(*s)[len(*s)-1]
}
