package filter

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// ---- compilation ----

// occ is one literal occurrence in a term.
type occ struct {
	l    lit
	term int
}

// maxSieveLiterals bounds the literal occurrences of all the classes in
// the sieve, hence its tables (at most a few MiB); classes past it are
// evaluated by formula walk. Hand-written filters of 256 classes stay far
// below it.
const maxSieveLiterals = 4096

type compiler struct {
	*plan
	tab       *atoms // the lowerer's atom table (grows while splitting terms)
	lw        lowerer
	occs      []occ
	disjCount int
}

// class compiles class i.
func (c *compiler) class(i int, e Expr) {
	if e.root == nil {
		c.constTrue.Add(i)
		return
	}
	f := c.lw.lower(e.root, false)
	if c.tab.hasRel(f) {
		// Relations on packet bytes are no field of the sieve: the class
		// is evaluated by formula walk.
		c.slow = append(c.slow, slowClass{class: i, f: f})
		return
	}
	pos, okPos := normalize(f)
	neg, okNeg := normalize(negate(f))
	var fm form
	isNeg := false
	switch {
	case okPos && (!okNeg || pos.size <= neg.size):
		fm = pos
	case okNeg:
		fm, isNeg = neg, true
	default:
		c.slow = append(c.slow, slowClass{class: i, f: f})
		return
	}
	switch {
	case fm.false:
		if isNeg {
			c.constTrue.Add(i)
		}
		return
	case fm.isTrue():
		if !isNeg {
			c.constTrue.Add(i)
		}
		return
	}
	// Split the terms holding more than one both-sides literal on a pair
	// field (see splitTerm); a disjunction left without terms is false.
	var ds [][]term
	size := 0
	for _, d := range fm.items() {
		var nd []term
		for _, t := range d {
			nd = c.splitTerm(t, nd)
			if len(nd) > maxFormSize {
				break
			}
		}
		if len(nd) == 0 {
			if isNeg {
				c.constTrue.Add(i)
			}
			return
		}
		ds = append(ds, nd)
		size += termSize(nd)
		if size > maxFormSize || len(c.occs)+size > maxSieveLiterals {
			c.slow = append(c.slow, slowClass{class: i, f: f})
			return
		}
	}
	if isNeg {
		c.negMask.Add(i)
	}
	c.nDisj[i] = uint16(len(ds))
	for _, d := range ds {
		for _, t := range d {
			id := len(c.termClass)
			c.termClass = append(c.termClass, uint16(i))
			c.termDisj = append(c.termDisj, uint32(c.disjCount))
			for _, l := range t {
				c.occs = append(c.occs, occ{l: l, term: id})
			}
		}
		c.disjCount++
	}
}

// bothSides reports whether literal l on a pair field is false only when it
// is false on both sides (a positive `host a`, a negated `src and dst host
// a`): such literals share the ke masks, so a term may hold only one per
// field.
func (c *compiler) bothSides(l lit) bool {
	a := &c.tab.list[l.atom()]
	return a.side == sEither && !l.neg() || a.side == sBoth && l.neg()
}

// splitTerm appends t to dst, first splitting it while it holds two
// both-sides literals on the same pair field: t = L ∧ r with
// L = (src∈S ∨ dst∈S) becomes (src∈S ∧ r), (dst∈S ∧ r), two terms of the
// same disjunction (and likewise for not (src∈S ∧ dst∈S)). Terms that turn
// out contradictory are dropped.
func (c *compiler) splitTerm(t term, dst []term) []term {
	var seen [numFields]bool
	for k, l := range t {
		if !c.bothSides(l) {
			continue
		}
		f := c.tab.list[l.atom()].f
		if !seen[f] {
			seen[f] = true
			continue
		}
		rest := append(slices.Clone(t[:k]), t[k+1:]...)
		a := c.tab.list[l.atom()]
		for _, sd := range []side{sSrc, sDst} {
			nl := mkLit(c.tab.intern(a.f, sd, a.ivs), l.neg())
			if nt, ok := mergeTerms(rest, term{nl}); ok {
				dst = c.splitTerm(nt, dst)
				if len(dst) > maxFormSize {
					return dst
				}
			}
		}
		return dst
	}
	if slices.ContainsFunc(dst, func(u term) bool { return slices.Equal(u, t) }) {
		return dst
	}
	return append(dst, t)
}

