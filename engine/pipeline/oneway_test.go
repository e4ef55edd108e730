package pipeline_test

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/replay"
)

// replayProbes runs captures as named probes of one in-process collector,
// merged in capture-time order (tmonbench replay --probe NAME=PCAP ...).
func replayProbes(t *testing.T, yaml string, probes map[string]string) *pipeline.Result {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"A", "RC", "RS", "B"}
	var inputs []pipeline.Input
	var ids []probe.Identity
	for _, n := range names {
		path, ok := probes[n]
		if !ok {
			continue
		}
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		inputs = append(inputs, pipeline.Input{Source: f, Probe: len(ids)})
		ids = append(ids, probe.Identity{Name: n})
	}
	res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// truthUDP reads oneway-udp/ground_truth.csv: per sequence number, the
// capture times at A, B, RC and RS in ns (0: not seen).
func truthUDP(t *testing.T) map[int64][4]int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(samplesDir(t), "lab", "oneway-udp", "ground_truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][4]int64{}
	for _, r := range rows[1:] { // seq,size,ts_a_ns,ts_b_ns,ts_rc_ns,ts_rs_ns
		seq, _ := strconv.ParseInt(r[0], 10, 64)
		var ts [4]int64
		for i := range ts {
			ts[i], _ = strconv.ParseInt(r[2+i], 10, 64)
		}
		out[seq] = ts
	}
	return out
}

const udpClass = `
interval_s: 10
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]   # the NAT rewrites the source
    analyses: [counters, oneway]        # counters: TestSnapshotFinal matches the snapshot's flows with flow_counters rows
    oneway:
      hops: [%HOPS%]
      signature_bits: %BITS%
      mask: [ttl, ip_checksum, src_addr, src_port, l4_checksum]
      time_unit_ns: 1000
      timeout_s: 5
      records: true
`

func udpConfig(hops, bits string) string {
	s := udpClass
	for _, r := range [][2]string{{"%HOPS%", hops}, {"%BITS%", bits}} {
		for i := 0; i+len(r[0]) <= len(s); i++ {
			if s[i:i+len(r[0])] == r[0] {
				s = s[:i] + r[1] + s[i+len(r[0]):]
				break
			}
		}
	}
	return s
}

// checkDelays matches every row of a hop pair with the truth by the send
// time (µs) and returns how many delivered rows were right (delay within
// 1 µs of the truth and the receive time that of the same packet).
func checkDelays(t *testing.T, rows []observe.OnewayDelay, from, to string, fi, ti int, truth map[int64][4]int64) (right, delivered, lost int) {
	bySend := map[int64][4]int64{}
	for _, ts := range truth {
		if ts[fi] != 0 {
			bySend[ts[fi]/1000] = ts
		}
	}
	worst := 0.0
	for _, r := range rows {
		if r.FromHop != from || r.ToHop != to {
			continue
		}
		switch r.Status {
		case "lost":
			lost++
			continue
		case "delivered":
			delivered++
		default:
			continue
		}
		ts, ok := bySend[*r.SendTime/1000]
		if !ok || ts[ti] == 0 || *r.RecvTime/1000 != ts[ti]/1000 {
			continue
		}
		errNs := math.Abs(*r.DelayUs*1000 - float64(ts[ti]-ts[fi]))
		worst = math.Max(worst, errNs)
		if errNs < 1000 {
			right++
		}
	}
	t.Logf("%s->%s: %d delivered, %d right, %d lost, worst delay error %.0f ns", from, to, delivered, right, lost, worst)
	return right, delivered, lost
}

// TestOnewayUDP: two probes on both sides of a NAT router (A, B), 32-bit
// signatures: every delivered packet's delay within 1 µs of the truth, the
// lost count exact (summary.json: 4941 received, 59 lost), no false match.
func TestOnewayUDP(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	res := replayProbes(t, udpConfig("A, B", "32"), map[string]string{"A": filepath.Join(dir, "A.pcap"), "B": filepath.Join(dir, "B.pcap")})
	right, delivered, lost := checkDelays(t, res.Batch.OnewayDelays, "A", "B", 0, 1, truthUDP(t))
	if delivered != 4941 || lost != 59 || right != 4941 {
		t.Errorf("delivered %d (right %d), lost %d; truth 4941 and 59", delivered, right, lost)
	}
	var n uint64
	for _, l := range res.Batch.OnewayLatency {
		n += l.N
		if l.P50Us > l.P90Us || l.P90Us > l.P99Us || l.Min > l.P50Us || l.P99Us > l.Max*1.01 {
			t.Errorf("percentiles out of order: %+v", l)
		}
	}
	if n != 4941 {
		t.Errorf("oneway_latency n %d, want 4941", n)
	}
	// design 1.3: the observations' PDUs against the traffic they describe.
	for _, s := range res.Batch.PDUStats {
		if s.PDUType == "packet_obs" {
			t.Logf("probe %s: packet_obs %d bytes for %d observed bytes: %.3f %%", s.Probe, s.Bytes, s.ObservedBytes, s.OverheadPct)
		}
	}
}

