package pipeline_test

import (
	"context"
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
// probe has no packet, so its clock stops and it reports nothing for 8.5
// s. The collector's wait for a silent hop (oneway.Limits.SilentS) is
// timeout_s 0.2 + interval_s 1 + max_build_s 0.1 + final_timeout_s 0.5 =
// 1.8 s; packets are classified at a clock less the timeout, so with A's
// clock at T they are closed up to T - 2.0 s. By that arithmetic:
//   - B falls silent once (an oneway_hop_silent event counting 1);
//   - the packets from B's last report (1 s) to B's return less the wait
//     (9.5 - 2.0 = 7.5 s), 500 x 6.5 = 3250, are dropped at B, unreported
//     (nobody watched), not lost (within 2 %: the clocks are PDU build
//     times, not packet times);
//   - those the wait still held when B reported again (its clock past
//     them: it watched, and did not see them) are lost: at most 500 x 2.2
//     = 1100 of the stretch;
//   - B's observations of just before the stretch, held in PDUs under
//     construction while its clock stood still (a replay's probe without
//     packets does not tick), arrive after the wait: each is counted late
//     (oneway_late) and makes a record of its own (missed), as design 4.3
//     says of an observation past its timeout: the A>B rows are A's 5000
//     packets plus one per late observation.
//
// Before, B's silence held every packet and interval open until its probe
// reported again, and all 4250 packets of the stretch were lost.
func TestSilentHopReplay(t *testing.T) {
	const yaml = `
interval_s: 1
collectors:
  - {name: c, max_build_s: 0.1, final_timeout_s: 0.5}
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
	from, to := int64(start+1e9), int64(start+9.5e9)
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: a, Probe: 0}, {Source: gapSource{b, from, to}, Probe: 1}},
		pipeline.Options{Config: cfg, Probes: []probe.Identity{{Name: "A"}, {Name: "B"}}, Merge: merge, Collectors: colls})
	if err != nil {
		t.Fatal(err)
	}
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
	if d := all["dropped"]; d < 3250*98/100 || d > 3250*102/100 {
		t.Errorf("%d packets dropped at B, want 3250 (500 a second from 1 s to 7.5 s) within 2 %%", d)
	}
	if in["lost"] > 1100 || in["delivered"] != 0 {
		t.Errorf("stretch: %v, want at most 1100 lost, none delivered", in)
	}
	if n := total(all); uint64(all["missed"]) != late || uint64(n) != 5000+late {
		t.Errorf("%d A>B rows, %d missed, %d late observations: want 5000 + late rows, each late one missed", n, all["missed"], late)
	}
}

func total(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}
