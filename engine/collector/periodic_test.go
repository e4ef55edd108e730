package collector

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/testframes"
)

// TestPeriodicOnewayReports: a collector reporting at every drain
// (SetPeriodicReports, as a served one) fed the PDUs of the lab's one-way
// probes A and B over three drains, each resolving signature collisions,
// writes three oneway_signature_collisions rows whose messages say the
// second and third are increments and give the running total, whose
// counts sum to the 311 a replay of the same PDUs reports in its single
// event at Finish (its message unchanged; its oneway_totals says
// collisions=311), and whose times are the collector's capture clock at
// each drain: the latest packet the PDUs handed in before it report (flow
// updates' last_seen, one-way observations' capture times, decoded here),
// the last one B.pcap's last packet, 14:57:12.461260714, as the replay's.
// A trial (probes A and B) read three rows like totals (27, 204 and 80)
// at that time: every drain came after the probes had reported their
// captures' end, so they share it rightly; here the first two drains come
// earlier, when the flow updates lag the observations.
func TestPeriodicOnewayReports(t *testing.T) {
	cfg, all := labPDUs(t)
	var frames [][]byte // the one-way probes' only, as the trial's
	for _, f := range all {
		if h, _, err := pdu.ParseFrame(f); err == nil && h.ProbeID != cfg.ProbeID("C") {
			frames = append(frames, f)
		}
	}
	_, metas := testframes.Frames(t, "lab/oneway-udp/B.pcap")
	end := metas[len(metas)-1].TimeNs // B.pcap's last packet: the captures' end

	replay := labCollector(t, cfg)
	for _, f := range frames {
		replay.Handle(f)
	}
	var replayed []observe.Event
	totals := ""
	for _, e := range replay.Finish().Events {
		switch e.Kind {
		case "oneway_signature_collisions":
			replayed = append(replayed, e)
		case "oneway_totals":
			if e.Source == "collector" { // not the probes' own
				totals = e.Message
			}
		}
	}
	const total = 311 // the replay's single event and its oneway_totals
	if len(replayed) != 1 || replayed[0].Count != total || replayed[0].Message != "class telemetry: 311 signature collisions resolved by time" ||
		replayed[0].Time != end || !strings.Contains(totals, " collisions=311 ") {
		t.Fatalf("replay: collision events %+v, oneway_totals %q; want one of 311 at %d, collisions=311", replayed, totals, end)
	}

	c := labCollector(t, cfg)
	c.SetPeriodicReports(true)
	var got []observe.Event
	var wantAt []int64
	var clock int64
	drains := []int{140, 180, len(frames)} // frames handed in before each drain
	next := 0
	for _, end := range drains {
		for ; next < end; next++ {
			c.Handle(frames[next])
			clock = max(clock, latestPacket(t, frames[next]))
		}
		wantAt = append(wantAt, clock)
		for _, e := range c.Drain().Events {
			if e.Kind == "oneway_signature_collisions" {
				got = append(got, e)
			}
		}
	}
	for _, e := range c.Finish().Events {
		if e.Kind == "oneway_signature_collisions" {
			got = append(got, e)
		}
	}
	want := []struct {
		msg   string
		count uint64
	}{
		{"class telemetry: 31 signature collisions resolved by time", 31},
		{"class telemetry: 53 more signature collisions resolved by time (84 in all)", 53},
		{"class telemetry: 227 more signature collisions resolved by time (311 in all)", 227},
	}
	if len(got) != len(want) {
		t.Fatalf("%d oneway_signature_collisions rows over %d drains and Finish, want %d: %+v", len(got), len(drains), len(want), got)
	}
	if wantAt[len(wantAt)-1] != end {
		t.Errorf("the last drain's clock %d, want B.pcap's last packet %d", wantAt[len(wantAt)-1], end)
	}
	var sum uint64
	for i, w := range want {
		if got[i].Message != w.msg || got[i].Count != w.count || got[i].Time != wantAt[i] {
			t.Errorf("drain %d: %q count %d at %d, want %q count %d at %d (the latest packet the PDUs handed in report)", i+1, got[i].Message, got[i].Count, got[i].Time, w.msg, w.count, wantAt[i])
		}
		if i > 0 && got[i].Time <= got[i-1].Time {
			t.Errorf("drain %d at %d, not after drain %d's %d: its PDUs reported later packets", i+1, got[i].Time, i, got[i-1].Time)
		}
		sum += got[i].Count
	}
	if sum != total {
		t.Errorf("sum(count) %d over the drains' rows, want the replay's %d", sum, total)
	}
}

