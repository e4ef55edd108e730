package flow

import "github.com/tmonbench/tmonbench/engine/stat"

// Metric returns this interval's aggregate of fixed metric id; a count
// reads as n events of value 1.
func (f *Flow) Metric(id int) stat.Stat {
	u := func(n uint64, sum, sq uint64, lo, hi uint32) stat.Stat {
		if n == 0 {
			return stat.Stat{}
		}
		return stat.Stat{N: n, Sum: float64(sum), SumSq: float64(sq), Min: float64(lo), Max: float64(hi)}
	}
	n, nL4 := uint64(f.n)+f.carried(carryN), uint64(f.nL4)+f.carried(carryL4)
	switch id {
	case MIPBytes:
		return u(n, f.ipSum, f.ipSumSq, f.ipMin, f.ipMax)
	case MTTL, MDSCP:
		lo, hi := f.td&0xff, f.td>>8&0xff
		if id == MDSCP {
			lo, hi = f.td>>16&0xff, f.td>>24
		}
		v := uint64(lo) // the value of every packet, while constant
		sum, sq := n*v, n*v*v
		if f.x != nil && f.x.wide.on {
			sum, sq = f.x.wide.ttlSum, f.x.wide.ttlSq
			if id == MDSCP {
				sum, sq = f.x.wide.dscpSum, f.x.wide.dscpSq
			}
		}
		return u(n, sum, sq, lo, hi)
	case ML4PayloadBytes:
		return u(nL4, f.l4Sum, f.l4SumSq, f.l4Min, f.l4Max)
	case MPackets:
		return u(n, n, n, 1, 1)
	}
	c := uint64(f.counts[id-MFragments]) + f.carried(carryL4+1+id-MFragments)
	return u(c, c, c, 1, 1)
}

// IntMetrics writes this interval's aggregate of every fixed metric to
// out, as integers: out[id].Stat() is Metric(id) (an empty aggregate for a
// metric without packets). One call reads the flow's counters and carries
// once, where a report asking Metric for each of the NumFixed ids took
// about 70 instructions each (issue 14).
func (f *Flow) IntMetrics(out *[NumFixed]stat.Ints) {
	n, nL4 := uint64(f.n), uint64(f.nL4)
	var carry *[carryL4 + 1 + NumFixed - MFragments]uint64
	if f.x != nil {
		carry = f.x.wide.carry
	}
	if carry != nil {
		n, nL4 = n+carry[carryN], nL4+carry[carryL4]
	}
	if n > 0 {
		out[MIPBytes] = stat.Ints{N: n, Sum: f.ipSum, SumSq: f.ipSumSq, Min: uint64(f.ipMin), Max: uint64(f.ipMax)}
		tlo, thi, dlo, dhi := uint64(f.td&0xff), uint64(f.td>>8&0xff), uint64(f.td>>16&0xff), uint64(f.td>>24)
		// the value of every packet, while constant
		out[MTTL] = stat.Ints{N: n, Sum: n * tlo, SumSq: n * tlo * tlo, Min: tlo, Max: thi}
		out[MDSCP] = stat.Ints{N: n, Sum: n * dlo, SumSq: n * dlo * dlo, Min: dlo, Max: dhi}
		if f.x != nil && f.x.wide.on {
			w := &f.x.wide
			out[MTTL].Sum, out[MTTL].SumSq = w.ttlSum, w.ttlSq
			out[MDSCP].Sum, out[MDSCP].SumSq = w.dscpSum, w.dscpSq
		}
		out[MPackets] = stat.Ints{N: n, Sum: n, SumSq: n, Min: 1, Max: 1}
	} else {
		out[MIPBytes], out[MTTL], out[MDSCP], out[MPackets] = stat.Ints{}, stat.Ints{}, stat.Ints{}, stat.Ints{}
	}
	if nL4 > 0 {
		out[ML4PayloadBytes] = stat.Ints{N: nL4, Sum: f.l4Sum, SumSq: f.l4SumSq, Min: uint64(f.l4Min), Max: uint64(f.l4Max)}
	} else {
		out[ML4PayloadBytes] = stat.Ints{}
	}
	for i, v := range f.counts {
		c := uint64(v)
		if carry != nil {
			c += carry[carryL4+1+i]
		}
		if c > 0 {
			out[MFragments+i] = stat.Ints{N: c, Sum: c, SumSq: c, Min: 1, Max: 1}
		} else {
			out[MFragments+i] = stat.Ints{}
		}
	}
}
