package pipeline_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testframes"
	"github.com/tmonbench/tmonbench/replay"
)

// runWorkers replays captures (one probe each) with n probe workers
// (pipeline.Options.Workers) and the collector in its own goroutine.
func runWorkers(t *testing.T, n int, readAhead bool, intervalS float64, paths ...string) *pipeline.Result {
	t.Helper()
	inputs, ids, closeAll := probeInputs(t, nil, paths...)
	defer closeAll()
	cfg := config.Default()
	cfg.IntervalS = intervalS
	res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{
		Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge, Parallel: true, Workers: n,
		ReadAhead: readAhead,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// labRuns lists every lab capture (each alone) and a merged run of
// several captures, as TestReadAheadSameRows replays them.
func labRuns(t *testing.T) [][]string {
	lab := filepath.Join(samplesDir(t), "lab")
	runs := [][]string{
		{filepath.Join(samplesDir(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap")},
		{filepath.Join(lab, "tcp-mix", "A.pcap"), filepath.Join(lab, "tcp-mix", "B.pcap"), filepath.Join(samplesDir(t), "pcap", "ftp-edge", "chrissanders_ppa1e_ftp-crack.pcap")},
	}
	for _, exp := range []string{"dns-snmp-ntp", "frag", "ftp", "oneway-icmp", "oneway-udp", "tcp-mix"} {
		var all []string
		for _, point := range []string{"A", "B", "RC", "RS"} {
			p := filepath.Join(lab, exp, point+".pcap")
			if exp == "oneway-icmp" {
				p += ".gz"
			}
			runs = append(runs, []string{p})
			all = append(all, p)
		}
		runs = append(runs, all) // four probes on one path: one-way delays
	}
	return runs
}

// sampleRuns lists every sample capture of testdata/pcap (SOURCES.md
// names their origin) that opens, each alone.
func sampleRuns(t *testing.T) [][]string {
	var runs [][]string
	err := filepath.WalkDir(filepath.Join(samplesDir(t), "pcap"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			return err
		}
		if f, err := replay.Open(p); err == nil { // not the captures whose header is broken
			f.Close()
			runs = append(runs, []string{p})
		}
		return nil
	})
	if err != nil || len(runs) < 50 {
		t.Fatalf("%d sample captures: %v", len(runs), err)
	}
	return runs
}

// TestWorkersSameRows: 1, 2 and 4 probe workers give every table row for
// row (the collector's order) on every lab capture alone, on each lab
// experiment's four capture points together (one-way delays), on several
// captures merged and on every sample capture (damaged ones included),
// pdu_stats included: since the workers' records of one packet or clock
// step are merged in a lone probe's order, they are packed into the same
// PDUs (before, pdu_stats' pdus and bytes were left out). Intervals
// of 1 s (many reports, expiries and interval events), and of an hour for
// the merged runs (every worker's anomalies summed into one event).
func TestWorkersSameRows(t *testing.T) {
	for _, paths := range append(labRuns(t), sampleRuns(t)...) {
		intervals := []float64{1}
		if len(paths) > 1 {
			intervals = append(intervals, 3600)
		}
		name := filepath.Base(filepath.Dir(paths[0])) + "/" + filepath.Base(paths[0])
		if len(paths) > 1 {
			name += "+merged"
		}
		for _, iv := range intervals {
			t.Run(fmt.Sprintf("%s/%gs", name, iv), func(t *testing.T) { sameRows(t, iv, paths) })
		}
	}
}

// sameRows compares 1, 2 and 4 workers, and 2 workers whose files are
// read ahead (their packets lent from the chunks' blocks), with a lone
// probe (no workers) on one run: ids included (flow_id, conn_id,
// session_id: the merge numbers them as a lone probe does).
func sameRows(t *testing.T, intervalS float64, paths []string) {
	want := runWorkers(t, 0, false, intervalS, paths...)
	if want.Packets > 0 && len(want.Batch.Events) == 0 {
		t.Fatal("no event: wrong capture path?")
	}
	for _, c := range []struct {
		n     int
		ahead bool
	}{{1, false}, {2, false}, {4, false}, {2, true}} {
		got := runWorkers(t, c.n, c.ahead, intervalS, paths...)
		if got.Packets != want.Packets || got.ProbeTotals() != want.ProbeTotals() {
			t.Errorf("%d workers (read ahead %v): %+v\nlone probe: %+v", c.n, c.ahead, got.ProbeTotals(), want.ProbeTotals())
		}
		diffBatches(t, got.Batch, want.Batch)
		if !slices.Equal(got.LastIDs, want.LastIDs) {
			t.Errorf("%d workers (read ahead %v): LastIDs %v, a lone probe's %v", c.n, c.ahead, got.LastIDs, want.LastIDs)
		}
	}
}

// withoutPacking keeps of pdu_stats what does not depend on how records
// were packed into PDUs: the records of each type (a MetricDef once,
// however many workers used the metric: defOnce), the observed bytes,
// the retransmissions and destructions (none in these runs).
func withoutPacking(b *observe.Batch) *observe.Batch {
	c := *b
	c.PDUStats = slices.Clone(b.PDUStats)
	for i := range c.PDUStats {
		r := &c.PDUStats[i]
		r.PDUs, r.Bytes, r.OverheadPct = 0, 0, 0
	}
	return &c
}

// frameSource is a pkt.Source over frames held in memory.
type frameSource struct {
	frames [][]byte
	metas  []pkt.Meta
	i      int
}

func (s *frameSource) Next() ([]byte, pkt.Meta, error) {
	if s.i >= len(s.frames) {
		return nil, pkt.Meta{}, io.EOF
	}
	s.i++
	return s.frames[s.i-1], s.metas[s.i-1], nil
}

func (s *frameSource) Close() error { return nil }

// twinned returns the frames of a capture twice, interleaved in capture
// order: as captured, and with every IPv4 address moved by k in its third
// octet, 1 µs later, so the same conversations (and their anomalies) run
// twice on other address pairs. k is the smallest that puts every twin
// pair in the other worker of two (dissect.ShardOfAddrs).
func twinned(t *testing.T, path string) *frameSource {
	frames, metas := testframes.Frames(t, path)
	dis := dissect.New()
	var d dissect.Dissection
	move := func(a netip.Addr, k uint32) netip.Addr {
		b := a.As4()
		binary.BigEndian.PutUint32(b[:], binary.BigEndian.Uint32(b[:])+k<<8)
		return netip.AddrFrom4(b)
	}
	k := uint32(1)
	for ; k < 256; k++ {
		apart := true
		for i, f := range frames {
			if dis.Dissect(f, metas[i], &d) == nil && d.IPVersion == 4 &&
				dissect.ShardOfAddrs(d.SrcAddr, d.DstAddr, 2) == dissect.ShardOfAddrs(move(d.SrcAddr, k), move(d.DstAddr, k), 2) {
				apart = false
				break
			}
		}
		if apart {
			break
		}
	}
	if k == 256 {
		t.Fatal("no shift puts every twin in the other worker")
	}
	s := &frameSource{}
	for i, f := range frames {
		twin := append([]byte(nil), f...)
		m := metas[i]
		if dis.Dissect(f, m, &d) == nil && d.IPVersion == 4 {
			for _, off := range []uint32{d.NetOff + 12, d.NetOff + 16} {
				binary.BigEndian.PutUint32(twin[off:], binary.BigEndian.Uint32(twin[off:])+k<<8)
			}
		}
		tm := m
		tm.TimeNs += 1000
		s.frames = append(s.frames, f, twin)
		s.metas = append(s.metas, m, tm)
	}
	return s
}

// TestWorkersSumAnomalies: a conversation mix run twice on other address
// pairs (so in other workers) in one interval gives each anomaly event
// once, with both runs' count, for 1, 2 and 4 workers (the merge sums the
// workers' counts; the lab's DNS capture has one retransmitted request).
func TestWorkersSumAnomalies(t *testing.T) {
	path := filepath.Join(samplesDir(t), "lab", "dns-snmp-ntp", "A.pcap")
	run := func(n int) *pipeline.Result {
		cfg := config.Default()
		cfg.IntervalS = 3600
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: twinned(t, path)}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "twins", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(),
			Merge: merge, Parallel: true, Workers: n,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := run(1)
	var retrans []observe.Event
	for _, e := range want.Batch.Events {
		if e.Kind == "rtt_retransmitted_requests" {
			retrans = append(retrans, e)
		}
	}
	if len(retrans) != 1 || retrans[0].Count != 2 {
		t.Fatalf("1 worker: rtt_retransmitted_requests events %+v, want one counting 2", retrans)
	}
	for _, n := range []int{2, 4} {
		got := run(n)
		diffBatches(t, got.Batch, want.Batch)
	}
}

// idleSource is a live-like source over frames: every 50 packets it is
// idle once (pkt.ErrIdle), and its clock (wall) reads just before the next
// packet's time, so the engines tick their clocks forward between packets.
type idleSource struct {
	frameSource
	idle bool
}

func (s *idleSource) Next() ([]byte, pkt.Meta, error) {
	if s.i > 0 && s.i%50 == 0 && !s.idle && s.i < len(s.frames) {
		s.idle = true
		return nil, pkt.Meta{}, pkt.ErrIdle
	}
	s.idle = false
	return s.frameSource.Next()
}

// wall is the source's clock: 1 µs before its next packet.
func (s *idleSource) wall() int64 {
	if s.i < len(s.metas) {
		return s.metas[s.i].TimeNs - 1000
	}
	return s.metas[len(s.metas)-1].TimeNs
}

// TestWorkersSameRowsIdleTicks: idle ticks between packets (a live
// capture's clock moving without traffic, probe.Workers.Tick) give the
// same tables for 1, 2 and 4 workers.
func TestWorkersSameRowsIdleTicks(t *testing.T) {
	path := filepath.Join(samplesDir(t), "lab", "tcp-mix", "A.pcap")
	run := func(n int) *pipeline.Result {
		frames, metas := testframes.Frames(t, path)
		src := &idleSource{frameSource: frameSource{frames: frames, metas: metas}}
		cfg := config.Default()
		cfg.IntervalS = 1
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "live", Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(),
			Merge: merge, Parallel: true, Workers: n, Wall: src.wall,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := run(1)
	if want.Packets == 0 || len(want.Batch.FlowCounters) == 0 {
		t.Fatalf("%d packets, %d flow_counters rows", want.Packets, len(want.Batch.FlowCounters))
	}
	for _, n := range []int{2, 4} {
		diffBatches(t, withoutPacking(run(n).Batch), withoutPacking(want.Batch))
	}
}
