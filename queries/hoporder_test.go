package queries

import (
	"reflect"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// labPath is the lab's path, the hops of its class in path order
// (testsamples.LabPath).
var labPath = testsamples.LabPath

// TestOnewayHopsInPathOrder: lab/oneway-udp replayed at its four capture
// points with the class's hops [A, RC, RS, B] (samples/oneway-lab.yaml's
// class, whose comment says to set so), each one-way query lists a flow's
// hop pairs along that path: the segments A>RC, RC>RS, RS>B, then end to
// end A>B (the reconciler's consecutive pairs and the end-to-end one,
// design 4.3). Before the hop indices they came alphabetically: A>B, A>RC,
// RC>RS, RS>B. The wide forms' from_hop_index and to_hop_index are the
// hops' positions on that path.
func TestOnewayHopsInPathOrder(t *testing.T) {
	db, err := Open(testsamples.ReplayOnewayLab(t, labPath, "--rollup"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	want := []string{"A>RC", "RC>RS", "RS>B", "A>B"}
	for _, name := range []string{"oneway", "ipdv", "loss-pattern", "oneway-hourly"} {
		q, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		res := run(t, db, q.SQL)
		flow, hops := slices.Index(res.Columns, "flow"), slices.Index(res.Columns, "hops")
		seq := map[string][]string{} // flow -> its hop pairs as they come, each once
		for _, r := range res.Rows {
			f, h := r[flow].(string), r[hops].(string)
			if s := seq[f]; len(s) == 0 || s[len(s)-1] != h {
				seq[f] = append(s, h)
			}
		}
		if len(seq) == 0 {
			t.Errorf("%s: no rows", name)
		}
		for f, s := range seq {
			if !reflect.DeepEqual(s, want) {
				t.Errorf("%s, flow %s: hop pairs %v, want the path's %v", name, f, s, want)
			}
		}

		res = run(t, db, q.Wide)
		from, to := slices.Index(res.Columns, "from_hop"), slices.Index(res.Columns, "to_hop")
		fromIdx, toIdx := slices.Index(res.Columns, "from_hop_index"), slices.Index(res.Columns, "to_hop_index")
		if fromIdx < 0 || toIdx < 0 {
			t.Errorf("%s --wide: no from_hop_index/to_hop_index in %v", name, res.Columns)
			continue
		}
		for _, r := range res.Rows {
			if num(t, r[fromIdx]) != float64(slices.Index(labPath, r[from].(string))) || num(t, r[toIdx]) != float64(slices.Index(labPath, r[to].(string))) {
				t.Errorf("%s --wide: %v>%v at positions %v>%v, want their places in %v", name, r[from], r[to], r[fromIdx], r[toIdx], labPath)
				break
			}
		}
	}
}