// TestOnewayCollisions: with 16-bit signatures many packets of the flow
// share a signature within the timeout; at least 99 % are still matched
// right, collisions are counted, and the PDU overhead stays within 1 % of
// the observed traffic (design 1.3).
func TestOnewayCollisions(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	res := replayProbes(t, udpConfig("A, B", "16"), map[string]string{"A": filepath.Join(dir, "A.pcap"), "B": filepath.Join(dir, "B.pcap")})
	right, delivered, lost := checkDelays(t, res.Batch.OnewayDelays, "A", "B", 0, 1, truthUDP(t))
	if float64(right) < 0.99*4941 || lost != 59 || delivered != 4941 {
		t.Errorf("%d of 4941 right, %d delivered, %d lost", right, delivered, lost)
	}
	var collisions uint64
	for _, l := range res.Batch.OnewayLoss {
		collisions += l.Collisions
	}
	if collisions == 0 {
		t.Error("no collision counted with 16-bit signatures")
	}
	for _, s := range res.Batch.PDUStats {
		if s.PDUType == "packet_obs" && (s.OverheadPct > 1 || s.ObservedBytes == 0) {
			t.Errorf("probe %s: packet_obs overhead %.3f %% > 1 %%", s.Probe, s.OverheadPct)
		}
	}
	t.Logf("%d collisions", collisions)
}

// TestOnewayFourHops: with hops [A, RC, RS, B] every consecutive pair and
// the end-to-end pair get delays, and the 59 losses are located inside the
// router, between RC and RS (summary.json lost_where).
func TestOnewayFourHops(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	paths := map[string]string{}
	for _, n := range []string{"A", "RC", "RS", "B"} {
		paths[n] = filepath.Join(dir, n+".pcap")
	}
	res := replayProbes(t, udpConfig("A, RC, RS, B", "32"), paths)
	truth := truthUDP(t)
	idx := map[string]int{"A": 0, "B": 1, "RC": 2, "RS": 3}
	for _, pair := range [][2]string{{"A", "RC"}, {"RC", "RS"}, {"RS", "B"}, {"A", "B"}} {
		right, delivered, _ := checkDelays(t, res.Batch.OnewayDelays, pair[0], pair[1], idx[pair[0]], idx[pair[1]], truth)
		if right != delivered || delivered == 0 {
			t.Errorf("%s->%s: %d of %d delays right", pair[0], pair[1], right, delivered)
		}
	}
	lost := map[string]uint64{}
	for _, l := range res.Batch.OnewayLoss {
		lost[l.FromHop+">"+l.ToHop] += l.Lost
	}
	if lost["A>RC"] != 0 || lost["RC>RS"] != 59 || lost["RS>B"] != 0 {
		t.Errorf("losses per segment %v, want RC>RS 59 only", lost)
	}
}

// TestOnewayICMP: echo requests A->B and replies B->A through the NAT (which
// rewrites addresses and the echo identifier): two one-way classes, loss
// as summary.json says (19 requests, 22 replies lost).
func TestOnewayICMP(t *testing.T) {
	const yaml = `
interval_s: 10
classes:
  - name: echo-request
    filter: "icmp and dst host 198.51.100.10"
    granularity: [dst_addr]
    analyses: [oneway]
    oneway: {hops: [A, B], mask: [src_addr, src_port, l4_checksum], records: true}
  - name: echo-reply
    filter: "icmp and src host 198.51.100.10"
    granularity: [src_addr]
    analyses: [oneway]
    oneway: {hops: [B, A], mask: [dst_addr, dst_port, l4_checksum], records: true}
`
	res := replayProbes(t, yaml, map[string]string{"A": testsamples.Path(t, "lab", "oneway-icmp", "A.pcap"), "B": testsamples.Path(t, "lab", "oneway-icmp", "B.pcap")})
	count := map[string]map[string]int{}
	for _, r := range res.Batch.OnewayDelays {
		if count[r.Class] == nil {
			count[r.Class] = map[string]int{}
		}
		count[r.Class][r.Status]++
	}
	if c := count["echo-request"]; c["delivered"] != 1481 || c["lost"] != 19 {
		t.Errorf("requests %v, want 1481 delivered, 19 lost", c)
	}
	if c := count["echo-reply"]; c["delivered"] != 1459 || c["lost"] != 22 {
		t.Errorf("replies %v, want 1459 delivered, 22 lost", c)
	}
}

