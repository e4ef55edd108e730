package report

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestChartsHopsInPathOrder: lab/oneway-udp replayed at its four capture
// points with the class's hops [A, RC, RS, B] and --rollup
// (testsamples.LabPath, as queries' TestOnewayHopsInPathOrder replays
// it), the report's one-way delay and loss charts and its one-way delay
// histograms come in the flow's path order, A → RC, RC → RS, RS → B, then
// end to end A → B, as the one-way queries list the pairs (they came by
// name: A → B first). The same output rewritten without the hop indices,
// raw tables and rollups (an output written before them:
// testdb.DropColumns), keeps the name order.
func TestChartsHopsInPathOrder(t *testing.T) {
	out := testsamples.ReplayOnewayLab(t, testsamples.LabPath, "--rollup")
	checkChartHops(t, out, "", []string{"A → RC", "RC → RS", "RS → B", "A → B"})

	for _, table := range []string{observe.TableOnewayLoss, observe.TableOnewayLatency, observe.TableOnewayDelays,
		"oneway_loss_1m", "oneway_loss_1h", "oneway_loss_1d", "oneway_latency_1m", "oneway_latency_1h", "oneway_latency_1d"} {
		testdb.DropColumns(t, out, table, "from_hop_index", "to_hop_index")
	}
	checkChartHops(t, out, "old output: ", []string{"A → B", "A → RC", "RC → RS", "RS → B"})
}

// checkChartHops builds the report of out and checks the hop pairs of its
// one-way charts and histograms, in their order, against want.
func checkChartHops(t *testing.T, out, what string, want []string) {
	t.Helper()
	d, err := Build(context.Background(), testdb.Open(t, out), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// "One-way telemetry *>198.51.100.10:9000, A → RC, per 10 s"
	var series, hists []string
	for _, s := range d.Series {
		if f := strings.Split(s.Title, ", "); strings.HasPrefix(s.Title, "One-way ") && len(f) == 3 {
			series = append(series, f[1])
		}
	}
	// "One-way delay telemetry *>198.51.100.10:9000, A → RC"
	for _, h := range d.Histograms {
		if f := strings.Split(h.Title, ", "); strings.HasPrefix(h.Title, "One-way delay ") && len(f) == 2 {
			hists = append(hists, f[1])
		}
	}
	if !reflect.DeepEqual(series, want) {
		t.Errorf("%sone-way charts' hop pairs %v, want %v", what, series, want)
	}
	if !reflect.DeepEqual(hists, want) {
		t.Errorf("%sone-way histograms' hop pairs %v, want %v", what, hists, want)
	}
}
