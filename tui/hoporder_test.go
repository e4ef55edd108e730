package tui

import (
	"context"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/queries"
)

// TestDetailHopsInPathOrder: lab/oneway-udp replayed at its four capture
// points with the class's hops [A, RC, RS, B] (testsamples.LabPath, as
// queries' TestOnewayHopsInPathOrder replays it), the flow detail of the
// datagrams' flow at A lists, in each interval, the hop pairs of its
// one-way sections (latency, loss, delay variation) along the path: A>RC,
// RC>RS, RS>B, then end to end A>B, as the one-way queries do (they came
// by name: A>B, A>RC, RC>RS, RS>B). The same output rewritten without the
// hop indices (an output written before them: testdb.DropColumns) keeps
// the name order.
func TestDetailHopsInPathOrder(t *testing.T) {
	out := testsamples.ReplayOnewayLab(t, testsamples.LabPath)
	path := []string{"A>RC", "RC>RS", "RS>B", "A>B"}
	checkDetailHops(t, out, "", path)

	for _, table := range []string{observe.TableOnewayLoss, observe.TableOnewayLatency, observe.TableOnewayDelays} {
		testdb.DropColumns(t, out, table, "from_hop_index", "to_hop_index")
	}
	checkDetailHops(t, out, "old output: ", []string{"A>B", "A>RC", "RC>RS", "RS>B"})
}

// checkDetailHops loads the flow detail of the lab's datagrams at A in
// out and checks that each one-way section gives, in every interval, the
// hop pairs want in that order.
func checkDetailHops(t *testing.T, out, what string, want []string) {
	t.Helper()
	db := testdb.Open(t, out)
	var id int64
	if err := db.QueryRow("SELECT flow_id FROM flows WHERE probe = 'A' AND class = 'telemetry' AND dst_port = 9000").Scan(&id); err != nil {
		t.Fatal(err)
	}
	d, err := loadDetail(context.Background(), db, flowRef{probe: "A", flowID: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		res  *queries.Result
	}{{"latency", d.latency}, {"loss", d.loss}, {"variation", d.variation}} {
		if s.res == nil || len(s.res.Rows) == 0 || s.res.Columns[0] == "error" {
			t.Errorf("%s%s section: %+v", what, s.name, s.res)
			continue
		}
		perInterval := map[int64][]string{}
		var order []int64
		for _, r := range s.res.Rows {
			at := queries.Int64(r[0])
			if perInterval[at] == nil {
				order = append(order, at)
			}
			perInterval[at] = append(perInterval[at], toString(r[1])+">"+toString(r[2]))
		}
		for _, at := range order {
			if got := perInterval[at]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s%s section, interval %d: hop pairs %v, want %v", what, s.name, at, got, want)
			}
		}
	}
}
