package observe

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestSplitDirCached: the folder of a partition seen before is not
// formatted again: splitting a batch of one partition allocates only the
// parts handed out (4: the folder list, the rows list, the parts and the
// part's batch), where formatting the folder made it 14 (issue 14: for
// every table of every drain). The folders read as before.
func TestSplitDirCached(t *testing.T) {
	const day = int64(1764426960000000000)
	b := &Batch{FlowCounters: []FlowCounter{{Probe: "site a/1", IntervalStart: day}, {Probe: "site a/1", IntervalStart: day + 1e9}}}
	tab := TableNamed(TableFlowCounters)
	parts := tab.Split(b)
	if len(parts) != 1 || parts[0].Dir != "date=2025-11-29/probe=site%20a%2F1" {
		t.Fatalf("parts %+v", parts)
	}
	n := testing.AllocsPerRun(100, func() { tab.Split(b) })
	if n > 4 {
		t.Errorf("%v allocations per split of a partition seen before, want at most 4 (the parts handed out)", n)
	}
	two := &Batch{FlowCounters: []FlowCounter{{Probe: "p1", IntervalStart: day}, {Probe: "p2", IntervalStart: day + 86400e9}}}
	parts = tab.Split(two)
	if len(parts) != 2 || parts[0].Dir != "date=2025-11-29/probe=p1" || parts[1].Dir != "date=2025-11-30/probe=p2" {
		t.Errorf("two partitions: %+v", parts)
	}
	// The same raw keys (a day and "p1") in a table whose second key is
	// class: the cache keeps the tables apart (dirKey.keys), the folder
	// says class=p1, not the probe= of flow_counters cached before.
	ow := TableNamed(TableOnewayLatency)
	parts = ow.Split(&Batch{OnewayLatency: []OnewayLatency{{OnewayKey: OnewayKey{Class: "p1", IntervalStart: day}}}})
	if len(parts) != 1 || parts[0].Dir != "date=2025-11-29/class=p1" {
		t.Errorf("oneway_latency after flow_counters with the same raw keys: %+v", parts)
	}
	parts = tab.Split(&Batch{FlowCounters: []FlowCounter{{Probe: "p1", IntervalStart: day}}})
	if len(parts) != 1 || parts[0].Dir != "date=2025-11-29/probe=p1" {
		t.Errorf("flow_counters after oneway_latency with the same raw keys: %+v", parts)
	}
}

// TestSplitterAllocatesNothing: a Splitter gives the parts Split gives,
// and for rows of one partition seen before it allocates nothing (Split's
// 4 allocations were made for every table of every drain, issue 14); its
// part holds only the split table's rows, b's slice itself.
func TestSplitterAllocatesNothing(t *testing.T) {
	const day = int64(1764426960000000000)
	b := &Batch{
		FlowCounters: []FlowCounter{{Probe: "site a/1", IntervalStart: day}, {Probe: "site a/1", IntervalStart: day + 1e9}},
		Flows:        []Flow{{Probe: "site a/1", FirstSeen: day}},
	}
	tab := TableNamed(TableFlowCounters)
	var s Splitter
	parts := s.Split(tab, b)
	if len(parts) != 1 || parts[0].Dir != "date=2025-11-29/probe=site%20a%2F1" || &parts[0].Batch.FlowCounters[0] != &b.FlowCounters[0] || parts[0].Batch.Rows() != 2 {
		t.Fatalf("parts %+v", parts)
	}
	if n := testing.AllocsPerRun(100, func() { s.Split(tab, b) }); n != 0 {
		t.Errorf("%v allocations per Splitter.Split of a partition seen before, want 0", n)
	}
	two := &Batch{FlowCounters: []FlowCounter{{Probe: "p1", IntervalStart: day}, {Probe: "p2", IntervalStart: day + 86400e9}}}
	parts = s.Split(tab, two)
	if len(parts) != 2 || parts[0].Dir != "date=2025-11-29/probe=p1" || parts[1].Dir != "date=2025-11-30/probe=p2" || parts[1].Batch.FlowCounters[0].Probe != "p2" {
		t.Errorf("two partitions: %+v", parts)
	}
	parts = s.Split(tab, &Batch{})
	if len(parts) != 1 || parts[0].Dir != "date="+DefaultPartition+"/probe="+DefaultPartition || parts[0].Batch.Rows() != 0 {
		t.Errorf("no rows: %+v", parts)
	}
	s.Split(tab, b)
	s.Clear()
	if s.one.FlowCounters != nil {
		t.Error("Clear kept the rows")
	}
}

