package observe

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// refDir is the partition folder of one row computed the plain way: the
// date formatted from the timestamp itself, the value escaped.
func refDir(date int64, dateNull bool, name, nameKey string) string {
	d := ""
	if !dateNull {
		d = time.Unix(0, date).UTC().Format("2006-01-02")
	}
	return "date=" + EscapePartition(d) + "/" + nameKey + "=" + EscapePartition(name)
}

// TestSplitFolders: Split (which formats a folder only when a row's raw
// key differs from the previous row's) puts every row in the folder of its
// own date and name: rows around midnight, before 1970, at the int64
// extremes, names needing escapes, NULL dates with and without fallback,
// runs of equal rows broken by one different row.
func TestSplitFolders(t *testing.T) {
	day := int64(24 * time.Hour)
	mid := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC).UnixNano()
	times := []int64{mid - 1, mid - 1, mid, mid + day - 1, mid - 1, -1, -day, -day - 1, 0, 1<<63 - 1, -1 << 63, mid, mid}
	names := []string{"A", "A", "A", "A", "b/c", "A", "A", "é", "", "A", "A", "A", "B"}
	var b Batch
	for i := range times {
		b.FlowCounters = append(b.FlowCounters, FlowCounter{Probe: names[i], FlowID: uint64(i), IntervalStart: times[i]})
	}
	check := func(parts []Part, want func(i int) string, n int, id func(p Part, j int) int) {
		t.Helper()
		got := map[int]string{}
		for _, p := range parts {
			for j := range p.Batch.Rows() {
				got[id(p, j)] = p.Dir
			}
		}
		for i := range n {
			if got[i] != want(i) {
				t.Errorf("row %d: folder %q, want %q", i, got[i], want(i))
			}
		}
	}
	parts := TableNamed(TableFlowCounters).Split(&b)
	check(parts, func(i int) string { return refDir(times[i], false, names[i], "probe") }, len(times),
		func(p Part, j int) int { return int(p.Batch.FlowCounters[j].FlowID) })

	// One-way delays: send_time, else recv_time, else NULL.
	var o Batch
	sends := []*int64{&times[0], nil, nil, &times[2], &times[5]}
	recvs := []*int64{nil, &times[3], nil, &times[7], nil}
	for i := range sends {
		o.OnewayDelays = append(o.OnewayDelays, OnewayDelay{Class: fmt.Sprint("c", i%2), FlowID: uint64(i), SendTime: sends[i], RecvTime: recvs[i]})
	}
	parts = TableNamed(TableOnewayDelays).Split(&o)
	check(parts, func(i int) string {
		switch {
		case sends[i] != nil:
			return refDir(*sends[i], false, fmt.Sprint("c", i%2), "class")
		case recvs[i] != nil:
			return refDir(*recvs[i], false, fmt.Sprint("c", i%2), "class")
		}
		return refDir(0, true, fmt.Sprint("c", i%2), "class")
	}, len(sends), func(p Part, j int) int { return int(p.Batch.OnewayDelays[j].FlowID) })

	// Every row in one partition: one part sharing the slice.
	var u Batch
	for i := range 5 {
		u.FlowCounters = append(u.FlowCounters, FlowCounter{Probe: "A", FlowID: uint64(i), IntervalStart: mid + int64(i)})
	}
	if parts := TableNamed(TableFlowCounters).Split(&u); len(parts) != 1 || &parts[0].Batch.FlowCounters[0] != &u.FlowCounters[0] {
		t.Errorf("one partition: %d parts or rows copied", len(parts))
	}
}

