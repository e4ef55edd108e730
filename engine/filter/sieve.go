package filter

import (
	"fmt"
	"math/bits"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// Sieve is the single-pass flow-class sieve of design 3.4: the filters of
// all classes compiled into one structure that visits the header fields one
// after the other and, at each field, drops every candidate whose predicate
// on that field failed.
//
// Each class filter is normalised to the design's three-level form
// [NOT] (S1 AND S2 ...), Si = (t1 OR t2 ...), tj = (p1 AND p2 ...) where the
// p are literals on single fields (negations pushed down to them). The
// terms tj of all classes are the bits of one "alive" bitset. For every
// field the compiler cuts the field's value range at the bounds of all the
// predicates on it; each segment carries a precomputed mask of the terms
// some predicate kills there. Matching a packet then costs, per field, one
// table index or trie walk (binary search for IPv6 addresses) and one
// AND-NOT over the bitset, whatever the number of predicates on the field;
// fields no alive term tests are skipped and the walk stops as soon as no
// term is alive. Source and destination (addresses, ports) are one field
// pair looked up in the same table, so `host a` or `port 80` is one
// predicate. A class matches when each of its Si keeps a term alive (or,
// for a class compiled as NOT (...), when one loses them all).
//
// Filters whose normal form would exceed an internal size bound (hostile or
// machine-made expressions; never the filters people write), and filters
// with relations on packet bytes (`tcp[13] & 2 != 0`, no field of the
// sieve), are evaluated by walking their formula instead, each predicate
// still evaluated at most once per packet.
//
// A Sieve is not safe for concurrent use (Match keeps scratch state); give
// each worker its own with Clone.
type Sieve struct {
	*plan
	alive4 mask4    // scratch: alive terms (sieves of at most 256 terms)
	alive  []uint64 // scratch: w words (larger sieves)
	memo   []uint8  // scratch for slow classes: 0 unknown, 1 false, 2 true, per atom
}

// mask4 is a kill mask of a sieve of at most 256 terms.
type mask4 [4]uint64

// plan is the immutable part of a Sieve, shared by clones.
type plan struct {
	n         int      // number of classes
	w         int      // words in a term bitset
	allTerms  []uint64 // every term alive (w words)
	allTerms4 mask4    // the same when w <= 4
	fields    []fieldPlan
	pool      []uint64 // kill masks, w words each; mask i at [i*w, i*w+w)
	pool4     []mask4  // the same masks when w <= 4
	fields1   []field1 // w == 1: the field plans with their kill masks inline
	ports     *field1  // the one field of a sieve testing ports only (w == 1, no slow class), else nil
	termClass []uint16 // class of each term
	termDisj  []uint32 // disjunction (Si) of each term, numbered globally
	nDisj     []uint16 // Si per class (fast classes)
	constTrue Set      // classes that match every packet
	negMask   Set      // fast classes compiled as NOT (...)
	base      Set      // constTrue | negMask: Match's starting point
	slow      []slowClass
	slowAtoms []int // atoms used by slow classes
	atoms     []atomDef
	nTerms    int
	nSegments int
}

// Kinds of field plans.
const (
	kTable  = iota // single field, direct table
	kSearch        // single field, trie or binary search
	kPair          // pair field with 64-bit keys
	kPair6         // pair field with 128-bit keys (IPv6 addresses)
)

// fieldPlan is the compiled test of one field. The field's value range is
// cut into segments at the bounds of every predicate on it; each segment
// has precomputed kill masks (indices into plan.pool). For a pair field the
// source and destination values are looked up in the same segments and the
// kill mask is ks[src] | kd[dst] | (ke[src] & ke[dst]): ks/kd hold
// predicates decided by one side, ke those false only if false on both
// sides (`host a` is false when neither address is a).
type fieldPlan struct {
	// Hot members first: what match4 reads for every field.
	terms4 mask4    // terms with a literal on this field (w <= 4)
	f      field    // the field
	kind   uint8    // kTable, kSearch, kPair, kPair6
	absent uint32   // kill mask when the packet lacks the field
	trie   *trie    // kSearch, kPair: segment lookup for large bounds
	table  []uint32 // kTable: key -> kill mask
	ks     []uint32 // per segment: kill mask (kSearch), or source-side mask (pairs)
	kd     []uint32 // pairs: destination-side mask per segment
	ke     []uint32 // pairs: both-sides mask per segment

	terms   []uint64 // w words: terms with a literal on this field
	bounds  []uint64 // kSearch, kPair: segment starts, bounds[0] == 0
	bounds6 []u128   // kPair6: segment starts
}

// seg returns the segment of a 64-bit key.
func (fp *fieldPlan) seg(k uint64) int {
	if fp.trie != nil {
		return fp.trie.find(k)
	}
	return search64(fp.bounds, k)
}

// field1 is a fieldPlan of a sieve of at most 64 terms (w == 1) with its
// kill masks held in place of their pool indices: the walk loads a mask
// where fieldPlan loads an index and then the mask (issue 14).
type field1 struct {
	terms  uint64 // terms with a literal on this field
	absent uint64 // kill mask when the packet lacks the field
	f      field
	kind   uint8    // kTable, kSearch, kPair, kPair6
	trie   *trie    // kSearch, kPair: segment lookup for large bounds
	table  []uint64 // kTable: key -> kill mask
	segs   []seg1   // per segment: kill masks (kSearch: s only)
	bounds []uint64 // kSearch, kPair: segment starts, bounds[0] == 0

	bounds6 []u128 // kPair6: segment starts
}

// seg1 holds a segment's kill masks in a one-word sieve: s the source side
// (or the single field's), d the destination side, e the both-sides mask
// (see fieldPlan).
type seg1 struct{ s, d, e uint64 }

// seg returns the segment of a 64-bit key.
func (fp *field1) seg(k uint64) int {
	if fp.trie != nil {
		return fp.trie.find(k)
	}
	return search64(fp.bounds, k)
}

// pairKill returns the kill mask of a kPair field for the packet's source
// and destination keys: the source side of src's segment, the destination
// side of dst's, and the both-sides mask where both segments have it.
func (fp *field1) pairKill(src, dst uint64) uint64 {
	var x, y int
	if fp.trie != nil {
		x, y = fp.trie.find(src), fp.trie.find(dst)
	} else {
		x, y = search64(fp.bounds, src), search64(fp.bounds, dst)
	}
	sx, sy := &fp.segs[x], &fp.segs[y]
	return sx.s | sy.d | sx.e&sy.e
}

// pairSegs returns the segments of a pair's source and destination keys
// (kPair: 64-bit keys, kPair6: 128-bit).
func (fp *fieldPlan) pairSegs(src, dst u128) (x, y int) {
	if fp.kind == kPair {
		return fp.seg(src.lo), fp.seg(dst.lo)
	}
	return search128(fp.bounds6, src), search128(fp.bounds6, dst)
}

// slowClass is a class evaluated by walking its formula.
type slowClass struct {
	class int
	f     *fnode
}

// Compile parses the filters (one per class; class i is filters[i]) and
// compiles them into one Sieve. An empty filter matches every packet. Errors
// are *CompileError values naming the class index, wrapping the
// *SyntaxError with its offset; more than MaxClasses filters give an error
// wrapping ErrTooManyClasses.
func Compile(filters []string) (*Sieve, error) {
	if len(filters) > MaxClasses {
		return nil, fmt.Errorf("%w: %d filters, at most %d", ErrTooManyClasses, len(filters), MaxClasses)
	}
	exprs := make([]Expr, len(filters))
	for i, f := range filters {
		e, err := Parse(f)
		if err != nil {
			return nil, &CompileError{Class: i, Err: err}
		}
		exprs[i] = e
	}
	return CompileExprs(exprs)
}

// CompileExprs is Compile for expressions already parsed; class i is
// exprs[i]. Its only error wraps ErrTooManyClasses.
func CompileExprs(exprs []Expr) (*Sieve, error) {
	if len(exprs) > MaxClasses {
		return nil, fmt.Errorf("%w: %d filters, at most %d", ErrTooManyClasses, len(exprs), MaxClasses)
	}
	c := compiler{plan: &plan{n: len(exprs), nDisj: make([]uint16, len(exprs))}}
	c.tab = &c.lw.atoms
	for i, e := range exprs {
		c.class(i, e)
	}
	c.finish()
	return (&Sieve{plan: c.plan}).Clone(), nil
}

// Clone returns a Sieve sharing s's compiled tables with its own scratch
// space, for use by another goroutine.
func (s *Sieve) Clone() *Sieve {
	return &Sieve{plan: s.plan, alive: make([]uint64, s.w), memo: make([]uint8, len(s.atoms))}
}

// Len returns the number of classes.
func (s *Sieve) Len() int { return s.n }

// Stats describes the compiled sieve: terms (bits of the alive set), fields
// tested, value segments over all fields, and classes evaluated by formula
// walk instead of the sieve.
func (s *Sieve) Stats() (terms, fields, segments, slow int) {
	return s.nTerms, len(s.fields), s.nSegments, len(s.slow)
}

// Match sets out to the classes d belongs to (out is overwritten). It
// allocates nothing.
func (s *Sieve) Match(d *dissect.Dissection, out *Set) {
	// Classes compiled as NOT (...) match unless collect finds their form
	// true: start from them and the constant classes, and toggle.
	if fp := s.ports; fp != nil {
		// Classes on ports only (`tcp port 21`, `udp port 53 or tcp port
		// 53`: the default config's): match1's walk without its loop
		// and kind switch (issue 14: ~60 instructions a packet).
		*out = s.base
		kill := fp.absent
		if src, dst, ok := portKeys(d); ok {
			kill = fp.pairKill(src, dst)
		}
		if a := s.allTerms4[0] &^ kill; a != 0 {
			s.alive4[0] = a
			s.collect(s.alive4[:1], out)
		}
		return
	}
	*out = s.base
	if s.nTerms > 0 {
		if s.w == 1 {
			// Most packets leave no term alive: collect is skipped then.
			if a := s.match1(d); a != 0 {
				s.alive4[0] = a
				s.collect(s.alive4[:1], out)
			}
		} else if s.w <= 4 {
			s.match4(d)
			s.collect(s.alive4[:s.w], out)
		} else {
			s.collect(s.matchN(d), out)
		}
	}
	if len(s.slow) > 0 {
		s.matchSlow(d, out)
	}
}

// match4 is the field walk for sieves of at most 256 terms, with the alive
// set in four registers.
func (s *Sieve) match4(d *dissect.Dissection) {
	a0, a1, a2, a3 := s.allTerms4[0], s.allTerms4[1], s.allTerms4[2], s.allTerms4[3]
	pool := s.pool4
	for i := range s.fields {
		fp := &s.fields[i]
		t := &fp.terms4
		if t[0]&a0|t[1]&a1|t[2]&a2|t[3]&a3 == 0 {
			continue
		}
		var k0, k1, k2, k3 uint64
		switch fp.kind {
		case kTable, kSearch:
			var m *mask4
			if k, ok := key(fp.f, d); !ok {
				m = &pool[fp.absent]
			} else if fp.kind == kTable {
				m = &pool[fp.table[k]]
			} else {
				m = &pool[fp.ks[fp.seg(k)]]
			}
			k0, k1, k2, k3 = m[0], m[1], m[2], m[3]
		default:
			src, dst, ok := pairKeys(fp.f, d)
			if !ok {
				m := &pool[fp.absent]
				k0, k1, k2, k3 = m[0], m[1], m[2], m[3]
				break
			}
			x, y := fp.pairSegs(src, dst)
			ks, kd, ka, kb := &pool[fp.ks[x]], &pool[fp.kd[y]], &pool[fp.ke[x]], &pool[fp.ke[y]]
			k0 = ks[0] | kd[0] | ka[0]&kb[0]
			k1 = ks[1] | kd[1] | ka[1]&kb[1]
			k2 = ks[2] | kd[2] | ka[2]&kb[2]
			k3 = ks[3] | kd[3] | ka[3]&kb[3]
		}
		a0, a1, a2, a3 = a0&^k0, a1&^k1, a2&^k2, a3&^k3
		if a0|a1|a2|a3 == 0 {
			break
		}
	}
	s.alive4 = mask4{a0, a1, a2, a3}
}

// match1 is match4 for sieves of at most 64 terms (the classes people
// write: the default config's five are 6 terms), with the alive set in one
// register and the one-word kill masks held in the field plans
// (s.fields1; issue 14: ~100 instructions a packet less than match4's
// four words, and ~40 less than masks behind pool indices). It returns
// the alive terms.
func (s *Sieve) match1(d *dissect.Dissection) uint64 {
	a := s.allTerms4[0]
	for i := range s.fields1 {
		fp := &s.fields1[i]
		if fp.terms&a == 0 {
			continue
		}
		kill := fp.absent
		switch fp.kind {
		case kTable:
			if k, ok := key(fp.f, d); ok {
				kill = fp.table[k]
			}
		case kSearch:
			if k, ok := key(fp.f, d); ok {
				kill = fp.segs[fp.seg(k)].s
			}
		case kPair:
			// pairKeys unfolded for the port pair (every class with
			// ports): it is not inlined.
			var src, dst uint64
			var ok bool
			if fp.f == fPort {
				src, dst, ok = portKeys(d)
			} else {
				var s, t u128
				s, t, ok = pairKeys(fp.f, d)
				src, dst = s.lo, t.lo
			}
			if ok {
				kill = fp.pairKill(src, dst)
			}
		default:
			if src, dst, ok := pairKeys(fp.f, d); ok {
				sx, sy := &fp.segs[search128(fp.bounds6, src)], &fp.segs[search128(fp.bounds6, dst)]
				kill = sx.s | sy.d | sx.e&sy.e
			}
		}
		if a &^= kill; a == 0 {
			break
		}
	}
	return a
}

// matchN is the field walk for larger sieves (w > 4 words).
func (s *Sieve) matchN(d *dissect.Dissection) []uint64 {
	alive := s.alive[:s.w]
	copy(alive, s.allTerms)
	w := len(alive)
	mask := func(i uint32) []uint64 { return s.pool[int(i)*w : int(i)*w+w] }
	for i := range s.fields {
		fp := &s.fields[i]
		need := uint64(0)
		for j, t := range fp.terms[:w] {
			need |= t & alive[j]
		}
		if need == 0 {
			continue
		}
		left := uint64(0)
		var kill []uint64
		switch fp.kind {
		case kTable, kSearch:
			if k, ok := key(fp.f, d); !ok {
				kill = mask(fp.absent)
			} else if fp.kind == kTable {
				kill = mask(fp.table[k])
			} else {
				kill = mask(fp.ks[fp.seg(k)])
			}
		default:
			src, dst, ok := pairKeys(fp.f, d)
			if !ok {
				kill = mask(fp.absent)
				break
			}
			x, y := fp.pairSegs(src, dst)
			ks, kd, ka, kb := mask(fp.ks[x]), mask(fp.kd[y]), mask(fp.ke[x]), mask(fp.ke[y])
			for j := range alive {
				alive[j] &^= ks[j] | kd[j] | ka[j]&kb[j]
				left |= alive[j]
			}
		}
		if kill != nil {
			for j := range alive {
				alive[j] &^= kill[j]
				left |= alive[j]
			}
		}
		if left == 0 {
			break
		}
	}
	return alive
}

// collect toggles in out the fast classes whose form is true: each of their
// disjunctions keeps a term alive. Terms are laid out class by class,
// disjunction by disjunction, so one ordered pass over the alive bits
// counts them.
func (s *Sieve) collect(ws []uint64, out *Set) {
	cls, cnt, lastD := -1, 0, uint32(1<<32-1)
	for wi, word := range ws {
		for word != 0 {
			t := wi<<6 | bits.TrailingZeros64(word)
			word &= word - 1
			c := int(s.termClass[t])
			if c != cls {
				if cls >= 0 && cnt == int(s.nDisj[cls]) {
					out[cls>>6] ^= 1 << (uint(cls) & 63)
				}
				cls, cnt = c, 0
			}
			if d := s.termDisj[t]; d != lastD {
				cnt++
				lastD = d
			}
		}
	}
	if cls >= 0 && cnt == int(s.nDisj[cls]) {
		out[cls>>6] ^= 1 << (uint(cls) & 63)
	}
}

// matchSlow evaluates the classes kept out of the sieve.
func (s *Sieve) matchSlow(d *dissect.Dissection, out *Set) {
	for _, a := range s.slowAtoms {
		s.memo[a] = 0
	}
	val := func(a int) bool {
		switch s.memo[a] {
		case 1:
			return false
		case 2:
			return true
		}
		v := s.atoms[a].eval(d)
		s.memo[a] = 1
		if v {
			s.memo[a] = 2
		}
		return v
	}
	for _, sc := range s.slow {
		if sc.f.evalF(val) {
			out.Add(sc.class)
		}
	}
}

// search64 returns the index of the last bound <= k (bounds[0] == 0 <= k),
// without data-dependent branches.
func search64(bounds []uint64, k uint64) int {
	base, n := 0, len(bounds)
	for n > 1 {
		half := n >> 1
		if bounds[base+half] <= k {
			base += half
		}
		n -= half
	}
	return base
}

// search128 is search64 for 128-bit keys.
func search128(bounds []u128, k u128) int {
	base, n := 0, len(bounds)
	for n > 1 {
		half := n >> 1
		if bounds[base+half].lessEq(k) {
			base += half
		}
		n -= half
	}
	return base
}
