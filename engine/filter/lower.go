package filter

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// This file lowers parse trees to boolean formulas over atoms (one atom =
// "field key lies in a set of intervals"), pushes negations down to the
// atoms, and normalises each formula to the three-level form of design 3.4.

// ival is an inclusive interval of field keys.
type ival struct{ lo, hi u128 }

// side says which value of a pair field an atom tests.
type side uint8

const (
	sOne    side = iota // single-valued field
	sSrc                // the source value
	sDst                // the destination value
	sEither             // source or destination (pcap-filter's default)
	sBoth               // source and destination (`src and dst`)
)

// atomDef is a predicate on one field: key ∈ ivs (sorted, disjoint, not
// adjacent), on the side(s) of a pair field that side names. A packet
// without the field fails every atom on it.
type atomDef struct {
	f    field
	side side
	ivs  []ival
	rel  *prim // a relation on packet bytes instead (pRel): true when rel (or, with neg, not rel) holds
	neg  bool
}

// contains reports whether v is in the atom's intervals.
func (a *atomDef) contains(v u128) bool {
	i, _ := slices.BinarySearchFunc(a.ivs, v, func(iv ival, v u128) int {
		switch {
		case iv.hi.less(v):
			return -1
		case v.less(iv.lo):
			return 1
		}
		return 0
	})
	return i < len(a.ivs) && a.ivs[i].lo.lessEq(v) && v.lessEq(a.ivs[i].hi)
}

// eval is the atom's truth on d.
func (a *atomDef) eval(d *dissect.Dissection) bool {
	if a.rel != nil {
		return a.rel.relEval(d, a.neg)
	}
	if !fieldInfo[a.f].pair {
		k, ok := key(a.f, d)
		return ok && a.contains(u128{0, k})
	}
	s, t, ok := pairKeys(a.f, d)
	if !ok {
		return false
	}
	switch a.side {
	case sSrc:
		return a.contains(s)
	case sDst:
		return a.contains(t)
	case sBoth:
		return a.contains(s) && a.contains(t)
	}
	return a.contains(s) || a.contains(t)
}

// lit is a literal: atom index << 1 | negated.
type lit uint32

func mkLit(atom int, neg bool) lit {
	l := lit(atom) << 1
	if neg {
		l |= 1
	}
	return l
}

func (l lit) atom() int { return int(l >> 1) }
func (l lit) neg() bool { return l&1 != 0 }
func (l lit) not() lit  { return l ^ 1 }

// fop is the operator of a formula node.
type fop uint8

const (
	fLit fop = iota
	fAnd
	fOr
	fTrue
	fFalse
)

// fnode is a formula in negation normal form: negations only on literals.
type fnode struct {
	op   fop
	lit  lit
	kids []*fnode
}

var (
	fnTrue  = &fnode{op: fTrue}
	fnFalse = &fnode{op: fFalse}
)

// atoms interns atom definitions so that equal predicates share one index
// (and are evaluated once per packet).
type atoms struct {
	list  []atomDef
	index map[string]int
}

func (t *atoms) intern(f field, sd side, ivs []ival) int {
	var b strings.Builder
	b.WriteByte(byte(f))
	b.WriteByte(byte(sd))
	var buf [32]byte
	for _, iv := range ivs {
		binary.LittleEndian.PutUint64(buf[0:], iv.lo.hi)
		binary.LittleEndian.PutUint64(buf[8:], iv.lo.lo)
		binary.LittleEndian.PutUint64(buf[16:], iv.hi.hi)
		binary.LittleEndian.PutUint64(buf[24:], iv.hi.lo)
		b.Write(buf[:])
	}
	k := b.String()
	if i, ok := t.index[k]; ok {
		return i
	}
	if t.index == nil {
		t.index = map[string]int{}
	}
	t.list = append(t.list, atomDef{f: f, side: sd, ivs: ivs})
	t.index[k] = len(t.list) - 1
	return len(t.list) - 1
}