// TestSplitOneFolderScan: the scan that decides whether every row of a
// hand-over falls in the first row's folder (sameRun) tells two rows
// apart exactly when refDir does: the day's last and next nanoseconds,
// days before 1970, the int64 extremes (where the first row's day starts
// or ends beyond int64), names equal in other strings (one folder) or
// sharing their bytes with a different length (two).
func TestSplitOneFolderScan(t *testing.T) {
	day := int64(24 * time.Hour)
	mid := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC).UnixNano()
	const minNs, maxNs = -1 << 63, 1<<63 - 1
	ab := "AB"
	for _, c := range []struct {
		t0, t1 int64
		n0, n1 string
	}{
		{mid, mid + day - 1, "A", "A"}, {mid - 1, mid, "A", "A"}, {mid, mid + day, "A", "A"},
		{-day, -1, "A", "A"}, {-1, 0, "A", "A"}, {-day - 1, -day, "A", "A"},
		{minNs, maxNs, "A", "A"}, {maxNs, minNs, "A", "A"}, {minNs, minNs + 1, "A", "A"}, {maxNs - 1, maxNs, "A", "A"},
		{mid, mid, "A", strings.Clone("A")}, {mid, mid, ab[:1], ab}, {mid, mid, "A", "B"},
	} {
		var b Batch
		for i, r := range [][2]any{{c.t0, c.n0}, {c.t0, c.n0}, {c.t1, c.n1}} {
			b.FlowCounters = append(b.FlowCounters, FlowCounter{Probe: r[1].(string), FlowID: uint64(i), IntervalStart: r[0].(int64)})
		}
		parts := TableNamed(TableFlowCounters).Split(&b)
		d0, d1 := refDir(c.t0, false, c.n0, "probe"), refDir(c.t1, false, c.n1, "probe")
		if want := 1 + btoi(d0 != d1); len(parts) != want || parts[0].Dir != d0 || parts[len(parts)-1].Dir != d1 {
			var got []string
			for _, p := range parts {
				got = append(got, p.Dir)
			}
			t.Errorf("rows at %d %q and %d %q: folders %q, want %q and %q", c.t0, c.n0, c.t1, c.n1, got, d0, d1)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSplitOneFolderMemory: splitting a hand-over whose rows share one
// folder (the common case) shares the rows and allocates a few small
// values, not one folder per row (a 1 MiB slice of 65 536 folders before).
//
// MemStats counts the whole process's allocations, the runtime's too: a GC
// cycle ending inside a single measured Split (one the setup's 6 MiB of
// rows started, late under load) made the runtime allocate there, its
// mark workers' sudogs (112 B each) and, when it had to start an OS
// thread for them, a new M (its m, g0 and gsignal g, profiling stacks:
// 5,576 B), so one Split read 6,136 B against the bound of 4,096 once at
// load 10 (560 B alone; a loop of 3,000 Splits after 2 MiB of garbage each
// saw 576 to 6,136 B in 9 windows, 6 of them with a GC cycle ending in
// them). The measure is now of Split alone: a GC first (no cycle of the
// setup left to end in the window, and Split's own bytes are too few to
// start one), then the bytes and objects per Split over 100 Splits, where
// a stray runtime allocation is a hundredth; the bounds are what Split
// needs (560 B in 13 objects with Go 1.26) with room, far below a row's
// worth of anything (65,536 rows).
func TestSplitOneFolderMemory(t *testing.T) {
	var batch Batch
	for i := range 65536 {
		batch.FlowCounters = append(batch.FlowCounters, FlowCounter{Probe: "probe-1", FlowID: uint64(i), IntervalStart: 1764374400e9 + int64(i)*1e6})
	}
	tb := TableNamed(TableFlowCounters)
	parts := tb.Split(&batch)
	if len(parts) != 1 || parts[0].Dir != "date=2025-11-29/probe=probe-1" || len(parts[0].Batch.FlowCounters) != 65536 || &parts[0].Batch.FlowCounters[0] != &batch.FlowCounters[0] {
		t.Fatalf("%d parts, first %q, rows not shared", len(parts), parts[0].Dir)
	}
	const runs = 100
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		tb.Split(&batch)
	}
	runtime.ReadMemStats(&after)
	bytes, objects := (after.TotalAlloc-before.TotalAlloc)/runs, (after.Mallocs-before.Mallocs)/runs
	t.Logf("Split of 65536 rows in one folder: %d bytes in %d objects", bytes, objects)
	if bytes > 1024 || objects > 24 {
		t.Errorf("Split allocated %d bytes in %d objects for 65536 rows in one folder, want at most 1024 bytes in 24 objects", bytes, objects)
	}
}

// BenchmarkSplit: the cost per row of partitioning a hand-over of
// flow_counters rows (one probe, one day: the common case).
func BenchmarkSplit(b *testing.B) {
	var batch Batch
	for i := range 65536 {
		batch.FlowCounters = append(batch.FlowCounters, FlowCounter{Probe: "probe-1", FlowID: uint64(i), IntervalStart: 1764374400e9 + int64(i)*1e6})
	}
	tb := TableNamed(TableFlowCounters)
	b.ReportAllocs()
	for b.Loop() {
		tb.Split(&batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.FlowCounters)), "ns/row")
}
