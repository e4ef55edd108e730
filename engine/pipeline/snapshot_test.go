package pipeline_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// onewayInputs opens the oneway-udp lab's captures at probes A and B
// (../shared/samples/lab/oneway-udp: 5000 datagrams to 198.51.100.10:9000
// sent past A, 4941 received at B, summary.json "sent" and "received",
// equal to tcpdump's packet counts of A.pcap and B.pcap).
func onewayInputs(t *testing.T) ([]pipeline.Input, []probe.Identity) {
	t.Helper()
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	var inputs []pipeline.Input
	var ids []probe.Identity
	for i, n := range []string{"A", "B"} {
		f, err := replay.Open(filepath.Join(dir, n+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		inputs = append(inputs, pipeline.Input{Source: f, Probe: i})
		ids = append(ids, probe.Identity{Name: n, Interfaces: []string{"eth0"}})
	}
	return inputs, ids
}

// TestSnapshotOnewayPending: Options.Snapshot (live --metrics and --tui)
// reports the collector's one-way records pending while the run goes on,
// whether the collector runs in its own goroutine (Parallel) or in the
// caller's. The oneway-udp lab (5 s timeout) has packets seen at A and not
// yet at B at every moment of the capture, so some snapshot must see
// pending packets, never more than the 5000 sent. With the collector in
// its own goroutine, each wake-up waits 20 ms of wall time for it until
// a snapshot saw packets pending.
func TestSnapshotOnewayPending(t *testing.T) {
	cfg, err := config.Parse([]byte(udpConfig("A, B", "32")), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, parallel := range []bool{false, true} {
		inputs, ids := onewayInputs(t)
		var latest observe.Latest
		var wall int64
		var snaps, maxPending int
		var prev *observe.Snapshot
		_, err = pipeline.Run(context.Background(), inputs, pipeline.Options{Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(),
			Merge: merge, Parallel: parallel, Snapshot: &latest,
			Wall: func() int64 { // every periodic wake-up is a second later; it reads the latest snapshot
				wall += 1e9
				if parallel && maxPending == 0 {
					// The collector goroutine handles the frames queued for
					// it while the probe waits, as it would in a second of
					// live capture; without the wait a loaded machine may
					// run it only after the last packet (CI read 0 pending).
					// Once a snapshot saw packets pending, the waits would
					// only slow the test (39 s of ~1,900 wake-ups).
					time.Sleep(20 * time.Millisecond)
				}
				if s := latest.Snapshot(); s != nil && s != prev {
					prev = s
					snaps++
					if len(s.Collectors) != 1 {
						t.Fatalf("one collector, snapshot has %d", len(s.Collectors))
					}
					maxPending = max(maxPending, s.Collectors[0].OnewayPendingPackets)
				}
				return wall
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("parallel %v: %d snapshots, at most %d packets pending", parallel, snaps, maxPending)
		if snaps == 0 || maxPending == 0 || maxPending > 5000 {
			t.Errorf("parallel %v: %d snapshots, at most %d one-way packets pending: want some, at most 5000", parallel, snaps, maxPending)
		}
		if s := latest.Snapshot(); s == nil || !s.Done {
			t.Errorf("parallel %v: the last snapshot is not the final one (Done)", parallel)
		}
	}
}

// TestSnapshotFinal: the final snapshot of a run holds the same numbers as
// its Result and its rows: per input, the lab's packet counts (5000 at A,
// 4941 at B); per probe, the probe counters; per channel, every PDU sent
// acknowledged; the collector's accepted PDUs; and the flows of each
// probe's last interval with the packets and IP bytes that the
// flow_counters rows of that interval hold (metric ip_bytes) and the
// first_seen of their flows row. Alone, with
// the collector in its own goroutine, and with each probe on 2 workers
// (probe.Workers).
func TestSnapshotFinal(t *testing.T) {
	cfg, err := config.Parse([]byte(udpConfig("A, B", "32")), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		parallel bool
		workers  int
	}{{false, 0}, {true, 0}, {true, 2}} {
		parallel := c.parallel
		inputs, ids := onewayInputs(t)
		var latest observe.Latest
		res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(),
			Merge: merge, Parallel: parallel, Workers: c.workers, Snapshot: &latest})
		if err != nil {
			t.Fatal(err)
		}
		s := latest.Snapshot()
		if s == nil || !s.Done || s.State != "replaying" {
			t.Fatalf("parallel %v: final snapshot %+v", parallel, s)
		}
		want := []uint64{5000, 4941}
		if len(s.Inputs) != 2 {
			t.Fatalf("parallel %v: %d inputs, want 2", parallel, len(s.Inputs))
		}
		for i, in := range s.Inputs {
			if in.Probe != ids[i].Name || in.Interface != "eth0" || in.Packets != want[i] || in.Packets != res.Probes[i].Packets ||
				in.Bytes != res.Probes[i].Bytes || in.KernelDrops != -1 {
				t.Errorf("parallel %v: input %d = %+v, want probe %s eth0, %d packets, %d bytes, no kernel counters", parallel, i, in, ids[i].Name, want[i], res.Probes[i].Bytes)
			}
		}
		for i, p := range s.Probes {
			r := res.Probes[i]
			if p.Probe != ids[i].Name || p.Packets != r.Packets || p.IP != r.IP || p.Malformed != r.Malformed || p.Flows != r.Flows || p.Intervals != r.Intervals {
				t.Errorf("parallel %v: probe %d = %+v, result %+v", parallel, i, p, r)
			}
		}
		if len(s.Channels) != len(res.Senders) {
			t.Fatalf("parallel %v: %d channels, %d senders", parallel, len(s.Channels), len(res.Senders))
		}
		for i, c := range s.Channels {
			if c.Sent == 0 || c.Acked != res.Senders[i].Acked || c.Unacked != 0 || c.LongRetry || c.Collector != "collector" {
				t.Errorf("parallel %v: channel %d = %+v, want every PDU acknowledged (%d)", parallel, i, c, res.Senders[i].Acked)
			}
		}
		if len(s.Collectors) != 1 || s.Collectors[0].Accepted != res.Collector.Receiver.Accepted || s.Collectors[0].Accepted == 0 {
			t.Errorf("parallel %v: collectors %+v, want %d PDUs accepted", parallel, s.Collectors, res.Collector.Receiver.Accepted)
		}
		type key struct {
			probe string
			flow  uint64
			start int64
		}
		rows := map[key]observe.FlowCounter{}
		for _, fc := range res.Batch.FlowCounters {
			if fc.Metric == "ip_bytes" {
				rows[key{fc.Probe, fc.FlowID, fc.IntervalStart}] = fc
			}
		}
		if len(s.Flows) != 4 { // one flow to 198.51.100.10:9000 of classes all and telemetry at each probe
			t.Fatalf("parallel %v: %d flows in the last intervals, want 4: %+v", parallel, len(s.Flows), s.Flows)
		}
		first := map[[2]any]int64{}
		for _, fl := range res.Batch.Flows {
			first[[2]any{fl.Probe, fl.FlowID}] = fl.FirstSeen
		}
		for _, f := range s.Flows {
			if fs, ok := first[[2]any{f.Probe, f.FlowID}]; !ok || f.FirstSeen != fs {
				t.Errorf("parallel %v: snapshot flow %s/%d first seen %d, flows.first_seen %d", parallel, f.Probe, f.FlowID, f.FirstSeen, fs)
			}
			fc, ok := rows[key{f.Probe, f.FlowID, f.IntervalStart}]
			if !ok || f.Packets != fc.N || float64(f.Bytes) != fc.Sum || f.DstAddr != "198.51.100.10" || f.DstPort != 9000 || f.Interface != "eth0" || f.IntervalS != 10 {
				t.Errorf("parallel %v: snapshot flow %+v, flow_counters row %+v (found %v)", parallel, f, fc, ok)
			}
			// The captures end inside their last interval, 14:57:10 +10 s
			// (capinfos -a -e -S: last packets at 1795964232.461191543 at A,
			// .461260714 at B): the counters cover 2.461... s of it.
			wantS := map[string]float64{"A": 2.461191543, "B": 2.461260714}[f.Probe]
			if f.IntervalStart != 1795964230e9 || f.CoveredStart != f.IntervalStart || f.CoveredS != wantS {
				t.Errorf("parallel %v: snapshot flow of %s: interval %d, covered from %d for %.9f s, want 1795964230e9, the same, %.9f s",
					parallel, f.Probe, f.IntervalStart, f.CoveredStart, f.CoveredS, wantS)
			}
		}
	}
}

// TestSnapshotRecentRows: with a sink, the snapshots carry the latest rows
// of the tables a live view lists (observe.RecentTables) as the collector
// produces them, not once they are written: on the lab FTP capture at the
// client (A; ftp_transfers.csv lists 16 transfers) with writes held to the
// end (no flush period, no row threshold), a snapshot before the end
// already holds TCP connections, FTP transfers and RTT samples that the
// sink has not received. The final snapshot holds the last rows of each
// table as written (at most observe.SnapshotRecent), and the rows written
// are the same, as sets, as a run without snapshots. Alone and with the
// collector in its own goroutine; the test's wall clock advances a second
// at each reading, so a snapshot is due at every periodic wake-up.
func TestSnapshotRecentRows(t *testing.T) {
	path := filepath.Join(samplesDir(t), "lab", "ftp", "A.pcap")
	run := func(parallel, snap bool) (*observe.Batch, []*observe.Snapshot) {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var written observe.Batch
		var latest observe.Latest
		var seen []*observe.Snapshot
		var wall int64
		opt := pipeline.Options{Config: config.Default(), Probes: []probe.Identity{{Name: "A", Interfaces: []string{"eth0"}}},
			Sender: pdu.DefaultSenderConfig(), Merge: merge, Parallel: parallel, FlushEveryNs: 1 << 62, SinkRows: 1 << 30,
			Sink: funcSink(func(b *observe.Batch) error { written.Append(b); return nil })}
		if snap {
			opt.Snapshot = &latest
			opt.Wall = func() int64 {
				wall += 1e9
				if parallel {
					time.Sleep(5 * time.Millisecond) // the collector goroutine catches up, as in a second of live capture
				}
				if s := latest.Snapshot(); s != nil && (len(seen) == 0 || seen[len(seen)-1] != s) {
					// what the sink held when this snapshot was read
					if written.Rows() == 0 || len(written.TCPConnections) == 0 {
						seen = append(seen, s)
					}
				}
				return wall
			}
		}
		if _, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, opt); err != nil {
			t.Fatal(err)
		}
		if snap {
			seen = append(seen, latest.Snapshot())
		}
		return &written, seen
	}
	want, _ := run(false, false)
	if len(want.FTPTransfers) != 16 {
		t.Fatalf("%d FTP transfers written, ftp_transfers.csv lists 16", len(want.FTPTransfers))
	}
	for _, parallel := range []bool{false, true} {
		got, snaps := run(parallel, true)
		for _, tb := range observe.Tables {
			if tb.Name == observe.TablePDUStats {
				continue // describes the PDUs, which snapshots do not change
			}
			if a, b := canonical(t, tb, want), canonical(t, tb, got); !slices.Equal(a, b) {
				t.Errorf("parallel %v: table %s: %d rows with snapshots, %d without, or not the same rows", parallel, tb.Name, len(b), len(a))
			}
		}
		early := false
		for _, s := range snaps[:len(snaps)-1] {
			if !s.Done && s.Recent != nil && len(s.Recent.TCPConnections) > 0 && len(s.Recent.FTPTransfers) > 0 && len(s.Recent.RTTSamples) > 0 {
				early = true
				break
			}
		}
		if !early {
			t.Errorf("parallel %v: none of %d snapshots read before the sink had rows holds TCP connections, FTP transfers and RTT samples", parallel, len(snaps)-1)
		}
		final := snaps[len(snaps)-1]
		if !final.Done || final.Recent == nil {
			t.Fatalf("parallel %v: final snapshot %+v", parallel, final)
		}
		for _, name := range observe.RecentTables {
			tb := observe.TableNamed(name)
			n := min(tb.Len(got), observe.SnapshotRecent)
			if tb.Len(final.Recent) != n {
				t.Errorf("parallel %v: final snapshot holds %d rows of %s, want the last %d of %d written", parallel, tb.Len(final.Recent), name, n, tb.Len(got))
			}
		}
		if final.RecentRows != uint64(len(got.Events)+len(got.TCPConnections)+len(got.RTTSamples)+len(got.FTPTransfers)+len(got.OnewayDelays)) {
			t.Errorf("parallel %v: RecentRows %d, rows of those tables written %v", parallel, final.RecentRows, got.Len())
		}
		for _, name := range observe.RecentTables {
			if tb := observe.TableNamed(name); tb.Len(got) <= observe.SnapshotRecent && !slices.Equal(canonical(t, tb, final.Recent), canonical(t, tb, got)) {
				t.Errorf("parallel %v: the final snapshot's %s rows are not the ones written", parallel, name)
			}
		}
	}
}

// canonical returns the table's rows of b as sorted JSON texts (pointers
// followed): rows as a set.
func canonical(t *testing.T, tb *observe.Table, b *observe.Batch) []string {
	t.Helper()
	rows := reflect.ValueOf(tb.Rows(b))
	out := make([]string, rows.Len())
	for i := range out {
		j, err := json.Marshal(rows.Index(i).Interface())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(j)
	}
	slices.Sort(out)
	return out
}

// TestSnapshotCoveredInsideInterval: a capture that starts and ends inside
// one interval (the lab's tcp-mix at A: 10.908795940 s from
// 14:58:39.922139688, capinfos -a -e -S, in the default 60 s interval
// 14:58:00) gives its final snapshot's flows the capture's 10.9 s as the
// time their counters cover, not the interval's 60 s (a trial's TUI
// showed 2,172,921 B as 0.290 Mbit/s: over 60 s). The busiest flow,
// 198.51.100.10:8080 to port 60878, carried 2,172,921 IP bytes in 1,453
// packets (tshark -qz conv,tcp: 1453 frames from the server). Alone and
// on 2 workers.
func TestSnapshotCoveredInsideInterval(t *testing.T) {
	for _, workers := range []int{0, 2} {
		f, err := replay.Open(filepath.Join(samplesDir(t), "lab", "tcp-mix", "A.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		var latest observe.Latest
		_, err = pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{Config: config.Default(),
			Probes: []probe.Identity{{Name: "A", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
			Workers: workers, Snapshot: &latest})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		s := latest.Snapshot()
		if s == nil || !s.Done || len(s.Flows) == 0 {
			t.Fatalf("workers %d: final snapshot %+v", workers, s)
		}
		for _, fl := range s.Flows {
			if fl.IntervalStart != 1795964280e9 || fl.IntervalS != 60 || fl.CoveredStart != 1795964319_922139688 || fl.CoveredS != 10.90879594 {
				t.Errorf("workers %d: flow %d: interval %d +%g s, covered from %d for %.9f s; want 1795964280e9 +60 s, from 1795964319922139688 for 10.908795940 s",
					workers, fl.FlowID, fl.IntervalStart, fl.IntervalS, fl.CoveredStart, fl.CoveredS)
			}
		}
		if b := s.Flows[0]; b.DstPort != 60878 || b.Bytes != 2_172_921 || b.Packets != 1453 {
			t.Errorf("workers %d: busiest flow %+v, want port 60878, 2,172,921 B, 1,453 packets", workers, b)
		}
	}
}

// TestSnapshotCurrentInterval: while a run goes on, its snapshots hold
// the busiest flows of the interval in progress (Snapshot.Current, their
// counters so far): the live TUI listed closed intervals only, so a new
// heavy flow was invisible for up to an interval. The lab's tcp-mix at A
// lies inside one 60 s interval (see TestSnapshotCoveredInsideInterval):
// no snapshot before the end has a closed interval's flows, and each one
// taken mid-run (at Health, every 1024 packets) has in Current the flows
// of class all holding every IP packet counted so far, largest first,
// covering the capture from its first packet to the probe clock; the
// busiest flow's bytes so far grow to its 2,172,921 (tshark -qz conv,tcp).
// The final snapshot's Current is empty (the interval closed). Alone and
// on 2 workers.
func TestSnapshotCurrentInterval(t *testing.T) {
	for _, workers := range []int{0, 2} {
		f, err := replay.Open(filepath.Join(samplesDir(t), "lab", "tcp-mix", "A.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		var latest observe.Latest
		var mids []*observe.Snapshot
		_, err = pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{Config: config.Default(),
			Probes: []probe.Identity{{Name: "A", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
			Workers: workers, Snapshot: &latest,
			Health: func(func(int, uint8, string, string, uint64)) {
				if s := latest.Snapshot(); s != nil && !s.Done && (len(mids) == 0 || mids[len(mids)-1] != s) {
					mids = append(mids, s)
				}
			}})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("workers %d: %d mid-run snapshots", workers, len(mids))
		if len(mids) < 2 {
			t.Fatalf("workers %d: %d snapshots taken mid-run", workers, len(mids))
		}
		var last uint64
		for _, s := range mids {
			var pk uint64
			for i, fl := range s.Current {
				if fl.Class == "all" {
					pk += fl.Packets
				}
				if i > 0 && fl.Bytes > s.Current[i-1].Bytes {
					t.Errorf("workers %d: current flows not largest first", workers)
				}
				if fl.IntervalStart != 1795964280e9 || fl.IntervalS != 60 || fl.CoveredStart != 1795964319_922139688 || fl.CoveredStart+int64(fl.CoveredS*1e9) > s.CaptureNs+1 {
					t.Errorf("workers %d: flow %d: interval %d +%g s, covered from %d for %.9f s; want 1795964280e9 +60 s from 1795964319922139688 to the clock %d",
						workers, fl.FlowID, fl.IntervalStart, fl.IntervalS, fl.CoveredStart, fl.CoveredS, s.CaptureNs)
				}
				if fl.DstPort == 60878 && fl.Class == "all" {
					if fl.Bytes < last || fl.Bytes > 2_172_921 {
						t.Errorf("workers %d: the busiest flow's bytes so far %d after %d, at most 2,172,921", workers, fl.Bytes, last)
					}
					last = fl.Bytes
				}
			}
			if len(s.Flows) != 0 || len(s.Probes) != 1 || pk != s.Probes[0].IP {
				t.Errorf("workers %d: mid-run snapshot: %d closed interval flows (want 0), current flows of class all hold %d packets, want the %d IP packets so far",
					workers, len(s.Flows), pk, s.Probes[0].IP)
			}
		}
		if last == 0 {
			t.Errorf("workers %d: the busiest flow (port 60878) never in a mid-run snapshot's Current", workers)
		}
		if s := latest.Snapshot(); !s.Done || len(s.Current) != 0 || len(s.Flows) == 0 {
			t.Errorf("workers %d: final snapshot: %d current flows, %d closed; want 0 and some", workers, len(s.Current), len(s.Flows))
		}
	}
}
