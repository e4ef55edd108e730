package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// This file translates relations on packet bytes (arith.go) to classic
// BPF. The program computes both sides as libpcap's would, from the
// offsets the prologue decoded (the network header wherever VLAN tags and
// MPLS labels put it, the IPv4 header length), and keeps the sieve's
// semantics where a bare libpcap program would not: a load past the end
// of the packet makes the relation false under either polarity
// (prim.relEval) instead of rejecting the packet, so a union program
// never drops a packet another class keeps.

// Scratch slots of the relations' operand stack, above the prologue's.
const (
	mArith   = numSlots
	maxArith = 16 - numSlots // classic BPF has 16 scratch words
)

var aluOps = [...]bpf.ALUOp{aAdd: bpf.ALUOpAdd, aSub: bpf.ALUOpSub, aMul: bpf.ALUOpMul, aDiv: bpf.ALUOpDiv,
	aMod: bpf.ALUOpMod, aAnd: bpf.ALUOpAnd, aOr: bpf.ALUOpOr, aXor: bpf.ALUOpXor, aShl: bpf.ALUOpShiftLeft,
	aShr: bpf.ALUOpShiftRight}

var relTests = [...]bpf.JumpTest{rLT: bpf.JumpLessThan, rLE: bpf.JumpLessOrEqual, rGT: bpf.JumpGreaterThan,
	rGE: bpf.JumpGreaterOrEqual, rEQ: bpf.JumpEqual, rNE: bpf.JumpNotEqual}

// rel emits the test of a pRel primitive: to t when it holds, else to f.
func (c *bpfc) rel(p *prim, t, f label) {
	// The relation under an odd number of `not` stands for its own
	// negation: a load past the packet makes that false, i.e. p true.
	abort := f
	if c.neg {
		abort = t
	}
	var seen [len(lprotoNames)]bool
	guard := func(l *arith) {
		if !seen[l.proto] {
			seen[l.proto] = true
			c.loadGuard(l.proto, f)
		}
	}
	p.a.loads(guard)
	p.b.loads(guard)
	if p.b.op == aNum {
		c.arithA(p.a, 0, abort)
		c.jif(relTests[p.rel], p.b.v, t, f)
		return
	}
	c.arithA(p.a, 0, abort)
	c.emit(stM(mArith))
	c.arithA(p.b, 1, abort)
	c.emit(bpf.TAX{}, ldM(mArith))
	c.jifX(relTests[p.rel], t, f)
}

// unsupportedArith records that the relation being compiled has no
// translation (the first reason wins).
func (c *bpfc) unsupportedArith(why string) {
	if c.unsupported == nil {
		c.unsupported = fmt.Errorf("%w: %s", ErrBPFUnsupported, why)
	}
}

// loadGuard goes on when the condition of proto's loads holds
// (loadBase), else to f.
func (c *bpfc) loadGuard(pr lproto, f label) {
	n := c.newLabel()
	switch pr {
	case lEther:
		return
	case lIP:
		c.emit(ldM(mIPVer))
		c.jif(bpf.JumpEqual, 4, n, f)
	case lIP6:
		c.emit(ldM(mIPVer))
		c.jif(bpf.JumpEqual, 6, n, f)
	case lICMP6:
		v6 := c.newLabel()
		c.emit(ldM(mIPVer))
		c.jif(bpf.JumpEqual, 6, v6, f)
		c.place(v6)
		c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 6, Size: 1})
		c.jif(bpf.JumpEqual, 58, n, f)
	default:
		p := c.newLabel()
		c.emit(ldM(mProto))
		c.jif(bpf.JumpEqual, protoV4|uint32(lprotoNum[pr]), p, f)
		c.place(p)
		c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 6, Size: 2})
		c.jif(bpf.JumpBitsSet, 0x1fff, f, n)
	}
	c.place(n)
}

// arithA computes a into A using operand stack slots sp and up; a load
// past the packet or a division by zero goes to abort.
func (c *bpfc) arithA(a *arith, sp int, abort label) {
	switch a.op {
	case aNum:
		c.emit(ldK(a.v))
	case aLen:
		c.emit(ldM(mWire))
	case aNeg:
		c.arithA(a.l, sp, abort)
		// 0 - A (the x/net/bpf VM has no BPF_NEG)
		c.emit(bpf.TAX{}, ldK(0), bpf.ALUOpX{Op: bpf.ALUOpSub})
	case aLoad:
		c.loadA(a, sp, abort)
	default:
		op := aluOps[a.op]
		if a.r.op == aNum {
			c.arithA(a.l, sp, abort)
			c.emit(aluK(op, a.r.v))
			return
		}
		if sp >= maxArith {
			c.unsupportedArith("arithmetic nested too deeply for classic BPF's scratch memory")
			return
		}
		// Left operand first: libpcap's left-associative chains
		// (a + b + c ...) need one slot whatever their length.
		c.arithA(a.l, sp, abort)
		c.emit(stM(mArith + sp))
		c.arithA(a.r, sp+1, abort)
		if a.op == aDiv || a.op == aMod {
			ok := c.newLabel()
			c.jif(bpf.JumpEqual, 0, abort, ok)
			c.place(ok)
		}
		c.emit(bpf.TAX{}, ldM(mArith+sp), bpf.ALUOpX{Op: op})
	}
}

// loadA loads a's bytes into A, after checking they lie in the packet.
func (c *bpfc) loadA(a *arith, sp int, abort label) {
	if a.proto == lEther && c.t.KernelVLAN && (a.l.op != aNum || uint64(a.l.v)+uint64(a.size) > 12) {
		// The kernel took the outer VLAN tag out of the frame: bytes past
		// the MAC addresses are not where the capture has them.
		c.unsupportedArith("ether[] past the MAC addresses with the VLAN tag in the socket metadata")
		return
	}
	c.arithA(a.l, sp, abort)
	if a.proto != lEther && c.t.KernelVLAN {
		// A negative offset (2^31 or more: it adds to the header's start
		// in 32 bits) may read the link layer, whose outer tag the kernel
		// took out of the frame: user space judges the packet.
		own := c.newLabel()
		c.jif(bpf.JumpGreaterThan, 0x7fffffff, c.accept, own)
		c.place(own)
	}
	switch a.proto {
	case lEther:
	case lIP, lIP6:
		c.emit(ldxM(mNet), bpf.ALUOpX{Op: bpf.ALUOpAdd})
	case lICMP6:
		c.emit(ldxM(mNet), bpf.ALUOpX{Op: bpf.ALUOpAdd}, aluK(bpf.ALUOpAdd, 40))
	default:
		c.emit(ldxM(mL4), bpf.ALUOpX{Op: bpf.ALUOpAdd})
	}
	small, in := c.newLabel(), c.newLabel()
	c.emit(stM(mTmp))
	c.jif(bpf.JumpGreaterThan, 0x7fffffff, abort, small)
	c.place(small)
	c.emit(aluK(bpf.ALUOpAdd, uint32(a.size)), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
	c.jifX(bpf.JumpGreaterOrEqual, in, abort)
	c.place(in)
	c.emit(ldxM(mTmp), bpf.LoadIndirect{Off: 0, Size: int(a.size)})
}
