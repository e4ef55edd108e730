package config

import (
	"math"
	"slices"
	"strings"
)

// validateOneway checks a class's oneway settings (analysis oneway): the
// hops, the signature, the mask against the granularity, the latency pair
// and the timers.
func (cl *Class) validateOneway(bad func(int, string, string, ...any) error, f string) error {
	o := &cl.Oneway
	if len(o.Hops) < 2 {
		return bad(cl.line, f+".oneway.hops", "a one-way path needs at least two hops, got %d", len(o.Hops))
	}
	seen := map[string]bool{}
	for _, h := range o.Hops {
		if h == "" || seen[h] {
			return bad(cl.line, f+".oneway.hops", "hop %q is empty or named twice", h)
		}
		seen[h] = true
	}
	if o.SignatureBits < 16 || o.SignatureBits > 64 {
		return bad(cl.line, f+".oneway.signature_bits", "must be between 16 and 64 (0 or absent: 32), got %d", o.SignatureBits)
	}
	for _, m := range o.Mask {
		if !slices.Contains(MaskFields, m) {
			return bad(cl.line, f+".oneway.mask", "unknown field %q (known: %s)", m, strings.Join(MaskFields, ", "))
		}
	}
	for _, g := range cl.Granularity {
		if slices.Contains(o.Mask, g) {
			return bad(cl.line, f+".granularity", "%q is also in oneway.mask: a field a hop rewrites cannot identify a one-way flow (every hop must put a packet in the same flow)", g)
		}
	}
	// The latency pair: two hops of the path, in the packets' direction (a
	// trial's to: naming no hop read "from "A" and to "B" must be two
	// different hops"; from after to passed here and stopped the run later,
	// without file or line, in engine/oneway's check).
	hops := strings.Join(o.Hops, ", ")
	from, to := slices.Index(o.Hops, o.Latency.From), slices.Index(o.Hops, o.Latency.To)
	switch {
	case from < 0:
		return bad(cl.line, f+".oneway.latency", "from %q is not one of the hops (%s)", o.Latency.From, hops)
	case to < 0:
		return bad(cl.line, f+".oneway.latency", "to %q is not one of the hops (%s)", o.Latency.To, hops)
	case from == to:
		return bad(cl.line, f+".oneway.latency", "from %q and to %q must be two different hops", o.Latency.From, o.Latency.To)
	case from > to:
		return bad(cl.line, f+".oneway.latency", "from %q must come before to %q on the path (hops: %s, in the packets' direction)", o.Latency.From, o.Latency.To, hops)
	}
	if !ascending(o.Latency.SlicesMs) {
		return bad(cl.line, f+".oneway.latency.slices_ms", "must be positive and ascending")
	}
	if u := o.TimeUnitNs; u != 0 && u != 1 && u != 10 && u != 100 && u != 1000 {
		return bad(cl.line, f+".oneway.time_unit_ns", "must be 1, 10, 100 or 1000 (0 or absent: 1), got %d", u)
	}
	if !(o.TimeoutS > 0) || math.IsInf(o.TimeoutS, 0) { // also NaN
		return bad(cl.line, f+".oneway.timeout_s", "must be a positive number of seconds (0 or absent: 5), got %g", o.TimeoutS)
	}
	return nil
}

func ascending(v []float64) bool {
	for i, x := range v {
		if x <= 0 || (i > 0 && x <= v[i-1]) {
			return false
		}
	}
	return true
}
