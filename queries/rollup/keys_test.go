package rollup

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestOnewayKeys: the one-way rollups group by observe.OnewayKey's
// columns but the interval (docs/tables.md's oneway_latency and
// oneway_loss: the five before interval_start, and the hop indices after
// interval_s), oneway_latency's by its slices too.
func TestOnewayKeys(t *testing.T) {
	want := []string{"class", "flow_id", "flow", "from_hop", "to_hop", "from_hop_index", "to_hop_index"}
	for _, tab := range Tables {
		switch tab.Name {
		case observe.TableOnewayLatency:
			if w := append(slices.Clone(want), "slices_ms"); !slices.Equal(tab.Keys, w) {
				t.Errorf("%s keys %v, want %v", tab.Name, tab.Keys, w)
			}
		case observe.TableOnewayLoss:
			if !slices.Equal(tab.Keys, want) {
				t.Errorf("%s keys %v, want %v", tab.Name, tab.Keys, want)
			}
		}
	}
}
