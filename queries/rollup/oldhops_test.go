package rollup

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/queries/enrich"
)

// returnPath is the lab's server-to-client path (/work/shared/lab/README.md:
// B at the server side, RS and RC the router's links, A the client), the
// hops of a one-way class of the replies in the order they travel.
var returnPath = []string{"B", "RS", "RC", "A"}

// hopStart is the interval hopRows writes by default:
// 2026-11-29T00:00:00Z.
const hopStart = int64(1795910400) * 1e9

// hopRows writes one 10 s interval, from start (Unix ns), of oneway_loss,
// oneway_latency and oneway_delays rows for each hop pair the reconciler
// gives a four-hop class (consecutive pairs, then end to end:
// engine/oneway pairsOf), 2 datagrams sent and delivered each, and
// returns the output folder.
func hopRows(t *testing.T, start int64) string {
	t.Helper()
	out, run := beginRun(t)
	defer run.Abort()
	var loss []observe.OnewayLoss
	var lat []observe.OnewayLatency
	var delays []observe.OnewayDelay
	for _, p := range [][2]int{{0, 1}, {1, 2}, {2, 3}, {0, 3}} {
		key := observe.OnewayKey{Class: "replies", FlowID: 1, Flow: "*>10.10.1.100", FromHop: returnPath[p[0]], ToHop: returnPath[p[1]],
			IntervalStart: start, IntervalS: 10, FromHopIndex: uint8(p[0]), ToHopIndex: uint8(p[1])}
		loss = append(loss, observe.OnewayLoss{OnewayKey: key, Sent: 2, Delivered: 2})
		lat = append(lat, observe.OnewayLatency{OnewayKey: key, N: 2, Sum: 30, SumSq: 500, Min: 10, Max: 20, P50Us: 10, P90Us: 20, P99Us: 20,
			SlicesMs: []float64{1}, SliceCounts: []uint64{2, 0}})
		for i, d := range []float64{10, 20} {
			send, recv := start+int64(i)*1e6, start+int64(i)*1e6+int64(d*1e3)
			delays = append(delays, observe.OnewayDelay{Class: "replies", FlowID: 1, Flow: "*>10.10.1.100", FromHop: key.FromHop, ToHop: key.ToHop,
				SendTime: &send, RecvTime: &recv, DelayUs: &d, SizeBytes: 84, Status: "delivered", Signature: uint64(i),
				FromHopIndex: key.FromHopIndex, ToHopIndex: key.ToHopIndex})
		}
	}
	// a probe flow of the one-way flow's name: the report's filter macro
	// (oneway-hourly) reads flows and the addresses rollup writes; the
	// same row whatever start (outputs of one run's flow: they merge)
	flows := []observe.Flow{{FlowID: 1, Probe: "B", Class: "replies", Name: "*>10.10.1.100", IPVersion: 4, Protocol: 1,
		SrcAddr: "198.51.100.10", DstAddr: "10.10.1.100", FirstSeen: hopStart, LastSeen: hopStart + 20e9, Packets: 2, Bytes: 168}}
	for _, err := range []error{
		second(store.Append(run, observe.TableFlows, flows)),
		second(store.Append(run, observe.TableOnewayLoss, loss)),
		second(store.Append(run, observe.TableOnewayLatency, lat)),
		second(store.Append(run, observe.TableOnewayDelays, delays)),
		run.Finish(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// rollupOf does what `tmonbench rollup` does to out: the rollups, then the
// addresses table (oneway-hourly's filter macro reads it).
func rollupOf(t *testing.T, out string) {
	t.Helper()
	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Build(context.Background(), db, out); err != nil {
		t.Fatalf("rollup: %v", err)
	}
	if _, err := enrich.Build(context.Background(), db, out, enrich.Options{}); err != nil {
		t.Fatalf("addresses: %v", err)
	}
}

// hopsOf runs the named query name (its short form) over out and returns
// its hops column.
func hopsOf(t *testing.T, out, name string) []string {
	t.Helper()
	q, err := queries.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	db := testdb.Open(t, out)
	res, err := queries.Run(db, q.SQL)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var hops []string
	for _, r := range res.Rows {
		hops = append(hops, r[slices.Index(res.Columns, "hops")].(string))
	}
	if _, err := queries.Run(db, q.Wide); err != nil {
		t.Fatalf("%s --wide: %v", name, err)
	}
	return hops
}

// TestOnewayHopOrderOldOutput: the one-way queries list a class's hop
// pairs along its path (B>RS, RS>RC, RC>A, then end to end B>A for the
// lab's return path), and still run over an output written before
// from_hop_index and to_hop_index were columns (the files rewritten
// without them): queries.Open reads them as NULL there, and the pairs keep
// their old alphabetical order (B>A, B>RS, RC>A, RS>RC). Rollup builds
// from such raw tables, and oneway-hourly runs over rollups written
// without the columns. Without Open's NULL columns every one of these
// queries fails ("Referenced column from_hop_index not found").
func TestOnewayHopOrderOldOutput(t *testing.T) {
	out := hopRows(t, hopStart)
	path := []string{"B>RS", "RS>RC", "RC>A", "B>A"}
	for _, name := range []string{"oneway", "ipdv", "loss-pattern"} {
		if got := hopsOf(t, out, name); !reflect.DeepEqual(got, path) {
			t.Errorf("%s: hops %v, want the path's %v", name, got, path)
		}
	}
	rollupOf(t, out)
	if got := hopsOf(t, out, "oneway-hourly"); !reflect.DeepEqual(got, path) {
		t.Errorf("oneway-hourly: hops %v, want the path's %v", got, path)
	}

	old := hopRows(t, hopStart)
	for _, table := range []string{observe.TableOnewayLoss, observe.TableOnewayLatency, observe.TableOnewayDelays} {
		testdb.DropColumns(t, old, table, "from_hop_index", "to_hop_index")
	}
	alphabetical := []string{"B>A", "B>RS", "RC>A", "RS>RC"}
	for _, name := range []string{"oneway", "ipdv", "loss-pattern"} {
		if got := hopsOf(t, old, name); !reflect.DeepEqual(got, alphabetical) {
			t.Errorf("old output, %s: hops %v, want %v", name, got, alphabetical)
		}
	}
	rollupOf(t, old)
	for _, table := range []string{"oneway_loss_1h", "oneway_latency_1h"} {
		testdb.DropColumns(t, old, table, "from_hop_index", "to_hop_index")
	}
	if got := hopsOf(t, old, "oneway-hourly"); !reflect.DeepEqual(got, alphabetical) {
		t.Errorf("old rollups, oneway-hourly: hops %v, want %v", got, alphabetical)
	}
}