// TestSplitterSeveralPartitions: rows of several partitions in one drain
// (two probes, a day's end) are split into the partitions Table.Split
// gives, in the same order with the same rows, and a Splitter that has
// split as many before allocates nothing (Table.Split's map, parts,
// batches and slices were 22 allocations for these two tables, at every drain
// of a collector with several probes: issue 14). Clear lets go of the
// rows.
func TestSplitterSeveralPartitions(t *testing.T) {
	const day = int64(1764426960000000000) // 2025-11-29T14:36:00Z
	var b Batch
	for i := range 40 {
		p, at := "p1", day
		if i%3 == 1 {
			p = "p2"
		}
		if i >= 30 {
			at += 86400e9 // the next day
		}
		b.FlowCounters = append(b.FlowCounters, FlowCounter{Probe: p, FlowID: uint64(i), IntervalStart: at})
	}
	b.Flows = []Flow{{Probe: "p1", FirstSeen: day}, {Probe: "p2", FirstSeen: day}}
	tab, flows := TableNamed(TableFlowCounters), TableNamed(TableFlows)
	var s Splitter
	same := func(got, want []Part, rows func(p Part) []uint64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%d parts, Table.Split gives %d", len(got), len(want))
		}
		for i := range got {
			if got[i].Dir != want[i].Dir || !slices.Equal(rows(got[i]), rows(want[i])) || got[i].Batch.Rows() != want[i].Batch.Rows() {
				t.Errorf("part %d: %s %v, Table.Split: %s %v", i, got[i].Dir, rows(got[i]), want[i].Dir, rows(want[i]))
			}
		}
	}
	ids := func(p Part) []uint64 {
		var out []uint64
		for _, r := range p.Batch.FlowCounters {
			out = append(out, r.FlowID)
		}
		return out
	}
	want := tab.Split(&b)
	if len(want) != 4 { // p1 and p2 on 2025-11-29 and on 2025-11-30
		t.Fatalf("Table.Split: %d parts, want 4", len(want))
	}
	same(s.Split(tab, &b), want, ids)
	fids := func(p Part) []uint64 { return []uint64{uint64(len(p.Batch.Flows))} }
	wantFlows := flows.Split(&b)
	same(s.Split(flows, &b), wantFlows, fids)
	same(s.Split(tab, &b), want, ids)
	s.Clear()
	if n := testing.AllocsPerRun(100, func() {
		s.Split(tab, &b)
		s.Split(flows, &b)
		s.Clear()
	}); n != 0 && !testenv.Race {
		t.Errorf("%v allocations per drain of 2 tables of several partitions split before, want 0", n)
	}
	parts := s.Split(tab, &b)
	kept := parts[0].Batch
	s.Clear()
	if len(kept.FlowCounters) != 0 || slices.ContainsFunc(kept.FlowCounters[:cap(kept.FlowCounters)], func(r FlowCounter) bool { return r.Probe != "" }) {
		t.Error("Clear kept the rows")
	}
	// Fewer partitions the next time: only those, none of the last split's rows.
	one := &Batch{FlowCounters: []FlowCounter{{Probe: "p3", IntervalStart: day}, {Probe: "p4", IntervalStart: day}}}
	same(s.Split(tab, one), tab.Split(one), ids)
}
