package collector

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/oneway"
)

// TestOnewayTotalsNames pins the oneway_totals message: every field of
// oneway.Stats in order, under the name the collector's own snake_case
// rule gave it before observe.CounterName served both the probe's and the
// collector's totals events (the want string is that rule's output, a '_'
// before each capital that follows a non-capital, over the field names of
// engine/oneway/reconcile.go).
func TestOnewayTotalsNames(t *testing.T) {
	var st oneway.Stats
	v := reflect.ValueOf(&st).Elem()
	for i := range v.NumField() {
		v.Field(i).SetUint(uint64(i + 1))
	}
	want := " observations=1 matched=2 records=3 collisions=4 duplicates=5 delivered=6 lost=7 missed=8 dropped=9 unreported=10" +
		" negative_delays=11 late=12 repeats=13 repeats_classified=14 evicted=15 flows_full=16 bad_hop=17 drop_ranges_full=18" +
		" intervals=19 flows_expired=20 silent_hops=21" // silent_hops: Stats.SilentHops (the silent-hop wait), by the same rule
	if got := onewayTotals(&st); got != want {
		t.Errorf("onewayTotals:\n got %q\nwant %q", got, want)
	}
}
