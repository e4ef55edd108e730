package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// gapSource is a capture without the packets of [fromNs, toNs): a probe
// with no capture for a stretch.
type gapSource struct {
	pkt.Source
	fromNs, toNs int64
}

func (g gapSource) Next() ([]byte, pkt.Meta, error) {
	for {
		b, m, err := g.Source.Next()
		if err != nil || m.TimeNs < g.fromNs || m.TimeNs >= g.toNs {
			return b, m, err
		}
	}
}

// TestSilentHopReplay: oneway-udp's A and B (hops [A, B]; 5000 packets
// over 10 s at A, 500 a second: the lab's ground_truth.csv) replayed, B's
// capture without its packets from 1 s to 9.5 s into the capture: B's
// probe watches a silent link for 8.5 s. Its clock goes on with the run's
// (quietTicks: as a live probe's idle ticks), so the observations it holds
// are sent by max_build_s (0.1 s) and its interval closes, but it has
// nothing to report until its packets come back: the collector hears
// nothing from it from 1.711 s (its interval report of the packets up to
// the second boundary at 1.537 s, sent at the first tick after it plus
// max_build_s) to 9.601 s (its first observations after 9.5 s, plus
// max_build_s): both build times as the collector received them. The
// collector's wait for a silent hop (oneway.Limits.SilentS) is timeout_s
// 0.2 + interval_s 1 + max_build_s 0.1 + final_timeout_s 0.5 = 1.8 s;
// packets are classified at a clock less the timeout, so with A's clock at
// T they are closed up to T - 2.0 s. By that arithmetic, and
// ground_truth.csv's times (ts_a_ns, ts_b_ns; python3 over the csv):
//   - B falls silent once (an oneway_hop_silent event counting 1);
//   - the packets A sent from B's last report to B's return less the wait
//     (1.711 s to 9.601 - 2.0 = 7.601 s), 2945, are dropped at B,
//     unreported (nobody reported), not lost (within 2 %: A's clock is
//     the build time of its latest PDU, not its packet's time);
//   - the rest of the stretch (1 s to 9.5 s: 4250 packets) is lost: B
//     reported past it, and did not see it;
//   - 748 packets reached B outside the cut (ts_b_ns outside [1 s, 9.5 s)):
//     delivered, each one row with A's (none late, none missed).
//
// Before, B's clock stood still without packets: its observations of just
// before the stretch, held in a PDU under construction, reached the
// collector when its packets came back, after the wait: 48 of them were
// late (oneway_late), each a record of its own (missed), 48 delivered
// fewer, and A's rows of them dropped. Before the silent-hop wait, B's
// silence held every packet and interval open until its probe reported
// again, and all 4250 packets of the stretch were lost.
//
// The same with each probe on 2 workers: before the quiet ticks merged a
// busy probe's batches (quietTicks.tick), A's observations reached the
// collector up to three batches late (6 s of this capture), and 3144 were
// dropped.
func TestSilentHopReplay(t *testing.T) {
	for _, workers := range []int{0, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { silentHopCheck(t, workers) })
	}
}

func silentHopCheck(t *testing.T, workers int) {
	const start = 1_795_964_222_463_376_885 // A.pcap's first packet (capinfos -a: 2026-11-29 14:57:02.463376885 UTC)
	from, to := int64(start+1e9), int64(start+9.5e9)
	res := silentHopRunWorkers(t, 9.5e9, workers)
	var silences, late uint64
	for _, e := range res.Batch.Events {
		switch e.Kind {
		case "oneway_hop_silent":
			silences += e.Count
		case "oneway_late":
			late += e.Count
		}
	}
	in, all := map[string]int{}, map[string]int{}
	for _, r := range res.Batch.OnewayDelays {
		if r.FromHop != "A" || r.ToHop != "B" {
			continue
		}
		all[r.Status]++
		if r.SendTime != nil && *r.SendTime >= from && *r.SendTime < to {
			in[r.Status]++
		}
	}
	t.Logf("stretch: %v; all: %v; %d silences, %d late", in, all, silences, late)
	if silences != 1 {
		t.Errorf("%d oneway_hop_silent counted, want 1", silences)
	}
	if d := all["dropped"]; d < 2945*98/100 || d > 2945*102/100 {
		t.Errorf("%d packets dropped at B, want 2945 (sent from 1.711 s to 7.601 s) within 2 %%", d)
	}
	if in["lost"]+in["dropped"] != 4250 || in["delivered"] != 0 {
		t.Errorf("stretch: %v, want its 4250 packets lost or dropped, none delivered", in)
	}
	if late != 0 || all["missed"] != 0 || all["delivered"] != 748 || total(all) != 5000 {
		t.Errorf("%v, %d late observations: want 748 delivered of 5000 A>B rows, none late or missed", all, late)
	}
}

