package observe

import (
	"testing"
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
