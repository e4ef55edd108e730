package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// This file holds the small assembler behind the cBPF compiler (bpf.go):
// instructions with symbolic jump targets, resolved once the program is
// complete. Classic BPF jumps only forward, conditional ones by at most 255
// instructions; a program that would need more is refused (the caller
// falls back to user-space filtering), never truncated.

// label is a jump target, placed once with (*asm).place.
type label int

// jmp is a conditional jump to symbolic targets: if A <cond> val (or X when
// x is set) go to t, else to f.
type jmp struct {
	cond bpf.JumpTest
	val  uint32
	x    bool
	t, f label
}

// Assemble panics: jumps are resolved by (*asm).resolve before a program
// leaves the package.
func (j jmp) Assemble() (bpf.RawInstruction, error) {
	return bpf.RawInstruction{}, errors.New("filter: unresolved jump")
}

// ja is an unconditional jump to a symbolic target.
type ja struct{ to label }

// Assemble panics like jmp's.
func (j ja) Assemble() (bpf.RawInstruction, error) {
	return bpf.RawInstruction{}, errors.New("filter: unresolved jump")
}

// asm collects instructions and labels.
type asm struct {
	ins    []bpf.Instruction
	labels []int // label -> instruction index; -1 until placed
}

func (a *asm) newLabel() label {
	a.labels = append(a.labels, -1)
	return label(len(a.labels) - 1)
}

func (a *asm) place(l label) { a.labels[l] = len(a.ins) }

func (a *asm) emit(ins ...bpf.Instruction) { a.ins = append(a.ins, ins...) }

// jif jumps to t when A cond v holds, else to f.
func (a *asm) jif(cond bpf.JumpTest, v uint32, t, f label) {
	a.ins = append(a.ins, jmp{cond: cond, val: v, t: t, f: f})
}

// jifX jumps to t when A cond X holds, else to f.
func (a *asm) jifX(cond bpf.JumpTest, t, f label) {
	a.ins = append(a.ins, jmp{cond: cond, x: true, t: t, f: f})
}

func (a *asm) jump(to label) { a.ins = append(a.ins, ja{to}) }

// Scratch memory and register shorthands.
func ldM(m int) bpf.Instruction  { return bpf.LoadScratch{Dst: bpf.RegA, N: m} }
func ldxM(m int) bpf.Instruction { return bpf.LoadScratch{Dst: bpf.RegX, N: m} }
func stM(m int) bpf.Instruction  { return bpf.StoreScratch{Src: bpf.RegA, N: m} }
func ldK(v uint32) bpf.Instruction {
	return bpf.LoadConstant{Dst: bpf.RegA, Val: v}
}
func aluK(op bpf.ALUOp, v uint32) bpf.Instruction { return bpf.ALUOpConstant{Op: op, Val: v} }

// maxBPFInstructions is the kernel's BPF_MAXINSNS.
const maxBPFInstructions = 4096

// errTooLarge means the program would not fit classic BPF's limits.
var errTooLarge = errors.New("program exceeds classic BPF limits")

// relax gives every conditional jump whose target lies more than 255
// instructions ahead a trampoline: an unconditional jump (32-bit offset)
// right after it. Inserting trampolines moves other targets, so it
// repeats until every conditional jump is short.
func (a *asm) relax() {
	for {
		type far struct {
			at   int
			t, f bool
		}
		var fars []far
		for i, in := range a.ins {
			if j, ok := in.(jmp); ok {
				t, f := a.labels[j.t]-i-1 > 255, a.labels[j.f]-i-1 > 255
				if t || f {
					fars = append(fars, far{i, t, f})
				}
			}
		}
		if len(fars) == 0 || len(a.ins) > maxBPFInstructions {
			return
		}
		out := make([]bpf.Instruction, 0, len(a.ins)+2*len(fars))
		shift := make([]int, len(a.ins)+1) // new index of each old index
		k := 0
		for i, in := range a.ins {
			shift[i] = len(out)
			if k < len(fars) && fars[k].at == i {
				j := in.(jmp)
				var tramp []bpf.Instruction
				if fars[k].t {
					l := a.newLabel()
					tramp = append(tramp, ja{j.t})
					a.labels[l] = -2 - len(tramp) + 1 // placed below
					j.t = l
				}
				if fars[k].f {
					l := a.newLabel()
					tramp = append(tramp, ja{j.f})
					a.labels[l] = -2 - len(tramp) + 1
					j.f = l
				}
				out = append(out, j)
				for n := range tramp {
					for l, at := range a.labels {
						if at == -2-n {
							a.labels[l] = -(1000000 + len(out)) // final index, marked
						}
					}
					out = append(out, tramp[n])
				}
				k++
				continue
			}
			out = append(out, in)
		}
		shift[len(a.ins)] = len(out)
		for l, at := range a.labels {
			switch {
			case at <= -1000000:
				a.labels[l] = -at - 1000000
			case at >= 0:
				a.labels[l] = shift[at]
			}
		}
		a.ins = out
	}
}

// resolve replaces symbolic jumps by relative ones. A conditional jump
// farther than 255 instructions gets a trampoline (relax); a program
// beyond the kernel's 4096 instructions is too large.
func (a *asm) resolve() ([]bpf.Instruction, error) {
	a.relax()
	if len(a.ins) > maxBPFInstructions {
		return nil, fmt.Errorf("%w: %d instructions", errTooLarge, len(a.ins))
	}
	out := make([]bpf.Instruction, len(a.ins))
	skip := func(i int, l label) (uint32, error) {
		to := a.labels[l]
		if to < 0 {
			return 0, errors.New("filter: bpf label never placed")
		}
		d := to - i - 1
		if d < 0 {
			return 0, errors.New("filter: bpf backward jump")
		}
		return uint32(d), nil
	}
	for i, in := range a.ins {
		switch j := in.(type) {
		case jmp:
			t, err := skip(i, j.t)
			if err != nil {
				return nil, err
			}
			f, err := skip(i, j.f)
			if err != nil {
				return nil, err
			}
			if t > 255 || f > 255 {
				return nil, fmt.Errorf("%w: conditional jump of %d instructions", errTooLarge, max(t, f))
			}
			if j.x {
				out[i] = bpf.JumpIfX{Cond: j.cond, SkipTrue: uint8(t), SkipFalse: uint8(f)}
			} else {
				out[i] = bpf.JumpIf{Cond: j.cond, Val: j.val, SkipTrue: uint8(t), SkipFalse: uint8(f)}
			}
		case ja:
			d, err := skip(i, j.to)
			if err != nil {
				return nil, err
			}
			out[i] = bpf.Jump{Skip: d}
		default:
			out[i] = in
		}
	}
	if _, err := bpf.Assemble(out); err != nil {
		return nil, fmt.Errorf("filter: bpf assemble: %w", err)
	}
	return out, nil
}