// TestSilentHopHeartbeats: TestSilentHopReplay with the probes'
// heartbeats every 0.5 s (heartbeat_s) instead of 10 s. B watches a
// silent link for 8.5 s (its packets from 1 s to 9.5 s into the capture
// left out), sending a heartbeat after each 0.5 s without a PDU; each
// carries B's capture clock and names its latest PDU, so the collector
// moves B's one-way watermark with it (collector heartbeatOneway): B is
// heard every 0.5 s, less than the collector's wait for a silent hop (1.8
// s), so it is never taken for silent, and every packet of the stretch
// that A sent is lost at B (RFC 7680: sent, not seen at the next hop by
// the timeout), none dropped unreported. By ground_truth.csv (python3
// over the csv): 748 packets reached B outside the cut (ts_b_ns outside
// [1 s, 9.5 s)), delivered; the other 5000 - 748 = 4252 are lost (4250
// of the stretch, 2 the lab's own). Before, heartbeats did not move the
// watermark: 2898 of them were dropped (unreported) and one
// oneway_hop_silent counted, as with no heartbeat (TestSilentHopReplay).
func TestSilentHopHeartbeats(t *testing.T) {
	for _, workers := range []int{0, 2} {
		res := silentHopRunHeartbeat(t, 9.5e9, workers, 0.5)
		var silences uint64
		for _, e := range res.Batch.Events {
			if e.Kind == "oneway_hop_silent" {
				silences += e.Count
			}
		}
		all := map[string]int{}
		for _, r := range res.Batch.OnewayDelays {
			if r.FromHop == "A" && r.ToHop == "B" {
				all[r.Status]++
			}
		}
		t.Logf("%d workers: A>B rows: %v; %d silences", workers, all, silences)
		if want := map[string]int{"delivered": 748, "lost": 4252}; !maps.Equal(all, want) || silences != 0 {
			t.Errorf("%d workers: A>B rows %v, %d oneway_hop_silent: want %v, none silent (ground_truth.csv)", workers, all, silences, want)
		}
	}
}

// TestEndedCaptureNotTicked: the same replay with B's capture ending 1 s
// into the run (its packets after it left out): B's probe no longer
// watches, so quietTicks does not tick it on A's clock (it would report
// past A's later packets, which would count lost at B, 4500 of them). The
// packets A sent after B's end are dropped at B (nobody watched), and only
// the lab's own losses before 1 s are lost: 2 in ground_truth.csv (no
// ts_b_ns, ts_a_ns before 1 s). The 499 packets B saw (ts_b_ns before
// 1 s) each make a delivered row: the observations B still held in its
// encoder when its capture ended are sent then (probe.Engine.EndCapture,
// through the workers' merge with workers), in time for the collector.
// So 5000 - 499 - 2 = 4499 are dropped. Before, they reached the
// collector only at the run's end, past the timeout: 48 missed rows (and
// 48 delivered fewer, 48 dropped more).
func TestEndedCaptureNotTicked(t *testing.T) {
	for _, workers := range []int{0, 2} {
		res := silentHopRunWorkers(t, 100e9, workers)
		all := map[string]int{}
		for _, r := range res.Batch.OnewayDelays {
			if r.FromHop == "A" && r.ToHop == "B" {
				all[r.Status]++
			}
		}
		t.Logf("%d workers: A>B rows: %v", workers, all)
		want := map[string]int{"lost": 2, "delivered": 499, "dropped": 4499}
		if !maps.Equal(all, want) {
			t.Errorf("%d workers: A>B rows %v, want %v (ground_truth.csv)", workers, all, want)
		}
	}
}

// silentHopRunWorkers replays oneway-udp's A and B (hops [A, B]), B's
// capture without its packets from 1 s to cutEndNs into the capture, each
// probe on workers workers (0: a lone probe).
func silentHopRunWorkers(t *testing.T, cutEndNs int64, workers int) *pipeline.Result {
	t.Helper()
	return silentHopRunHeartbeat(t, cutEndNs, workers, 0)
}

// silentHopRunHeartbeat is silentHopRunWorkers with the probes' heartbeat
// period heartbeatS (0: the default, 10 s).
func silentHopRunHeartbeat(t *testing.T, cutEndNs int64, workers int, heartbeatS float64) *pipeline.Result {
	t.Helper()
	hb := ""
	if heartbeatS > 0 {
		hb = fmt.Sprintf(", heartbeat_s: %g", heartbeatS)
	}
	yaml := `
interval_s: 1
collectors:
  - {name: c, max_build_s: 0.1, final_timeout_s: 0.5` + hb + `}
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway:
      hops: [A, B]
      signature_bits: 32
      mask: [ttl, ip_checksum, src_addr, src_port, l4_checksum]
      time_unit_ns: 1000
      timeout_s: 0.2
      records: true
`
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	colls, err := pipeline.Collectors(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	a, err := replay.Open(filepath.Join(dir, "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := replay.Open(filepath.Join(dir, "B.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const start = 1_795_964_222_463_376_885 // A.pcap's first packet (capinfos -a: 2026-11-29 14:57:02.463376885 UTC)
	from, to := int64(start+1e9), start+cutEndNs
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: a, Probe: 0}, {Source: gapSource{b, from, to}, Probe: 1}},
		pipeline.Options{Config: cfg, Probes: []probe.Identity{{Name: "A"}, {Name: "B"}}, Merge: merge, Collectors: colls, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func total(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}
