package oneway

import (
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestLabPercentiles: the oneway_latency percentiles of the lab's one-way
// flows are the nearest ranks (the ⌈q·n/100⌉-th smallest delay, RFC 2330
// §11.3) read from the histogram: at or above the lab truth's and at most
// 1/128 of it above (2 significant digits). The truth is summary.json's
// nearest-rank percentiles (`jq '.delay_request_A_to_B_us,
// .delay_reply_B_to_A_us' testdata/lab/oneway-icmp/summary.json`, `jq
// .delay_last_fragment_A_to_B_us testdata/lab/frag/summary.json`). Before
// the fix the request p99 read 98815 µs (rank round(0.99·1481) = 1466's bin,
// 98445.07 µs, not 1467's 100111.738), the frag p99 2207 (rank 178, not
// 179) and the reply p50 14 (the histogram counted whole µs).
func TestLabPercentiles(t *testing.T) {
	labPath(t, "oneway-icmp", "A.pcap")
	type want struct {
		n             uint64
		p50, p90, p99 float64
	}
	check := func(t *testing.T, c *collected, w want) {
		t.Helper()
		if len(c.latency) != 1 {
			t.Fatalf("%d latency rows, want 1 (one hour)", len(c.latency))
		}
		l := c.latency[0]
		if l.N != w.n {
			t.Errorf("n %d, want %d", l.N, w.n)
		}
		for _, p := range []struct {
			name      string
			got, want float64
		}{{"p50", l.P50Us, w.p50}, {"p90", l.P90Us, w.p90}, {"p99", l.P99Us, w.p99}} {
			// the truth is rounded to the ns: 0.0005 µs either way
			if p.got < p.want-0.0005 || p.got > p.want*(1+1.0/128)+0.0005 {
				t.Errorf("%s %.3f µs, want %.3f µs (nearest rank) to %.3f µs (+1/128)", p.name, p.got, p.want, p.want*(1+1.0/128))
			}
		}
	}
	lim := Limits{IntervalS: 3600}
	for _, dir := range []struct {
		name string
		typ  uint8
		hops []string
		mask []string
		want want
	}{
		{"request", 8, []string{"A", "B"}, []string{"src_addr", "src_port", "l4_checksum"}, want{1481, 111.732, 42397.814, 100111.738}},
		{"reply", 0, []string{"B", "A"}, []string{"dst_addr", "dst_port", "l4_checksum"}, want{1459, 14.157, 55.614, 99.288}},
	} {
		t.Run(dir.name, func(t *testing.T) {
			mask := mustMask(t, dir.mask...)
			var runs []probeRun
			for i, h := range dir.hops {
				pk := loadPoint(t, labPath(t, "oneway-icmp", h+".pcap"), icmpType(dir.typ))
				runs = append(runs, runProbe(t, i, pk, 32, mask, func(*capPkt) int64 { return 0 }))
			}
			check(t, runCollector(t, Config{Hops: dir.hops, Mask: dir.mask}, lim, runs...), dir.want)
		})
	}
	t.Run("frag", func(t *testing.T) {
		mask := mustMask(t, natMaskUDP...)
		var runs []probeRun
		for i, h := range []string{"A", "B"} {
			pk := loadPoint(t, labPath(t, "frag", h+".pcap"), udpTo("198.51.100.10", 9001))
			runs = append(runs, runProbe(t, i, pk, 32, mask, func(*capPkt) int64 { return 0 }))
		}
		// delays from last fragment to last fragment
		check(t, runCollector(t, Config{Hops: []string{"A", "B"}, Mask: natMaskUDP}, lim, runs...), want{180, 1226.103, 2034.325, 2215.268})
	})
}

// TestRestoreMicrosecondHistograms: a state saved when the histograms
// counted whole µs restores with each µs bin re-counted in ns at its upper
// edge, so the percentiles read after the restore are those the µs
// histogram gave (its bins' upper edges), to 1/128 above: not 1000 times
// smaller, as the µs counts read as ns would be.
func TestRestoreMicrosecondHistograms(t *testing.T) {
	delaysUs := []int64{14, 56, 99, 2207, 98445, 100112}
	run := func(toMicro bool) []observe.OnewayLatency {
		var rows []observe.OnewayLatency
		out := Output{Latency: func(l *observe.OnewayLatency) { rows = append(rows, *l) }}
		cfg := Config{Hops: []string{"A", "B"}}
		r, err := New("test", cfg, Limits{}, out)
		if err != nil {
			t.Fatal(err)
		}
		r.DefineFlow(1, "flow")
		for i, d := range delaysUs {
			at := int64(1_800_000_000_000_000_000) + int64(i)*1e6
			r.Observe(0, 1, &Obs{FlowID: 1, Signature: uint64(i), TimeNs: at, FirstNs: at, SizeBytes: 100})
			r.Observe(1, 1, &Obs{FlowID: 1, Signature: uint64(i), TimeNs: at + d*1000, FirstNs: at + d*1000, SizeBytes: 100})
		}
		// classified into the open minute (it starts at base), not yet emitted
		base := int64(1_800_000_000_000_000_000)
		r.Advance(0, base+30e9)
		r.Advance(1, base+30e9)
		if len(rows) != 0 {
			t.Fatalf("%d latency rows before the minute ended", len(rows))
		}
		st := r.SaveState()
		if len(st.Records) != 0 {
			t.Fatalf("%d records open at the save, want 0 (all in the interval's histogram)", len(st.Records))
		}
		if toMicro { // as a state saved before the histograms counted ns
			st.HistNs = false
			for _, f := range st.Flows {
				for _, s := range f.Slots {
					for i := range s.Pairs {
						if s.Pairs[i].Hist == nil {
							continue
						}
						us := hdr.New(1, 1e6, 2)
						for _, b := range hdr.Import(s.Pairs[i].Hist).Distribution() {
							_ = us.RecordValues((b.From+500)/1000, b.Count)
						}
						s.Pairs[i].Hist = us.Export()
					}
				}
			}
		}
		r2, err := New("test", cfg, Limits{}, out)
		if err != nil {
			t.Fatal(err)
		}
		if err := r2.RestoreState(st); err != nil {
			t.Fatal(err)
		}
		r2.Flush()
		return rows
	}
	ns, us := run(false), run(true)
	if len(ns) != 1 || len(us) != 1 {
		t.Fatalf("%d and %d latency rows, want 1", len(ns), len(us))
	}
	// p50 is the 3rd of the 6 delays (99 µs: a bin of its own in µs, read
	// at most 1/128 above in ns), p99 the 6th (100112 µs: in µs the bin
	// [99840, 100351], read as max_us)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"ns p50", ns[0].P50Us, 99}, {"ns p99", ns[0].P99Us, 100112}, {"µs p50", us[0].P50Us, 99}, {"µs p99", us[0].P99Us, 100112}} {
		if c.got < c.want || c.got > c.want*(1+1.0/128) {
			t.Errorf("%s %.3f µs, want %.0f µs to 1/128 above", c.name, c.got, c.want)
		}
	}
}
