package queries

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestIPDVQueryTruth: the ipdv query over lab/oneway-udp at A and B
// (samples/oneway-lab.yaml, 10 s intervals) against ground_truth.csv,
// where the datagrams' sequence numbers give the send order and a missing
// ts_b_ns a loss. Per interval of packet i's send time at A: the pairs of
// consecutive sequence numbers both delivered (RFC 3393 §2.4: undefined
// when either is lost), their IPDV D(i) - D(i-1) mean, min and max, the
// nearest-rank p50 and p99 of |IPDV|, and PDV p50 and p99 (RFC 5481 §4.2:
// the delay's nearest-rank percentile minus the interval's smallest
// delay), each within 2 µs (two delays, each within 1 µs of the lab
// clock; the query rounds to 0.1 µs).
func TestIPDVQueryTruth(t *testing.T) {
	cfg := filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml")
	rows := namedRows(t, "ipdv", "--config", cfg,
		"--probe", "A="+testsamples.Path(t, "lab", "oneway-udp", "A.pcap"), "--probe", "B="+testsamples.Path(t, "lab", "oneway-udp", "B.pcap"))
	type agg struct {
		ipdv, delays []float64
	}
	const intervalNs = 10e9
	truth := map[int64]*agg{}
	prev := math.NaN() // D(i-1), NaN when lost
	for _, x := range labUDPTruth(t) {
		k := x.a / intervalNs * intervalNs
		if truth[k] == nil {
			truth[k] = &agg{}
		}
		d := math.NaN()
		if x.delivered {
			d = float64(x.b-x.a) / 1e3
			truth[k].delays = append(truth[k].delays, d)
			if !math.IsNaN(prev) {
				truth[k].ipdv = append(truth[k].ipdv, d-prev)
			}
		}
		prev = d
	}
	if len(rows) != len(truth) || len(rows) != 2 {
		t.Fatalf("%d rows, the truth has %d intervals", len(rows), len(truth))
	}
	rank := func(sorted []float64, q float64) float64 { // nearest rank, as quantile_disc
		return sorted[max(int(math.Ceil(q*float64(len(sorted)))), 1)-1]
	}
	for _, r := range rows {
		start, _ := r["interval_start"].(time.Time)
		g := truth[start.UnixNano()]
		if g == nil || r["from_hop"] != "A" || r["to_hop"] != "B" {
			t.Fatalf("row %v not in the truth", r)
		}
		if got := num(t, r["pairs"]); got != float64(len(g.ipdv)) {
			t.Errorf("interval %v: %v pairs, truth %d", start, got, len(g.ipdv))
		}
		sum := 0.0
		abs := make([]float64, len(g.ipdv))
		for i, v := range g.ipdv {
			sum += v
			abs[i] = math.Abs(v)
		}
		slices.Sort(abs)
		slices.Sort(g.delays)
		for _, c := range []struct {
			col  string
			want float64
		}{
			{"ipdv_mean_us", sum / float64(len(g.ipdv))},
			{"ipdv_min_us", slices.Min(g.ipdv)},
			{"ipdv_max_us", slices.Max(g.ipdv)},
			{"ipdv_abs_p50_us", rank(abs, 0.5)},
			{"ipdv_abs_p99_us", rank(abs, 0.99)},
			{"pdv_p50_us", rank(g.delays, 0.5) - g.delays[0]},
			{"pdv_p99_us", rank(g.delays, 0.99) - g.delays[0]},
		} {
			if got := num(t, r[c.col]); math.Abs(got-c.want) > 2 {
				t.Errorf("interval %v: %s %v, truth %.3f", start, c.col, got, c.want)
			}
		}
	}
}

// delay is packet seq of testDelays: sent at A at 1700000000 s + seq ms,
// with delay us µs when delivered or a copy.
func delay(seq int64, us float64, status string) observe.OnewayDelay {
	send := int64(1700000000000000000) + seq*1_000_000
	d := observe.OnewayDelay{Class: "telemetry", FlowID: 1, Flow: "*>198.51.100.10:9000", FromHop: "A", ToHop: "B",
		SendTime: ptr(send), SizeBytes: 100, Status: status, Signature: uint64(seq)}
	if status == "delivered" || status == "duplicate" {
		d.RecvTime, d.DelayUs = ptr(send+int64(us*1e3)), ptr(us)
	}
	return d
}

// flow2 is delay's packet of testDelays' flow 2.
func flow2(seq int64, us float64, status string) observe.OnewayDelay {
	d := delay(seq, us, status)
	d.FlowID, d.Flow = 2, "*>198.51.100.20:9001"
	return d
}

func ptr[T any](v T) *T { return &v }

// TestIPDVSelection: the ipdv query over testDelays, worked by hand. In
// send order the delivered delays are 100, 110 | lost | 90, 95 | copy
// (not in the sent stream) | dropped | 80, and the missed packet is not
// in it either: the consecutive pairs both delivered are (100, 110) and
// (90, 95), IPDV +10 and +5 (RFC 3393 §2.4; a pair with the lost or the
// dropped packet is undefined, the copy does not split 95 from the dropped
// one). Mean 7.5, min 5, max 10; |IPDV| nearest-rank p50 5, p99 10. PDV
// (RFC 5481 §4.2) over 80, 90, 95, 100, 110: p50 95 − 80 = 15, p99
// 110 − 80 = 30. The second interval, every packet lost, has 0 pairs.
func TestIPDVSelection(t *testing.T) {
	db := openTest(t)
	q, err := Get("ipdv")
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, db, "SELECT pairs, ipdv_mean_us, ipdv_min_us, ipdv_max_us, ipdv_abs_p50_us, ipdv_abs_p99_us, pdv_p50_us, pdv_p99_us FROM ("+q.Wide+") WHERE flow LIKE '%:9000'")
	want := [][]any{{int64(2), 7.5, 5.0, 10.0, 5.0, 10.0, 15.0, 30.0}, {int64(0), nil, nil, nil, nil, nil, nil, nil}}
	if len(res.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(res.Rows), len(want), res.Rows)
	}
	for i, w := range want {
		for j := range w {
			if fmt.Sprint(res.Rows[i][j]) != fmt.Sprint(w[j]) {
				t.Errorf("row %d: %v, want %v", i, res.Rows[i], w)
				break
			}
		}
	}
}
