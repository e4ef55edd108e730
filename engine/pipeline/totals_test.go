package pipeline

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/probe"
)

// fillCounters sets every counter of v (unsigned and signed integers, in
// nested structs and arrays, as probe.Stats.Add walks them) to mul times
// its ordinal (1, 2, ...) and returns how many it set; a field of any
// other type fails the test, since Add would not sum it.
func fillCounters(t *testing.T, v reflect.Value, path string, mul uint64, n *int) {
	switch v.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		*n++
		v.SetUint(mul * uint64(*n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		*n++
		v.SetInt(int64(mul) * int64(*n))
	case reflect.Array:
		for i := range v.Len() {
			fillCounters(t, v.Index(i), path, mul, n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				t.Fatalf("%s.%s is unexported: Add leaves it out", path, v.Type().Field(i).Name)
			}
			fillCounters(t, v.Field(i), path+"."+v.Type().Field(i).Name, mul, n)
		}
	default:
		t.Fatalf("%s is a %s, not a counter", path, v.Kind())
	}
}

// TestProbeTotalsEveryField: ProbeTotals sums every counter of
// probe.Stats, nested ones (Reasm) included, not a hand-kept list of
// them (it left out FragsNotHeld, the capture-time counters and Reasm):
// the k-th counter is k in one probe and 100k in the other, so 101k in
// the sum (arithmetic), and 0 + k with a zero probe.
func TestProbeTotalsEveryField(t *testing.T) {
	var a, b, want probe.Stats
	var na, nb, nw int
	fillCounters(t, reflect.ValueOf(&a).Elem(), "Stats", 1, &na)
	fillCounters(t, reflect.ValueOf(&b).Elem(), "Stats", 100, &nb)
	fillCounters(t, reflect.ValueOf(&want).Elem(), "Stats", 101, &nw)
	if na < 33 {
		t.Fatalf("%d counters in probe.Stats, want at least its own 17 and reasm's 16", na)
	}
	r := Result{Probes: []probe.Stats{a, b}}
	if got := r.ProbeTotals(); got != want {
		t.Errorf("ProbeTotals = %+v, want %+v", got, want)
	}
	r = Result{Probes: []probe.Stats{{}, a}}
	if got := r.ProbeTotals(); got != a {
		t.Errorf("ProbeTotals of a zero probe and one = %+v, want %+v", got, a)
	}
}
