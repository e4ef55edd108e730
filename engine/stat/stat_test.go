package stat

import (
	"math"
	"testing"
)

func TestAddMergeMoments(t *testing.T) {
	var a, b, all Stat
	for _, v := range []float64{40, 1500, 576} {
		a.Add(v)
		all.Add(v)
	}
	for _, v := range []float64{60, 1500} {
		b.Add(v)
		all.Add(v)
	}
	a.Merge(b)
	if a != all {
		t.Fatalf("merge %+v != direct %+v", a, all)
	}
	// 40, 1500, 576, 60, 1500: n 5, sum 3676, min 40, max 1500.
	if a.N != 5 || a.Sum != 3676 || a.Min != 40 || a.Max != 1500 || a.SumSq != 40*40+1500*1500+576*576+60*60+1500*1500 {
		t.Errorf("%+v", a)
	}
	mean := 3676.0 / 5
	want := math.Sqrt((40*40+1500*1500+576*576+60*60+1500*1500)/5.0 - mean*mean)
	if math.Abs(a.Mean()-mean) > 1e-9 || math.Abs(a.StdDev()-want) > 1e-9 {
		t.Errorf("mean %g stddev %g, want %g %g", a.Mean(), a.StdDev(), mean, want)
	}
	var empty Stat
	empty.Merge(Stat{})
	if empty.N != 0 || !math.IsNaN(empty.Mean()) || !math.IsNaN(empty.StdDev()) {
		t.Errorf("empty %+v", empty)
	}
	var c Stat
	c.Count()
	c.Count()
	if c.N != 2 || c.Sum != 2 || c.SumSq != 2 || c.Min != 1 || c.Max != 1 {
		t.Errorf("counts %+v", c)
	}
}

// TestIntsStat checks Ints.Stat against Stat.Add of the same values, and
// the empty aggregate.
func TestIntsStat(t *testing.T) {
	var want Stat
	var got Ints
	for i, v := range []uint64{40, 1500, 576} {
		want.Add(float64(v))
		if i == 0 {
			got.Min, got.Max = v, v
		}
		got.N++
		got.Sum += v
		got.SumSq += v * v
		got.Min, got.Max = min(got.Min, v), max(got.Max, v)
	}
	if got.Stat() != want {
		t.Errorf("Ints %+v as %+v, want %+v", got, got.Stat(), want)
	}
	empty := Ints{Sum: 3, Min: 1} // N == 0: empty whatever the rest holds
	if empty.Stat() != (Stat{}) {
		t.Errorf("empty Ints as %+v", empty.Stat())
	}
}
