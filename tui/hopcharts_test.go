package tui

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestDetailLatencyPerHopPair: lab/oneway-udp replayed at its four
// capture points (hops [A, RC, RS, B]: testsamples.LabPath), the flow
// detail of the datagrams' flow at A charted the p50 and p99 one-way
// delay of every row as one series: A>RC, RC>RS, RS>B and A>B of one
// interval side by side as four intervals. Now each hop pair has its
// series, under its name, in path order (A>RC, RC>RS, RS>B, then A>B,
// as the detail's tables and the report order them: hopOrder), its
// values those of oneway_latency for that pair by interval.
func TestDetailLatencyPerHopPair(t *testing.T) {
	out := testsamples.ReplayOnewayLab(t, testsamples.LabPath)
	db := testdb.Open(t, out)
	var id int64
	var name string
	if err := db.QueryRow("SELECT flow_id, name FROM flows WHERE probe = 'A' AND class = 'telemetry' AND dst_port = 9000").Scan(&id, &name); err != nil {
		t.Fatal(err)
	}
	dd, err := loadDetail(context.Background(), db, flowRef{probe: "A", flowID: id})
	if err != nil {
		t.Fatal(err)
	}
	series := latencySeries(dd.latency)
	var pairs []string
	for _, s := range series {
		pairs = append(pairs, s.from+">"+s.to)
		want := func(col string) []float64 {
			var v []float64
			rows, err := db.Query("SELECT "+col+" FROM oneway_latency WHERE class = 'telemetry' AND flow = ? AND from_hop = ? AND to_hop = ? ORDER BY interval_start", name, s.from, s.to)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var x float64
				if err := rows.Scan(&x); err != nil {
					t.Fatal(err)
				}
				v = append(v, x)
			}
			return v
		}
		if p50 := want("p50_us"); !reflect.DeepEqual(s.p50, p50) {
			t.Errorf("%s>%s p50 %v, want %v (oneway_latency)", s.from, s.to, s.p50, p50)
		}
		if p99 := want("p99_us"); !reflect.DeepEqual(s.p99, p99) {
			t.Errorf("%s>%s p99 %v, want %v (oneway_latency)", s.from, s.to, s.p99, p99)
		}
	}
	if path := []string{"A>RC", "RC>RS", "RS>B", "A>B"}; !reflect.DeepEqual(pairs, path) {
		t.Fatalf("series of hop pairs %v, want %v", pairs, path)
	}

	// drawn under their names, in that order, before the latency table
	m := newTestModel(t, out)
	d := &detail{d: dd}
	page := ansi.Strip(d.render(m.e, 120))
	sec := page[strings.Index(page, "One-way latency"):]
	sec = sec[:strings.Index(sec, "interval_start")]
	at := -1
	for _, p := range []string{"A → RC", "RC → RS", "RS → B", "A → B"} {
		i := strings.Index(sec, p+"\n")
		if i <= at {
			t.Fatalf("pair %s not drawn after the previous one:\n%s", p, sec)
		}
		at = i
	}
	if n := strings.Count(sec, "p50 µs per interval"); n != 4 {
		t.Fatalf("%d p50 charts, want 4 (one per hop pair):\n%s", n, sec)
	}
}