// normIvs sorts and merges intervals.
func normIvs(ivs []ival) []ival {
	slices.SortFunc(ivs, func(a, b ival) int {
		switch {
		case a.lo.less(b.lo):
			return -1
		case b.lo.less(a.lo):
			return 1
		}
		return 0
	})
	top := u128{^uint64(0), ^uint64(0)}
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && (out[n-1].hi == top || iv.lo.lessEq(out[n-1].hi.inc())) {
			if out[n-1].hi.less(iv.hi) {
				out[n-1].hi = iv.hi
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// lowerer turns parse trees into NNF formulas over interned atoms.
type lowerer struct{ atoms atoms }

// atom returns the literal "field f (side sd) ∈ ivs".
func (lw *lowerer) atom(f field, sd side, ivs ...ival) *fnode {
	ivs = normIvs(slices.Clone(ivs))
	if len(ivs) == 0 {
		return fnFalse
	}
	return &fnode{op: fLit, lit: mkLit(lw.atoms.intern(f, sd, ivs), false)}
}

// relAtom returns the literal "relation p holds" (with neg: "not p
// holds"), an atom of its own: both are false when p's loads reach past
// the captured bytes (prim.relEval), so `not p` is not the negation of p.
func (lw *lowerer) relAtom(p *prim, neg bool) *fnode {
	var b strings.Builder
	b.WriteString("\x00rel ")
	if neg {
		b.WriteString("not ")
	}
	p.write(&b)
	k := b.String()
	t := &lw.atoms
	i, ok := t.index[k]
	if !ok {
		if t.index == nil {
			t.index = map[string]int{}
		}
		t.list = append(t.list, atomDef{rel: p, neg: neg})
		i = len(t.list) - 1
		t.index[k] = i
	}
	return &fnode{op: fLit, lit: mkLit(i, false)}
}

// hasRel reports whether f tests a relation on packet bytes.
func (t *atoms) hasRel(f *fnode) bool {
	if f.op == fLit {
		return t.list[f.lit.atom()].rel != nil
	}
	for _, k := range f.kids {
		if t.hasRel(k) {
			return true
		}
	}
	return false
}

// one is the interval of a single 64-bit key; span the interval [lo, hi].
func one(v uint64) ival       { return ival{u128{0, v}, u128{0, v}} }
func span(lo, hi uint64) ival { return ival{u128{0, lo}, u128{0, hi}} }

// sideOf maps a direction qualifier to the side of a pair field.
func sideOf(dq dqual) side {
	switch dq {
	case dSrc:
		return sSrc
	case dDst:
		return sDst
	case dAnd:
		return sBoth
	}
	return sEither
}

func mkAnd(kids ...*fnode) *fnode { return mkOp(fAnd, kids) }
func mkOr(kids ...*fnode) *fnode  { return mkOp(fOr, kids) }

// mkOp builds an and/or node, flattening children of the same operator so
// that long chains (a or b or c ...) stay shallow.
func mkOp(op fop, kids []*fnode) *fnode {
	var flat []*fnode
	for _, k := range kids {
		if k.op == op {
			flat = append(flat, k.kids...)
		} else {
			flat = append(flat, k)
		}
	}
	return &fnode{op: op, kids: flat}
}

// negate returns the NNF of not f.
func negate(f *fnode) *fnode {
	switch f.op {
	case fLit:
		return &fnode{op: fLit, lit: f.lit.not()}
	case fTrue:
		return fnFalse
	case fFalse:
		return fnTrue
	}
	kids := make([]*fnode, len(f.kids))
	for i, k := range f.kids {
		kids[i] = negate(k)
	}
	if f.op == fAnd {
		return mkOr(kids...)
	}
	return mkAnd(kids...)
}

// lower returns the NNF of n (negated when neg).
func (lw *lowerer) lower(n *node, neg bool) *fnode {
	switch n.kind {
	case nNot:
		return lw.lower(n.l, !neg)
	case nAnd, nOr:
		l, r := lw.lower(n.l, neg), lw.lower(n.r, neg)
		if (n.kind == nAnd) != neg {
			return mkAnd(l, r)
		}
		return mkOr(l, r)
	}
	if n.p.kind == pRel {
		return lw.relAtom(&n.p, neg)
	}
	f := lw.prim(&n.p)
	if neg {
		return negate(f)
	}
	return f
}

// prim lowers one primitive; its meaning matches prim.eval.
func (lw *lowerer) prim(p *prim) *fnode {
	switch p.kind {
	case pAbbrev, pProto:
		switch {
		case p.kind == pAbbrev && p.pq == qIP:
			return lw.atom(fProto, sOne, span(protoV4, protoV4|0xff))
		case p.kind == pAbbrev && p.pq == qIP6:
			return lw.atom(fProto, sOne, span(protoV6, protoV6Frag|0xff))
		}
		proto, v4, v6 := p.ipProtocol()
		var ivs []ival
		if v4 {
			ivs = append(ivs, one(protoV4|uint64(proto)))
		}
		if v6 { // v6Proto
			ivs = append(ivs, one(protoV6|uint64(proto)))
			if proto == 44 {
				ivs = append(ivs, span(protoV6Frag, protoV6Frag|0xff))
			} else {
				ivs = append(ivs, one(protoV6Frag|uint64(proto)))
			}
		}
		return lw.atom(fProto, sOne, ivs...)
	case pHost, pNet:
		if p.pq == qARP || p.pq == qRARP {
			return fnFalse // the sieve sees IP packets only (design 3.2)
		}
		a, bitsLen := p.pfx.Addr(), p.pfx.Bits()
		if a.Is4() {
			b := a.As4()
			v := uint64(binary.BigEndian.Uint32(b[:]))
			return lw.atom(fAddr4, sideOf(p.dq), span(v, v|(uint64(1)<<(32-uint(bitsLen))-1)))
		}
		b := a.As16()
		lo := u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
		hi := lo
		switch {
		case bitsLen == 0:
			hi = u128{^uint64(0), ^uint64(0)}
		case bitsLen <= 64:
			hi = u128{lo.hi | (^uint64(0) >> uint(bitsLen)), ^uint64(0)}
		case bitsLen < 128:
			hi.lo |= ^uint64(0) >> uint(bitsLen-64)
		}
		return lw.atom(fAddr6, sideOf(p.dq), ival{lo, hi})
	case pPort, pPortRange:
		var ivs []ival
		for _, v6 := range []uint64{0, portV6} {
			for _, k := range []struct {
				q    pqual
				base uint64
			}{{qTCP, 0}, {qUDP, portUDP}, {qSCTP, portSCTP}} {
				if p.pq == qDefault || p.pq == k.q {
					ivs = append(ivs, span(v6|k.base|uint64(p.lo), v6|k.base|uint64(p.hi)))
				}
			}
		}
		return lw.atom(fPort, sideOf(p.dq), ivs...)
	case pLen:
		v, top := uint64(p.lo), fieldInfo[fLen].max.lo
		switch p.rel {
		case rLT:
			if v == 0 {
				return fnFalse
			}
			return lw.atom(fLen, sOne, span(0, v-1))
		case rLE:
			return lw.atom(fLen, sOne, span(0, v))
		case rGT:
			if v >= top {
				return fnFalse
			}
			return lw.atom(fLen, sOne, span(v+1, top))
		case rGE:
			return lw.atom(fLen, sOne, span(v, top))
		case rEQ:
			return lw.atom(fLen, sOne, one(v))
		case rNE:
			return negate(lw.atom(fLen, sOne, one(v)))
		}
	case pVLAN:
		switch {
		case p.depth == 0 && p.hasID:
			return lw.atom(fVLAN0, sOne, one(uint64(p.lo)))
		case p.depth == 0:
			return lw.atom(fVLAN0, sOne, span(0, 4095))
		case p.depth == 1 && p.hasID:
			return lw.atom(fVLAN1, sOne, one(uint64(p.lo)))
		case p.depth == 1:
			return lw.atom(fVLAN1, sOne, span(0, 4095))
		case !p.hasID:
			return lw.atom(fNVLAN, sOne, span(uint64(p.depth)+1, 255))
		}
		return fnFalse // rejected by Parse
	case pFlag:
		var ivs []ival
		bit := uint64(1) << p.lo
		for v := uint64(0); v <= fieldInfo[fFlags].max.lo; v += 2 * bit {
			ivs = append(ivs, span(v+bit, v+2*bit-1))
		}
		return lw.atom(fFlags, sOne, ivs...)
	case pDSCP:
		return lw.atom(fDSCP, sOne, one(uint64(p.lo)))
	}
	return fnFalse
}

// evalF evaluates a formula; val gives each atom's truth.
func (f *fnode) evalF(val func(atom int) bool) bool {
	switch f.op {
	case fLit:
		return val(f.lit.atom()) != f.lit.neg()
	case fTrue:
		return true
	case fFalse:
		return false
	case fAnd:
		for _, k := range f.kids {
			if !k.evalF(val) {
				return false
			}
		}
		return true
	}
	for _, k := range f.kids {
		if k.evalF(val) {
			return true
		}
	}
	return false
}

// ---- three-level normal form (design 3.4) ----

// term is a conjunction of literals, sorted, without duplicates.
type term []lit

// form is a filter in the design's AND / OR / AND form:
//
//	conj AND disj[0] AND disj[1] ...,  disj[i] = term OR term ...
//
// conj gathers the single-term disjunctions. An empty form is true.
type form struct {
	false bool
	conj  term
	disjs [][]term
	size  int // literals in conj and disjs
}

// maxFormSize bounds the literals of one class's normal form; beyond it the
// class is evaluated by walking its formula (see Sieve).
const maxFormSize = 2048

// mergeTerms returns a ∧ b, or ok=false when it holds x and not x.
func mergeTerms(a, b term) (term, bool) {
	out := make(term, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var l lit
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			l = a[i]
			i++
		case i == len(a) || b[j] < a[i]:
			l = b[j]
			j++
		default:
			l = a[i]
			i++
			j++
		}
		if n := len(out); n > 0 && out[n-1] == l.not() && l.neg() {
			return nil, false
		}
		out = append(out, l)
	}
	return out, true
}

func termSize(d []term) int {
	n := 0
	for _, t := range d {
		n += len(t)
	}
	return n
}

func (a *form) isTrue() bool { return !a.false && len(a.conj) == 0 && len(a.disjs) == 0 }

func (a *form) resize() {
	a.size = len(a.conj)
	for _, d := range a.disjs {
		a.size += termSize(d)
	}
}

// andForms returns a ∧ b.
func andForms(a, b form) form {
	if a.false || b.false {
		return form{false: true}
	}
	c, ok := mergeTerms(a.conj, b.conj)
	if !ok {
		return form{false: true}
	}
	out := form{conj: c, disjs: append(slices.Clip(a.disjs), b.disjs...)}
	out.resize()
	return out
}

// items lists a's top-level conjuncts, each as a disjunction of terms.
func (a *form) items() [][]term {
	var it [][]term
	if len(a.conj) > 0 {
		it = append(it, []term{a.conj})
	}
	return append(it, a.disjs...)
}

// orForms returns a ∨ b by distribution, or ok=false past maxFormSize.
func orForms(a, b form) (form, bool) {
	switch {
	case a.false:
		return b, true
	case b.false:
		return a, true
	case a.isTrue() || b.isTrue():
		return form{}, true
	}
	ia, ib := a.items(), b.items()
	if len(ia)*b.size+len(ib)*a.size > maxFormSize {
		return form{}, false
	}
	out := form{}
	for _, x := range ia {
		for _, y := range ib {
			d := make([]term, 0, len(x)+len(y))
			d = appendTerms(d, x)
			d = appendTerms(d, y)
			if d == nil {
				continue // contains the empty (true) term: always true
			}
			if len(d) == 1 {
				out = andForms(out, form{conj: d[0]})
				if out.false {
					return out, true
				}
				continue
			}
			out.disjs = append(out.disjs, d)
		}
	}
	out.resize()
	return out, true
}

// appendTerms adds terms to d, skipping duplicates; nil means an empty term
// (true) was met.
func appendTerms(d []term, ts []term) []term {
	for _, t := range ts {
		if len(t) == 0 {
			return nil
		}
		if slices.ContainsFunc(d, func(u term) bool { return slices.Equal(u, t) }) {
			continue
		}
		d = append(d, t)
	}
	return d
}

// normalize returns the AND/OR/AND form of an NNF formula, or ok=false
// when it exceeds maxFormSize.
func normalize(f *fnode) (form, bool) {
	switch f.op {
	case fTrue:
		return form{}, true
	case fFalse:
		return form{false: true}, true
	case fLit:
		return form{conj: term{f.lit}, size: 1}, true
	case fAnd:
		out := form{}
		for _, k := range f.kids {
			kf, ok := normalize(k)
			if !ok {
				return form{}, false
			}
			out = andForms(out, kf)
			if out.false {
				return out, true
			}
			if out.size > maxFormSize {
				return form{}, false
			}
		}
		return out, true
	}
	out := form{false: true}
	for _, k := range f.kids {
		kf, ok := normalize(k)
		if !ok {
			return form{}, false
		}
		if out, ok = orForms(out, kf); !ok {
			return form{}, false
		}
		if out.isTrue() {
			return out, true
		}
	}
	return out, true
}
