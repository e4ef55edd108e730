package collector

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// distConfig is samples/dist.yaml without the keys and collectors: the
// one-way class of docs/processes.md.
const distConfig = `
interval_s: 10
probes: [{name: A}, {name: B}]
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [counters, oneway]
    oneway:
      hops: [A, B]
      latency: {from: A, to: B, slices_ms: [1, 2, 5, 10, 20, 50, 100]}
      signature_bits: 16
      mask: [src_addr, src_port, l4_checksum]
      timeout_s: 5
      records: true
      time_unit_ns: 1000
`

// TestProbeRestartedOnItsCapture: the new-user trial of docs/processes.md
// (probe A killed 5 s into its realtime replay of
// oneway-udp/A.pcap (its run epoch 7: the frames built in those 5 s
// arrived) and restarted on the same capture (epoch 8: every frame again,
// from the start), B undisturbed. The oneway_loss rows are those of the
// truth (ground_truth.csv per 10 s interval of the time at A: 3769 sent,
// 3723 delivered, 46 lost, then 1231, 1218, 13; the README's undisturbed
// run too), and a oneway_repeats event says how many observations came
// again. Before the fix the first interval read 3791 sent, 68 lost.
func TestProbeRestartedOnItsCapture(t *testing.T) {
	cfg, err := config.Parse([]byte(distConfig), "dist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a7 := probeFrames(t, cfg, "A", "lab/oneway-udp/A.pcap", 7)
	a8 := probeFrames(t, cfg, "A", "lab/oneway-udp/A.pcap", 8)
	b := probeFrames(t, cfg, "B", "lab/oneway-udp/B.pcap", 7)
	build := func(f []byte) int64 {
		h, _, err := pdu.ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		return h.BuildTimeNs
	}
	start := build(a7[0])
	kill := start + 5e9
	type at struct {
		wall  int64
		frame []byte
	}
	var frames []at
	for _, f := range b {
		frames = append(frames, at{build(f), f})
	}
	sent := 0 // observations the first run delivered: all come again
	for _, f := range a7 {
		if build(f) > kill {
			continue
		}
		frames = append(frames, at{build(f), f})
		if h, payload, _ := pdu.ParseFrame(f); h.Type == pdu.TypePacketObs {
			if err := oneway.Decode(payload, func(*oneway.Obs) { sent++ }); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range a8 { // realtime again, from the kill
		frames = append(frames, at{kill + build(f) - start, f})
	}
	slices.SortStableFunc(frames, func(x, y at) int { return cmp.Compare(x.wall, y.wall) })
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all observe.Batch
	for i, f := range frames {
		c.Handle(f.frame)
		if i%20 == 0 {
			all.Append(c.Drain())
		}
	}
	all.Append(c.Finish())
	type counts struct{ sent, delivered, lost, dups uint64 }
	var got []counts
	slices.SortFunc(all.OnewayLoss, func(x, y observe.OnewayLoss) int { return cmp.Compare(x.IntervalStart, y.IntervalStart) })
	for _, l := range all.OnewayLoss {
		got = append(got, counts{l.Sent, l.Delivered, l.Lost, l.Duplicates})
	}
	if want := []counts{{3769, 3723, 46, 0}, {1231, 1218, 13, 0}}; !slices.Equal(got, want) {
		t.Errorf("oneway_loss sent/delivered/lost/duplicates per interval %v, want the truth's %v", got, want)
	}
	var repeats uint64
	totals := ""
	for _, e := range all.Events {
		switch e.Kind {
		case "oneway_repeats":
			repeats += e.Count
		case "oneway_totals":
			if e.Source == "collector" {
				totals = e.Message
			}
		}
	}
	// every observation of epoch 7 came again in epoch 8, and only those
	if repeats != uint64(sent) || !strings.Contains(totals, " delivered=4941 lost=59 ") {
		t.Errorf("oneway_repeats count %d, want the %d observations epoch 7 delivered; oneway_totals %q", repeats, sent, totals)
	}
	t.Logf("%d observations repeated; %s", repeats, totals)
}
