package pdu

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tmonbench/tmonbench/engine/stat"
)

// TestIntMetricSameBytes: AppendIntMetric writes, for an integer
// aggregate, the bytes AppendMetric writes for its Stat (so the Counters
// records a probe writes from its flow table are those it wrote from
// Stats): counts, integral values, an empty aggregate, and values at and
// beyond 2^53, where the floats round and the float encoding takes over.
func TestIntMetricSameBytes(t *testing.T) {
	const big = 1 << 53
	cases := []stat.Ints{
		{},
		{N: 1, Sum: 1, SumSq: 1, Min: 1, Max: 1},
		{N: 7, Sum: 7, SumSq: 7, Min: 1, Max: 1},
		{N: 2, Sum: 2, SumSq: 2, Min: 1, Max: 1},
		{N: 2, Sum: 1540, SumSq: 2251600, Min: 40, Max: 1500},
		{N: 3, Sum: 0, SumSq: 0, Min: 0, Max: 0},
		{N: 1, Sum: 1, SumSq: 1, Min: 1, Max: 2},
		{N: 5, Sum: 5, SumSq: 5, Min: 0, Max: 1},
		{N: 4, Sum: big - 1, SumSq: big - 1, Min: 1, Max: big - 1},
		{N: 4, Sum: big, SumSq: big, Min: 1, Max: 1},
		{N: 4, Sum: 100, SumSq: big + 1, Min: 1, Max: 60},
		{N: big + 1, Sum: big + 1, SumSq: big + 1, Min: 1, Max: 1},
		{N: big, Sum: big, SumSq: big, Min: 1, Max: 1},
		{N: big + 1, Sum: big, SumSq: big, Min: 1, Max: 1}, // equal as floats, not as integers
		{N: 3, Sum: 1<<64 - 1, SumSq: 1<<64 - 1, Min: 1<<64 - 1, Max: 1<<64 - 1},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.Uint64N(1<<r.IntN(40))
		lo := r.Uint64N(1 << r.IntN(20))
		hi := lo + r.Uint64N(1<<r.IntN(20))
		cases = append(cases, stat.Ints{N: n, Sum: n * lo, SumSq: n * lo * hi, Min: lo, Max: hi})
	}
	for _, s := range cases {
		var a, b Enc
		AppendMetric(&a, 300, s.Stat())
		AppendIntMetric(&b, 300, &s)
		if !bytes.Equal(a.B, b.B) {
			t.Errorf("%+v: AppendIntMetric % x, AppendMetric % x", s, b.B, a.B)
		}
	}
}

// TestCountersAppendHead: a record written as AppendHead and its metrics
// is Append's, and decodes back.
func TestCountersAppendHead(t *testing.T) {
	c := Counters{IntervalStartNs: 1_700_000_000_000_000_000, IntervalNs: 60e9, FlowID: 12345, Metrics: []Metric{
		{ID: 0, Stat: stat.Stat{N: 2, Sum: 1540, SumSq: 2251600, Min: 40, Max: 1500}},
		{ID: 4, Stat: stat.Stat{N: 2, Sum: 2, SumSq: 2, Min: 1, Max: 1}},
		{ID: 70, Stat: stat.Stat{N: 1, Sum: 0.5, SumSq: 0.25, Min: 0.5, Max: 0.5}},
	}}
	var a, b Enc
	a.Mark, b.Mark = true, true
	c.Append(&a)
	c.AppendHead(&b, 3)
	AppendIntMetric(&b, 0, &stat.Ints{N: 2, Sum: 1540, SumSq: 2251600, Min: 40, Max: 1500})
	AppendIntMetric(&b, 4, &stat.Ints{N: 2, Sum: 2, SumSq: 2, Min: 1, Max: 1})
	AppendMetric(&b, 70, c.Metrics[2].Stat)
	if !bytes.Equal(a.B, b.B) || len(a.Marks) != 1 || len(b.Marks) != 1 || a.Marks[0] != b.Marks[0] {
		t.Fatalf("AppendHead: % x marks %v, Append: % x marks %v", b.B, b.Marks, a.B, a.Marks)
	}
	var got Counters
	d := Dec{B: b.B}
	got.Decode(&d)
	if d.Err() != nil || len(d.B) != 0 || got.FlowID != c.FlowID || got.IntervalNs != c.IntervalNs || got.IntervalStartNs != c.IntervalStartNs ||
		len(got.Metrics) != 3 || got.Metrics[0] != c.Metrics[0] || got.Metrics[1] != c.Metrics[1] || got.Metrics[2] != c.Metrics[2] {
		t.Errorf("decoded %+v, err %v", got, d.Err())
	}
}
