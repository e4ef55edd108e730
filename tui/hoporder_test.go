package tui

import (
	"context"
	"os"
	"path/filepath"
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
	d := detailOfLab(t, out)
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

// TestDetailMergedOldNewOnePair: an output merged (tmonbench merge)
// before merge placed the older rows' hops holds a one-way table's rows
// twice when its two sources were collectors of the same observations,
// once with the hop indices and once without (NULL: a source written
// before them). `tmonbench query oneway` lists each hop pair once
// (queries.OnewayRowsMacro, TestRawOnewayOldNewOnePair); the flow
// detail read the raw tables and listed every pair twice in each
// interval, in path order then by name (A>RC RC>RS RS>B A>B A>B A>RC
// RC>RS RS>B). Built here from lab/oneway-udp replayed at its four
// capture points and a copy of its one-way parts without the index
// columns (testdb.DropColumns) beside them: the detail's one-way
// sections are row for row those of the replay alone, each pair once
// along the path, and its loss section has as many rows as the oneway
// query has for the flow.
func TestDetailMergedOldNewOnePair(t *testing.T) {
	out := testsamples.ReplayOnewayLab(t, testsamples.LabPath)
	alone := detailOfLab(t, out)
	old := filepath.Join(t.TempDir(), "old")
	if err := os.CopyFS(old, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{observe.TableOnewayLoss, observe.TableOnewayLatency, observe.TableOnewayDelays} {
		testdb.DropColumns(t, old, table, "from_hop_index", "to_hop_index")
		testdb.CopyParts(t, old, out, table)
	}
	if got := testdb.Query(t, out, "SELECT count(*) FILTER (from_hop_index IS NULL) = count(*) FILTER (from_hop_index IS NOT NULL) FROM oneway_loss"); got != "true\n" {
		t.Fatalf("merged output: older rows as many as newer: %s", got)
	}
	checkDetailHops(t, out, "merged output: ", []string{"A>RC", "RC>RS", "RS>B", "A>B"})
	merged := detailOfLab(t, out)
	for _, s := range []struct {
		name        string
		got, before *queries.Result
	}{{"latency", merged.latency, alone.latency}, {"loss", merged.loss, alone.loss}, {"variation", merged.variation, alone.variation}} {
		if !reflect.DeepEqual(s.got.Rows, s.before.Rows) {
			t.Errorf("merged output: %s section: %d rows, want the replay's %d, row for row", s.name, len(s.got.Rows), len(s.before.Rows))
		}
	}
	q, err := queries.Get("oneway")
	if err != nil {
		t.Fatal(err)
	}
	res, err := queries.Run(testdb.Open(t, out), "SELECT count(*) FROM ("+q.Wide+") WHERE class = 'telemetry' AND flow = '"+toString(merged.flow["name"])+"'")
	if err != nil {
		t.Fatal(err)
	}
	if n := queries.Int64(res.Rows[0][0]); n != int64(len(merged.loss.Rows)) || n == 0 {
		t.Errorf("merged output: the oneway query has %d rows of the flow, the detail's loss section %d", n, len(merged.loss.Rows))
	}
}

// detailOfLab loads the flow detail of the lab's datagrams at A in out.
func detailOfLab(t *testing.T, out string) *detailData {
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
	return d
}
