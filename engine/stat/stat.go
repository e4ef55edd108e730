// Package stat holds the aggregate every counter is kept as: population,
// sum, sum of squares, minimum and maximum (design 1.11), so that intervals,
// flows and probes merge without losing mean or variance.
package stat

import "math"

// Stat aggregates values. The zero value is empty (N == 0); Min and Max are
// meaningful only when N > 0.
type Stat struct {
	N     uint64
	Sum   float64
	SumSq float64
	Min   float64
	Max   float64
}

// Ints is an aggregate of non-negative integer values kept as integers
// (a flow's interval counters, engine/flow): population, sum, sum of
// squares, minimum and maximum as in Stat, converted to floats only when
// read as a Stat. The zero value is empty (N == 0); Min and Max are
// meaningful only when N > 0.
type Ints struct {
	N, Sum, SumSq, Min, Max uint64
}

// Stat returns s as a Stat: each field converted to float64 (exactly
// below 2^53), the zero Stat when s is empty.
func (s *Ints) Stat() Stat {
	if s.N == 0 {
		return Stat{}
	}
	return Stat{N: s.N, Sum: float64(s.Sum), SumSq: float64(s.SumSq), Min: float64(s.Min), Max: float64(s.Max)}
}

// Add adds one value.
func (s *Stat) Add(v float64) {
	if s.N == 0 || v < s.Min {
		s.Min = v
	}
	if s.N == 0 || v > s.Max {
		s.Max = v
	}
	s.N++
	s.Sum += v
	s.SumSq += v * v
}

// Count adds one event: a value of 1 (so Sum == N and Min == Max == 1).
func (s *Stat) Count() { s.Add(1) }

// Merge adds every value aggregated in o.
func (s *Stat) Merge(o Stat) {
	if o.N == 0 {
		return
	}
	if s.N == 0 || o.Min < s.Min {
		s.Min = o.Min
	}
	if s.N == 0 || o.Max > s.Max {
		s.Max = o.Max
	}
	s.N += o.N
	s.Sum += o.Sum
	s.SumSq += o.SumSq
}

// Mean returns Sum/N, or NaN when empty.
func (s Stat) Mean() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	return s.Sum / float64(s.N)
}

// StdDev returns the population standard deviation, or NaN when empty.
func (s Stat) StdDev() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	m := s.Mean()
	v := s.SumSq/float64(s.N) - m*m
	if v < 0 {
		v = 0
	}
	return math.Sqrt(v)
}