// finish builds the field plans.
func (c *compiler) finish() {
	c.atoms = c.tab.list
	c.nTerms = len(c.termClass)
	c.w = (c.nTerms + 63) / 64
	c.allTerms = make([]uint64, c.w)
	for t := 0; t < c.nTerms; t++ {
		c.allTerms[t>>6] |= 1 << (uint(t) & 63)
	}
	for _, sc := range c.slow {
		c.slowAtoms = appendAtoms(c.slowAtoms, sc.f)
	}
	slices.Sort(c.slowAtoms)
	c.slowAtoms = slices.Compact(c.slowAtoms)

	byField := make([][]occ, numFields)
	for _, o := range c.occs {
		f := c.atoms[o.l.atom()].f
		byField[f] = append(byField[f], o)
	}
	masks := map[string]uint32{}
	intern := func(m []uint64) uint32 {
		var b []byte
		for _, v := range m {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		if i, ok := masks[string(b)]; ok {
			return i
		}
		i := uint32(len(c.pool) / c.w)
		c.pool = append(c.pool, m...)
		masks[string(b)] = i
		return i
	}
	mask := func(i uint32) []uint64 { return c.pool[int(i)*c.w : int(i)*c.w+c.w] }
	for f := field(0); f < numFields; f++ {
		os := byField[f]
		if len(os) == 0 {
			continue
		}
		info := fieldInfo[f]
		fp := fieldPlan{f: f, terms: make([]uint64, c.w)}
		starts := []u128{{}}
		for _, o := range os {
			fp.terms[o.term>>6] |= 1 << (uint(o.term) & 63)
			for _, iv := range c.atoms[o.l.atom()].ivs {
				starts = append(starts, iv.lo)
				if iv.hi.less(info.max) {
					starts = append(starts, iv.hi.inc())
				}
			}
		}
		slices.SortFunc(starts, u128.compare)
		starts = slices.Compact(starts)
		c.nSegments += len(starts)
		c.fieldMasks(&fp, os, starts, intern)
		switch {
		case info.table:
			fp.kind = kTable
			top := info.max.lo
			fp.table = make([]uint32, top+1)
			for j, v := range starts {
				end := top
				if j+1 < len(starts) {
					end = starts[j+1].lo - 1
				}
				for k := v.lo; k <= end; k++ {
					fp.table[k] = fp.ks[j]
				}
			}
			fp.ks = nil
		case f == fAddr6:
			fp.kind = kPair6
			fp.bounds6 = starts
		default:
			fp.kind = kSearch
			if info.pair {
				fp.kind = kPair
			}
			for _, v := range starts {
				fp.bounds = append(fp.bounds, v.lo)
			}
			if len(starts) > 8 {
				fp.trie = buildTrie(fp.bounds, bits.Len64(info.max.lo))
			}
		}
		copy(fp.terms4[:], fp.terms)
		c.fields = append(c.fields, fp)
	}
	copy(c.allTerms4[:], c.allTerms)
	for i := range c.base {
		c.base[i] = c.constTrue[i] | c.negMask[i]
	}
	if c.w == 1 {
		for i := range c.fields {
			c.fields1 = append(c.fields1, c.field1(&c.fields[i]))
		}
		if len(c.fields1) == 1 && c.fields1[0].f == fPort && len(c.slow) == 0 {
			c.ports = &c.fields1[0]
		}
	}
	if c.w <= 4 {
		for i := 0; i < len(c.pool)/max(c.w, 1); i++ {
			var m mask4
			copy(m[:], mask(uint32(i)))
			c.pool4 = append(c.pool4, m)
		}
	}
}

// field1 returns the one-word plan of fp (w == 1): its pool indices
// replaced by the masks they index.
func (c *compiler) field1(fp *fieldPlan) field1 {
	f := field1{terms: fp.terms[0], absent: c.pool[fp.absent], f: fp.f, kind: fp.kind,
		trie: fp.trie, bounds: fp.bounds, bounds6: fp.bounds6}
	for _, m := range fp.table {
		f.table = append(f.table, c.pool[m])
	}
	for j, m := range fp.ks {
		sg := seg1{s: c.pool[m]}
		if fp.kd != nil {
			sg.d, sg.e = c.pool[fp.kd[j]], c.pool[fp.ke[j]]
		}
		f.segs = append(f.segs, sg)
	}
	return f
}

func appendAtoms(dst []int, f *fnode) []int {
	if f.op == fLit {
		return append(dst, f.lit.atom())
	}
	for _, k := range f.kids {
		dst = appendAtoms(dst, k)
	}
	return dst
}

// Kill-mask kinds of a field plan (see fieldPlan).
const (
	kindS = 1 << iota // ks: source side (or single field)
	kindD             // kd: destination side
	kindE             // ke: false only if false on both sides
)

// occKinds returns the masks an occurrence kills its term in, and the
// membership of its atom's value(s) that triggers the kill: for every side
// a literal is false exactly when membership equals its negation flag.
func occKinds(sd side, neg bool) int {
	switch sd {
	case sDst:
		return kindD
	case sEither: // src∈S or dst∈S
		if neg {
			return kindS | kindD // false as soon as one side is in S
		}
		return kindE // false when both sides are out
	case sBoth: // src∈S and dst∈S
		if neg {
			return kindE // false when both sides are in
		}
		return kindS | kindD // false as soon as one side is out
	}
	return kindS
}

// fieldMasks computes the kill masks of every segment of one field by a
// sweep over the segments: an atom's membership only changes at its
// interval ends, and each occurrence kills its term in kinds occKinds while
// the membership equals its negation flag. Per-term counters keep the OR
// of the occurrences of one term. Cost: O(interval ends x occurrences per
// atom + segments x w).
func (c *compiler) fieldMasks(fp *fieldPlan, os []occ, starts []u128, intern func([]uint64) uint32) {
	info := fieldInfo[fp.f]
	byAtom := map[int][]occ{}
	for _, o := range os {
		byAtom[o.l.atom()] = append(byAtom[o.l.atom()], o)
	}
	cur := [3][]uint64{make([]uint64, c.w), make([]uint64, c.w), make([]uint64, c.w)}
	cnt := [3][]int32{make([]int32, c.nTerms), make([]int32, c.nTerms), make([]int32, c.nTerms)}
	apply := func(o occ, add bool) {
		k := occKinds(c.atoms[o.l.atom()].side, o.l.neg())
		for i := 0; i < 3; i++ {
			if k&(1<<i) == 0 {
				continue
			}
			n := &cnt[i][o.term]
			if add {
				if *n++; *n == 1 {
					cur[i][o.term>>6] |= 1 << (uint(o.term) & 63)
				}
			} else if *n--; *n == 0 {
				cur[i][o.term>>6] &^= 1 << (uint(o.term) & 63)
			}
		}
	}
	// Every atom starts out of its set (membership false): the
	// occurrences triggered by "false" (positive literals) kill.
	for _, o := range os {
		if !o.l.neg() {
			apply(o, true)
		}
	}
	// Absent field: every membership false on both sides.
	if info.pair {
		m := make([]uint64, c.w)
		for j := range m {
			m[j] = cur[0][j] | cur[1][j] | cur[2][j]
		}
		fp.absent = intern(m)
	} else {
		fp.absent = intern(cur[0])
	}
	// Membership events: at the segment starting at an interval's lo the
	// atom enters its set, at the one starting at hi+1 it leaves.
	type event struct {
		atom int
		in   bool
	}
	events := make(map[int][]event)
	index := func(v u128) int {
		i, _ := slices.BinarySearchFunc(starts, v, u128.compare)
		return i
	}
	for a := range byAtom {
		for _, iv := range c.atoms[a].ivs {
			events[index(iv.lo)] = append(events[index(iv.lo)], event{a, true})
			if iv.hi.less(info.max) {
				j := index(iv.hi.inc())
				events[j] = append(events[j], event{a, false})
			}
		}
	}
	for j := range starts {
		for _, ev := range events[j] {
			for _, o := range byAtom[ev.atom] {
				// Leaving the "triggered" membership removes the kill,
				// entering it adds one.
				apply(o, ev.in == o.l.neg())
			}
		}
		fp.ks = append(fp.ks, intern(cur[0]))
		if info.pair {
			fp.kd = append(fp.kd, intern(cur[1]))
			fp.ke = append(fp.ke, intern(cur[2]))
		}
	}
}