// TestOnewayDropped: when the link to the collector is cut for longer than
// the final timeout, the probes destroy one-way observations (design 1.5)
// and say so; the collector classifies those packets as dropped, not as
// lost or missed (design 4.3), while a collector behind a perfect link sees
// the lab truth.
func TestOnewayDropped(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	cfg, err := config.Parse([]byte(udpConfig("A, B", "16")), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tight := pdu.DefaultSenderConfig()
	tight.MinGapNs, tight.InitialTimeoutNs, tight.TimeoutIncrementNs, tight.TimeoutMultiplier = 1e6, 3e8, 0, 1
	tight.MaxRetries, tight.FinalTimeoutNs, tight.BreakBorderNs = 1, 2e9, 5e8
	var inputs []pipeline.Input
	for i, n := range []string{"A", "B"} {
		f, err := replay.Open(filepath.Join(dir, n+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		inputs = append(inputs, pipeline.Input{Source: f, Probe: i})
	}
	res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "A"}, {Name: "B"}}, Merge: merge,
		Collectors: []pipeline.Collector{
			{Name: "perfect", Sender: tight},
			{Name: "cut", Sender: tight, Faults: pdu.Faults{Outages: []pdu.Window{{StartNs: 2e9, EndNs: 7e9}}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func(b *observe.Batch) map[string]int {
		m := map[string]int{}
		for _, r := range b.OnewayDelays {
			m[r.Status]++
		}
		return m
	}
	perfect, cut := count(res.Batches[0]), count(res.Batches[1])
	if perfect["delivered"] != 4941 || perfect["lost"] != 59 || perfect["dropped"] != 0 {
		t.Errorf("perfect link: %v", perfect)
	}
	// Packets whose observations were destroyed at both hops are known to
	// nobody and leave no row; every other packet is classified, and none
	// as missed (its upstream observation was reported dropped).
	total := cut["delivered"] + cut["lost"] + cut["dropped"] + cut["missed"]
	if cut["dropped"] == 0 || cut["missed"] != 0 || cut["lost"] > 59 || total > 5000 || cut["delivered"] < 3000 {
		t.Errorf("cut link: %v (total %d)", cut, total)
	}
	var destroyed uint64
	for _, s := range res.Senders {
		destroyed += s.DestroyedRecords[pdu.TypePacketObs]
	}
	if destroyed == 0 {
		t.Error("no observation destroyed: the outage is too short")
	}
	t.Logf("cut link: %v; %d packet_obs records destroyed", cut, destroyed)
}

// TestOnewayFragments: UDP datagrams of 3000-8000 bytes fragmented at the
// client (MTU 1500) and, in part mtu576, reassembled and fragmented again by
// the router (other fragment geometry at B): the reassembled datagram has
// the same signature at both hops, and its first and last fragment times
// are those of the lab truth (ground_truth.csv; summary.json: 180 complete
// at B, 11 incomplete, 9 absent: 20 lost).
func TestOnewayFragments(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "frag")
	const yaml = `
interval_s: 10
classes:
  - name: bulk
    filter: "udp and dst port 9001"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [A, B], mask: [src_addr, src_port, l4_checksum], records: true}
`
	res := replayProbes(t, yaml, map[string]string{"A": filepath.Join(dir, "A.pcap"), "B": filepath.Join(dir, "B.pcap")})
	f, err := os.Open(filepath.Join(dir, "ground_truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type times struct{ aFirst, aLast, bFirst, bLast int64 }
	byLast := map[int64]times{} // by the last fragment's time at A, in µs
	for _, r := range rows[1:] {
		var x times
		x.aFirst, _ = strconv.ParseInt(r[12], 10, 64)
		x.aLast, _ = strconv.ParseInt(r[13], 10, 64)
		x.bFirst, _ = strconv.ParseInt(r[14], 10, 64)
		x.bLast, _ = strconv.ParseInt(r[15], 10, 64)
		byLast[x.aLast/1000] = x
	}
	status := map[string]int{}
	for _, r := range res.Batch.OnewayDelays {
		status[r.Status]++
		if r.Status != "delivered" {
			continue
		}
		x, ok := byLast[*r.SendTime/1000]
		if !ok || *r.SendFirstTime/1000 != x.aFirst/1000 || *r.RecvTime/1000 != x.bLast/1000 || *r.RecvFirstTime/1000 != x.bFirst/1000 {
			t.Errorf("datagram sent %d: first/last at A %d/%d, at B %d/%d; truth %+v", *r.SendTime, *r.SendFirstTime, *r.SendTime, *r.RecvFirstTime, *r.RecvTime, x)
		}
	}
	if status["delivered"] != 180 || status["lost"] != 20 {
		t.Errorf("statuses %v, want 180 delivered and 20 lost", status)
	}
}

// TestOnewayClockOffset: a probe's clock_offset_us is taken off its capture
// times before delays are computed (design 1.2 assumes synchronised
// clocks); delays that fall below zero are counted in an event, not hidden.
func TestOnewayClockOffset(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	paths := map[string]string{"A": filepath.Join(dir, "A.pcap"), "B": filepath.Join(dir, "B.pcap")}
	base := replayProbes(t, udpConfig("A, B", "32"), paths)
	// B's clock said to run 1 ms fast: every delay shrinks by 1000 µs, and
	// the many below 1 ms (lab p50: 59 µs) turn negative.
	shifted := replayProbes(t, "probes:\n  - {name: A}\n  - {name: B, clock_offset_us: 1000}\n"+udpConfig("A, B", "32"), paths)
	delays := func(b *observe.Batch) map[int64]float64 {
		m := map[int64]float64{}
		for _, r := range b.OnewayDelays {
			if r.Status == "delivered" {
				m[*r.SendTime] = *r.DelayUs
			}
		}
		return m
	}
	d0, d1 := delays(base.Batch), delays(shifted.Batch)
	negative := 0
	for k, v := range d0 {
		if w, ok := d1[k]; !ok || math.Abs(v-1000-w) > 1e-6 {
			t.Fatalf("send %d: delay %g, with the offset %g (want %g)", k, v, w, v-1000)
		}
		if v-1000 < 0 {
			negative++
		}
	}
	found := false
	for _, e := range shifted.Batch.Events {
		if e.Kind == "oneway_negative_delays" && strings.Contains(e.Message, strconv.Itoa(negative)+" one-way delays below zero") {
			found = true
		}
	}
	if len(d0) != 4941 || negative == 0 || !found {
		t.Errorf("%d delays, %d negative, event found %v", len(d0), negative, found)
	}
}

// TestOnewayCountersLive: with SinkTick (live capture) the collector
// reports the one-way counters at every drain, as a served collector
// does, so oneway_negative_delays (B's clock said 1 ms fast, as in
// TestOnewayClockOffset) reaches the sink during the run, in several
// events whose counts add up to the run's total; a replay reports them
// once, at its end (its rows do not depend on when it drains).
func TestOnewayCountersLive(t *testing.T) {
	cfg, err := config.Parse([]byte("probes:\n  - {name: A}\n  - {name: B, clock_offset_us: 1000}\n"+udpConfig("A, B", "32")), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, live := range []bool{true, false} {
		inputs, ids := onewayInputs(t)
		var counts []uint64
		opt := pipeline.Options{Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge, FlushEveryNs: 1e9,
			Sink: funcSink(func(b *observe.Batch) error {
				for _, e := range b.Events {
					if e.Kind == "oneway_negative_delays" {
						counts = append(counts, e.Count)
					}
				}
				return nil
			})}
		if live {
			opt.SinkTick = make(chan time.Time) // never ticks: the drains come by capture time
		}
		if _, err := pipeline.Run(context.Background(), inputs, opt); err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, n := range counts {
			sum += n
		}
		// 2988 of the lab's 4941 delays are below 1 ms (TestOnewayClockOffset
		// counts them from the delays; engine/collector TestOnewayCountersReported)
		if sum != 2988 || live != (len(counts) > 1) || len(counts) == 0 {
			t.Errorf("live %v: oneway_negative_delays counts %v (sum %d), want 2988 in several events when live, one otherwise", live, counts, sum)
		}
	}
}
