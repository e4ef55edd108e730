package collector

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestCountersOrder: the flow_counters rows a collector drains without
// sorting them (countersOrder: records in flow order, metrics put in name
// order as decoded) are those of one that sorts every batch (the stable
// sort of take), over random runs of two probes: flows mostly in order,
// sometimes back or repeated, metrics in id order (not by name), some
// defined late (placeholders), renamed, two of one name, or 70 in one
// record, Hellos late (just before a drain, after rows under the probe's
// placeholder) or renaming the probe, drains and recycled batches
// anywhere. Both paths must be taken.
func TestCountersOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 11))
	names := []string{"packets", "ip_bytes", "ttl", "dscp", "l4_payload_bytes", "ip_fragments", "a", "zz"}
	fast, slow := 0, 0
	for trial := range 60 {
		c1, err := New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		c2, _ := New(nil, nil)
		c2.counterOrder.never = true
		id := map[uint16]uint32{}
		send := func(pid uint16, typ pdu.Type, rec func(e *pdu.Enc)) {
			var e pdu.Enc
			rec(&e)
			id[pid]++
			f := pdu.AppendFrame(nil, pdu.Header{Type: typ, ProbeID: pid, ID: id[pid], BuildTimeNs: 1e9 + int64(id[pid])}, e.B)
			c1.Handle(f)
			c2.Handle(f)
		}
		hello := func(pid uint16) {
			name := "site-" + strconv.Itoa(int(pid))
			if rng.IntN(3) == 0 { // renamed: rows of one probe id under two names
				name = []string{"site-0", "site-9"}[rng.IntN(2)]
			}
			send(pid, pdu.TypeHello, func(e *pdu.Enc) { (&pdu.Hello{Probe: name, Interfaces: []string{"eth0"}}).Append(e) })
		}
		define := func(pid uint16, m uint32) {
			send(pid, pdu.TypeMetricDef, func(e *pdu.Enc) {
				(&pdu.MetricDef{ID: m, Name: names[rng.IntN(len(names))]}).Append(e)
			})
		}
		tidy := trial%2 == 0 // one probe, its definitions first, flows seldom back
		// lateHello: a tidy probe's Hello comes only just before a drain,
		// after rows under its placeholder.
		lateHello := trial%4 == 2
		for _, pid := range []uint16{3, 4} {
			if tidy && !lateHello || !tidy && rng.IntN(4) > 0 {
				hello(pid)
			}
			for m := range uint32(8) {
				if tidy && m < 7 || rng.IntN(5) > 0 { // tidy: metric 7 defined later
					define(pid, m)
				}
			}
		}
		flow := map[uint16]uint64{}
		for step := range 80 {
			pid := uint16(3 + rng.IntN(2)*rng.IntN(2))
			if tidy {
				pid = 3
			}
			switch x := rng.IntN(20); {
			case x == 0 && !lateHello:
				hello(pid)
			case x == 1:
				define(pid, uint32(rng.IntN(8)))
			case x < 4:
				if lateHello && rng.IntN(3) == 0 {
					hello(pid)
				}
				b1, b2 := c1.Drain(), c2.Drain()
				compareCounters(t, trial, step, b1.FlowCounters, b2.FlowCounters)
				if rng.IntN(2) == 0 {
					c1.Recycle(b1)
					c2.Recycle(b2)
				}
			default:
				send(pid, pdu.TypeCounters, func(e *pdu.Enc) {
					for range 1 + rng.IntN(6) {
						switch rng.IntN(10 + 90*b2i(tidy)) {
						case 0:
							flow[pid] -= uint64(rng.IntN(3))
						case 1:
						default:
							flow[pid]++
						}
						n := 1 + rng.IntN(6)
						if rng.IntN(30) == 0 {
							n = 70
						}
						r := pdu.Counters{IntervalStartNs: int64(step/10) * 60e9, IntervalNs: 60e9, FlowID: flow[pid]}
						first := rng.IntN(8)
						for m := range n {
							r.Metrics = append(r.Metrics, pdu.Metric{ID: uint32((first + m) % 8)})
							r.Metrics[m].Stat.Add(float64(rng.IntN(100)))
						}
						r.Append(e)
					}
				})
			}
			if c1.counterOrder.sorted(len(c1.batch.FlowCounters)) && len(c1.batch.FlowCounters) > 1 {
				fast++
			} else {
				slow++
			}
		}
		hello(3)
		hello(4)
		compareCounters(t, trial, -1, c1.Finish().FlowCounters, c2.Finish().FlowCounters)
	}
	if fast < 100 || slow < 100 {
		t.Errorf("%d steps with the rows in order as decoded, %d without: want both taken", fast, slow)
	}
}

// compareCounters fails t when got and want differ.
func compareCounters(t *testing.T, trial, step int, got, want []observe.FlowCounter) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("trial %d step %d: %d rows as decoded differ from the %d sorted:\n%v\nwant\n%v", trial, step, len(got), len(want), got, want)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
