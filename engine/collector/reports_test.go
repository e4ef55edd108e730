package collector

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestOnewayCountersReported: the reconcilers' counters an engineer must
// see as they happen (here oneway_negative_delays: B's clock_offset_us
// says 1 ms fast on the oneway-udp lab, whose delays are mostly below
// 1 ms, TestOnewayClockOffset in engine/pipeline) reach the events table
// with their count. A served collector (NewServer sets periodic reports)
// says them at the first drain after they happen, before the run ends (a durable collector stopped between runs ends none: they were
// only written with oneway_totals at Finish); an in-process collector
// says them once, at Finish. Either way the counts add up to the
// class's negative_delays total in oneway_totals.
func TestOnewayCountersReported(t *testing.T) {
	cfg, err := config.Parse([]byte(strings.Replace(distConfig, "probes: [{name: A}, {name: B}]",
		"probes: [{name: A}, {name: B, clock_offset_us: 1000}]", 1)), "dist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := probeFrames(t, cfg, "A", "lab/oneway-udp/A.pcap", 7)
	b := probeFrames(t, cfg, "B", "lab/oneway-udp/B.pcap", 7)
	type at struct {
		build int64
		frame []byte
	}
	var frames []at
	for _, f := range append(a, b...) {
		h, _, err := pdu.ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, at{h.BuildTimeNs, f})
	}
	slices.SortStableFunc(frames, func(x, y at) int { return cmp.Compare(x.build, y.build) })
	for _, periodic := range []bool{true, false} {
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if periodic {
			NewServer(c, nil, nil, ServerOptions{}) // sets periodic reports, as collector serve does
		}
		var counts []uint64 // the count of each oneway_negative_delays event, in order
		firstAt := -1       // the frame after which the first one was drained
		totals := ""
		take := func(bt *observe.Batch, i int) {
			for _, e := range bt.Events {
				switch e.Kind {
				case "oneway_negative_delays":
					if e.Severity != observe.SevWarning || !strings.HasPrefix(e.Message, "class telemetry: ") {
						t.Errorf("periodic %v: event %+v", periodic, e)
					}
					counts = append(counts, e.Count)
					if firstAt < 0 {
						firstAt = i
					}
				case "oneway_totals":
					if e.Source == "collector" {
						totals = e.Message
					}
				}
			}
		}
		for i, f := range frames {
			c.Handle(f.frame)
			if i%50 == 49 {
				take(c.Drain(), i)
			}
		}
		take(c.Finish(), len(frames))
		var sum uint64
		for _, n := range counts {
			sum += n
		}
		_, after, _ := strings.Cut(totals, " negative_delays=")
		want, _, _ := strings.Cut(after, " ")
		if sum == 0 || want != strconv.FormatUint(sum, 10) {
			t.Errorf("periodic %v: negative delays reported %v (sum %d), oneway_totals %q", periodic, counts, sum, totals)
		}
		switch {
		case periodic && (len(counts) < 2 || firstAt >= len(frames)-1):
			t.Errorf("periodic: %d events, the first drained after frame %d of %d: want them during the run", len(counts), firstAt, len(frames))
		case !periodic && (len(counts) != 1 || firstAt != len(frames)):
			t.Errorf("in-process: %d events, the first after frame %d of %d: want one, at Finish", len(counts), firstAt, len(frames))
		}
		t.Logf("periodic %v: %d events, first after frame %d of %d, counts %v", periodic, len(counts), firstAt, len(frames), counts)
	}
}