// TestOnewayMoreNouns: a later report of each one-way counter says it is
// an increment and gives the running total after the counted phrase,
// before the advice; its nouns agree with the increment.
func TestOnewayMoreNouns(t *testing.T) {
	c, err := New(config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	all := func(n uint64) *oneway.Stats {
		return &oneway.Stats{NegativeDelays: n, Collisions: n, Late: n, Evicted: n, FlowsFull: n, DropRangesFull: n,
			Unreported: n, SilentHops: n, BadHop: n, Repeats: n}
	}
	c.reportClass(1, "o", all(1))
	c.batch.Events = nil
	c.reportClass(2, "o", all(2))
	var got []string
	for _, e := range c.batch.Events {
		got = append(got, fmt.Sprintf("%s %d", e.Message, e.Count))
	}
	want := []string{
		"class o: 1 more one-way delay below zero (2 in all): check the probes' clock synchronisation or clock_offset_us 1",
		"class o: 1 more signature collision resolved by time (2 in all) 1",
		"class o: 1 more observation arrived after the timeout (timeout_s) had passed at every hop (2 in all): it made a record of its own, so its packet may count as lost at one hop and missed at another; raise timeout_s if the probes' PDUs arrive that late 1",
		"class o: 1 more packet record classified before its timeout to keep the collector's open records bounded (2 in all): at a hop that had not reported it yet it counts as dropped; shorten timeout_s or narrow the class 1",
		"class o: 1 more observation of one-way flows beyond the collector's limit of flows per class ignored (2 in all): narrow the class or its granularity 1",
		"class o: 1 more notice of observations a probe destroyed ignored beyond the collector's limit (2 in all): their packets count as lost, not dropped 1",
		"class o: 1 more packet dropped at hops whose probe had not reported that far when it was classified (a probe killed, silent or never heard from, or still running when the collector stopped) (2 in all): nobody can say whether it passed there 1",
		"class o: 1 more time a hop's probe fell silent (no report while another hop's clock went on past timeout_s + interval_s + max_build_s + final_timeout_s) (2 in all): its packets and intervals were closed without it, the packets due there counted dropped and unreported (oneway_unreported) 1",
		"class o: 1 more observation or clock for a hop outside the class's hops ignored (2 in all) 1",
		"class o: 1 more observation reported again (a probe restarted on the capture it replays, a resent spool) ignored, not counted as packets (2 in all): 1 of packets still open, 0 of packets already classified and written 1",
	}
	if !slices.Equal(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("%d:\n got %s\nwant %s", i, g, w)
			}
		}
	}
}

// latestPacket is the capture time of the latest packet frame f reports:
// the last_seen of its flow updates, the times of its one-way
// observations; 0 for other PDUs.
func latestPacket(t *testing.T, f []byte) int64 {
	h, payload, err := pdu.ParseFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	var at int64
	switch h.Type {
	case pdu.TypePacketObs:
		if err := oneway.Decode(payload, func(o *oneway.Obs) { at = max(at, o.TimeNs) }); err != nil {
			t.Fatal(err)
		}
	case pdu.TypeFlowUpdate:
		d := pdu.Dec{B: payload, A: &pdu.Arena{}, Version: h.Version}
		for !d.Done() {
			var r pdu.FlowUpdate
			if r.Decode(&d); d.Err() != nil {
				t.Fatal(d.Err())
			}
			at = max(at, r.LastSeenNs)
		}
	}
	return at
}
