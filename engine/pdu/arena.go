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
// once no row points into it. The intern maps are bounded (they start
// over when full), so memory follows ArenaStringsMax and ArenaAddrsMax,
// not the run.
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
	recent  *[arenaRecent]addrText
	text    []byte // the text slab the interned strings' bytes are carved from
	floats  []float64
	int16s  []int16
	uint16s []uint16
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
	// arenaText/ArenaInternLen = 256 strings, 1000 IPv4 address texts.
	arenaText = 16 << 10
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
	s := a.keep(b)
	a.strs[s] = s
	return s
}

// keep returns a copy of b (at most ArenaInternLen bytes) carved from the
// text slab, a new slab when it has no room left (the old one stays with
// the strings into it).
func (a *Arena) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.text)-len(a.text) < len(b) {
		a.text = make([]byte, 0, arenaText)
	}
	n := len(a.text)
	a.text = append(a.text, b...)
	return unsafe.String(&a.text[n], len(b))
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
		clear(a.addrs)
	}
	var buf [ArenaInternLen]byte
	var s string
	if b := addr.AppendTo(buf[:0]); len(b) <= len(buf) {
		s = a.keep(b)
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
