package pipeline_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

func merge(s ...pkt.Source) pipeline.Merged { return replay.Merge(s...) }

// funcSink is an observe.Sink calling a function for each batch written.
type funcSink func(b *observe.Batch) error

func (f funcSink) Write(b *observe.Batch) error { return f(b) }
func (f funcSink) Commit() error                { return nil }

// replayFiles runs the in-process pipeline over captures, one probe each.
func replayFiles(t testing.TB, cfg *config.Config, pace func(context.Context, int64) error, paths ...string) *pipeline.Result {
	t.Helper()
	var inputs []pipeline.Input
	var ids []probe.Identity
	for i, p := range paths {
		f, err := replay.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		inputs = append(inputs, pipeline.Input{Source: f, Probe: i})
		ids = append(ids, probe.Identity{Name: filepath.Base(p), Interfaces: []string{"if0"}})
	}
	res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{
		Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge, Pace: pace,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The expected IP packets, IP bytes and one-way 5-tuple flows come from
// tshark 4.0 with reassembly off (every fragment is a packet):
//
//	tshark -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r F -T fields
//	  -e ip.len -e ipv6.plen -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst
//	  -e ip.proto -e ipv6.nxt -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport
//
// packets = rows with an outer ip.len or ipv6.plen; bytes = sum of ip.len,
// or ipv6.plen + 40; flows = distinct (version, src, dst, protocol, ports)
// of the outer headers (first value of each field: ICMP errors quote a
// second header, so an ICMP packet takes no ports; frame.protocols tells).
var sampleTotals = []struct {
	file           string
	packets, bytes uint64
	flows          int
}{
	{"mixed/zeek_wikipedia.pcap", 126, 22896, 57},
	{"dns/chrissanders_dns_lab.pcapng", 22, 1957, 22},
	{"tcp-options/zeek_ssh_ssh.pcap", 1797, 1266271, 48},
	{"ftp-active/zeek_ftp_ipv6.pcap", 136, 14575, 12},
	{"ipv6/zeek_communityid_icmp6.pcap", 49, 3862, 13},
	{"vlan/zeek_icmp_dot1q.pcap", 9, 900, 2},
	{"linux-sll/tcpdump_resp_1_benchmark.pcap", 150, 22034, 30},
	{"ipv4-fragments/chrissanders_ppa1e_ipfragments.pcap", 24, 25120, 2},
	{"nanosecond/tcpdump_tcp-handshake-nano.pcap", 3, 172, 2},
	{"icmp-errors/chrissanders_icmp_traceroute.pcapng", 54, 4440, 10},
	{"ftp-edge/chrissanders_ppa1e_ftp-crack.pcap", 19730, 961770, 1425},
}

// allTotals are class all's totals in a batch: from its flows rows
// (packets, bytes, flows) and from its flow_counters ip_bytes rows (n,
// sum), which add up to the same packets and bytes.
type allTotals struct {
	packets, bytes, n uint64
	flows             int
	sum               float64
}

func classAll(b *observe.Batch) allTotals {
	var a allTotals
	inAll := map[uint64]bool{}
	for _, f := range b.Flows {
		if f.Class == "all" {
			a.packets += f.Packets
			a.bytes += f.Bytes
			a.flows++
			inAll[f.FlowID] = true
		}
	}
	for _, fc := range b.FlowCounters {
		if fc.Metric == "ip_bytes" && inAll[fc.FlowID] {
			a.n += fc.N
			a.sum += fc.Sum
		}
	}
	return a
}

func TestSampleTotals(t *testing.T) {
	root := filepath.Join(samplesDir(t), "pcap")
	for _, c := range sampleTotals {
		t.Run(c.file, func(t *testing.T) {
			res := replayFiles(t, config.Default(), nil, filepath.Join(root, c.file))
			all := classAll(res.Batch)
			if all.packets != c.packets || all.bytes != c.bytes || all.flows != c.flows {
				t.Errorf("class all: %d packets, %d bytes, %d flows; tshark: %d, %d, %d", all.packets, all.bytes, all.flows, c.packets, c.bytes, c.flows)
			}
			// The per-interval counters add up to the flow totals.
			if all.n != c.packets || uint64(all.sum) != c.bytes {
				t.Errorf("flow_counters ip_bytes: n %d sum %.0f, want %d %d", all.n, all.sum, c.packets, c.bytes)
			}
			if res.Collector.UnknownFlow != 0 || res.Collector.BadRecords != 0 {
				t.Errorf("collector: %+v", res.Collector)
			}
		})
	}
}

// TestSpeedDoesNotChangeRows: every timer runs on capture time, so a replay
// at full speed and one paced in real time (or 8x) give identical rows.
func TestSpeedDoesNotChangeRows(t *testing.T) {
	if testing.Short() {
		t.Skip("paced replay takes seconds")
	}
	root := filepath.Join(samplesDir(t), "pcap")
	cfg := config.Default()
	cfg.IntervalS = 1 // many intervals, many PDU flushes
	for _, c := range []struct {
		file  string
		speed string
	}{
		{"dns/tcpdump_dns_tcp.pcap", "realtime"},           // 0.38 s of capture
		{"tcp-retrans-rst/zeek_tcp_reassembly.pcap", "8x"}, // 14.4 s of capture, 15 intervals
	} {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(root, c.file)
			full := replayFiles(t, cfg, nil, path)
			speed, err := replay.ParseSpeed(c.speed)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			paced := replayFiles(t, cfg, replay.NewPacer(speed).Wait, path)
			span := time.Duration(float64(paced.LastNs-paced.FirstNs) / speed.Factor())
			if el := time.Since(start); el < span*9/10 {
				t.Errorf("paced replay took %v, capture span at %s is %v", el, c.speed, span)
			}
			if !reflect.DeepEqual(full.Batch, paced.Batch) {
				t.Errorf("rows differ between full speed and %s", c.speed)
			}
			if len(full.Batch.FlowCounters) == 0 || len(full.Batch.Flows) == 0 {
				t.Error("no rows")
			}
		})
	}
}

// TestTwoProbesKeepTheirFlows: two captures replayed together as two
// probes give each probe the flows it would have alone.
func TestTwoProbesKeepTheirFlows(t *testing.T) {
	root := filepath.Join(samplesDir(t), "pcap")
	a := filepath.Join(root, "mixed/zeek_wikipedia.pcap")
	b := filepath.Join(root, "dns/chrissanders_dns_lab.pcapng")
	res := replayFiles(t, config.Default(), nil, a, b)
	per := map[string]uint64{}
	for _, f := range res.Batch.Flows {
		if f.Class == "all" {
			per[f.Probe] += f.Packets
		}
	}
	want := map[string]uint64{"zeek_wikipedia.pcap": 126, "chrissanders_dns_lab.pcapng": 22}
	if !reflect.DeepEqual(per, want) {
		t.Errorf("packets per probe %v, want %v", per, want)
	}
}

// TestTruncatedCaptureKeepsRows: a capture cut inside a record yields the
// rows of every packet before the damage and a capture_damaged event.
func TestTruncatedCaptureKeepsRows(t *testing.T) {
	path := filepath.Join(samplesDir(t), "pcap", "malformed", "chrissanders_ppa1e_http-fault-post.pcap")
	f := openCapture(t, path)
	var failed []error
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: config.Default(), Probes: []probe.Identity{{Name: "p"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		InputError: func(_ int, err error) { failed = append(failed, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var packets uint64
	for _, fl := range res.Batch.Flows {
		packets += fl.Packets
	}
	// capinfos: 25 complete records, then a partial one; all 25 are IP.
	if packets != 25 || len(failed) != 1 {
		t.Errorf("%d packets, %d input errors; want 25 and 1", packets, len(failed))
	}
	found := false
	for _, e := range res.Batch.Events {
		if e.Kind == "capture_damaged" && e.Severity == observe.SevWarning {
			found = true
		}
	}
	if !found {
		t.Errorf("no capture_damaged event in %+v", res.Batch.Events)
	}
}

// TestSinkStreamsEveryRow: draining rows to a sink while the run goes on
// (bounded memory) loses and duplicates nothing.
func TestSinkStreamsEveryRow(t *testing.T) {
	path := filepath.Join(samplesDir(t), "lab", "tcp-mix", "A.pcap")
	cfg := config.Default()
	cfg.IntervalS = 1
	whole := replayFiles(t, cfg, nil, path).Batch.Len()
	for _, parallel := range []bool{false, true} {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		streamed := map[string]int{}
		drains := 0
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "if0.pcap"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
			SinkRows: 100, Parallel: parallel,
			Sink: funcSink(func(b *observe.Batch) error {
				drains++
				for k, v := range b.Len() {
					streamed[k] += v
				}
				return nil
			}),
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Batch.Rows() != 0 {
			t.Errorf("%d rows left in the result: the sink takes them all", res.Batch.Rows())
		}
		if drains < 3 || !reflect.DeepEqual(streamed, whole) {
			t.Errorf("parallel %v: %d drains; rows streamed %v, in one batch %v", parallel, drains, streamed, whole)
		}
	}
}

// TestParallelSameRows: with the collectors in their own goroutines the
// rows are the same as in one goroutine.
func TestParallelSameRows(t *testing.T) {
	for _, rel := range []string{"lab/tcp-mix/A.pcap", "lab/dns-snmp-ntp/B.pcap", "lab/ftp/B.pcap"} {
		path := filepath.Join(samplesDir(t), rel)
		cfg := config.Default()
		cfg.IntervalS = 1
		want := replayFiles(t, cfg, nil, path).Batch
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: filepath.Base(path), Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
			Parallel: true,
		})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Batch, want) {
			pv, wv := reflect.ValueOf(*res.Batch), reflect.ValueOf(*want)
			for i := 0; i < pv.NumField(); i++ {
				if !reflect.DeepEqual(pv.Field(i).Interface(), wv.Field(i).Interface()) {
					a, b := pv.Field(i), wv.Field(i)
					t.Errorf("%s: %s differs with Parallel (%d vs %d rows)", rel, pv.Type().Field(i).Name, a.Len(), b.Len())
					for j := 0; j < a.Len() && j < b.Len(); j++ {
						if !reflect.DeepEqual(a.Index(j).Interface(), b.Index(j).Interface()) {
							t.Errorf("row %d:\n%+v\n%+v", j, a.Index(j).Interface(), b.Index(j).Interface())
							break
						}
					}
				}
			}
		}
	}
}

// TestLongSilenceFewHeartbeats: zeek_ssh_ssh.pcap spans three years of
// capture time (capinfos: 96,970,194 s) with long silences; the channel
// must not send a heartbeat for every 10 s of them (that was 9.7 million).
func TestLongSilenceFewHeartbeats(t *testing.T) {
	res := replayFiles(t, config.Default(), nil, filepath.Join(samplesDir(t), "pcap", "tcp-options", "zeek_ssh_ssh.pcap"))
	if hb := res.Senders[0].Heartbeats; hb > 1000 {
		t.Errorf("%d heartbeats", hb)
	}
}

// TestDrainWritesEndedFlows: flows that ended (idle) leave the collector
// at the next drain, once, with their final totals; the others at the end.
func TestDrainWritesEndedFlows(t *testing.T) {
	path := filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap") // 6.4 s, 126 IP packets
	cfg, err := config.Parse([]byte("interval_s: 1\nclasses:\n  - name: all\n    idle_timeout_s: 1\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := openCapture(t, path)
	seen := map[uint64]int{}
	var packets uint64
	early, last := 0, 0
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "w"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge, SinkRows: 1, Parallel: true, // the collector goroutine drains after every PDU
		Sink: funcSink(func(b *observe.Batch) error {
			for _, fl := range b.Flows {
				seen[fl.FlowID]++
				packets += fl.Packets
			}
			last = len(b.Flows)
			return nil
		}),
	})
	if err != nil || res.Batch.Rows() != 0 {
		t.Fatal(err, res.Batch.Rows())
	}
	early = len(seen) - last // flows written before the last batch (the end)
	for id, n := range seen {
		if n != 1 {
			t.Errorf("flow %d written %d times", id, n)
		}
	}
	if packets != 126 || early == 0 {
		t.Errorf("%d packets in flows (tshark: 126), %d flows written before the end", packets, early)
	}
}

// TestSinkBatchesBounded: with the collector in the probes' goroutine, an
// interval close (every active flow's counters at once) is written as it
// passes SinkRows, not gathered until the next periodic drain: no batch
// handed to the sink holds more than SinkRows rows plus one frame's (flows
// excepted: the final flows table goes in its own chunks). 20,000 SYNs
// from as many sources at 10,000 a second, 1 s intervals: each interval
// close reports 10,000 flows of classes all at once. The same with the
// collector in its own goroutine (it drained after each frame already).
func TestSinkBatchesBounded(t *testing.T) {
	cfg := config.Default()
	cfg.IntervalS = 1
	const sinkRows = 1000
	for _, parallel := range []bool{false, true} {
		biggest, total := 0, 0
		_, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: newSYNFlood(20_000, 4, 10_000)}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: "A"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
			SinkRows: sinkRows, Parallel: parallel, FlushEveryNs: 1 << 62,
			Sink: funcSink(func(b *observe.Batch) error {
				n := b.Rows() - len(b.Flows)
				biggest = max(biggest, n)
				total += n
				return nil
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("parallel %v: %d rows, the biggest batch %d", parallel, total, biggest)
		if biggest > sinkRows+maxFrameRows || total < 20_000 {
			t.Errorf("parallel %v: the biggest batch holds %d rows of %d, want at most %d + %d (one frame)", parallel, biggest, total, sinkRows, maxFrameRows)
		}
	}
}

// TestParallelSinkErrorStopsRun: with the collector in its own goroutine
// (Parallel, as live and replay run), a write that fails there ends the
// run with the sink's error at once. It used to be noticed only when the
// input ended: a live capture onto a full disk went on for minutes,
// writing nothing and saying nothing, until SIGTERM. 200,000 SYNs at
// 10,000 a second, 1 s intervals: the first interval close passes
// SinkRows and its write fails; the run must stop long before the flood
// ends.
func TestParallelSinkErrorStopsRun(t *testing.T) {
	cfg := config.Default()
	cfg.IntervalS = 1
	full := errors.New("no space left on device")
	flood := newSYNFlood(200_000, 4, 10_000)
	_, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: flood}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "A"}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		SinkRows: 1000, Parallel: true, FlushEveryNs: 1 << 62,
		Sink: funcSink(func(b *observe.Batch) error {
			if len(b.FlowCounters) > 0 { // the empty tables at the start are written
				return full
			}
			return nil
		}),
	})
	if !errors.Is(err, full) {
		t.Fatalf("run: %v, want the sink's error", err)
	}
	t.Logf("%d of %d packets read", flood.i, flood.n)
	if flood.i >= flood.n {
		t.Errorf("the run read all %d packets before saying the sink failed", flood.n)
	}
}

// maxFrameRows bounds the rows one PDU frame carries: DefaultSenderConfig's
// MaxPDUBytes over the smallest record, a counter metric of a few bytes.
const maxFrameRows = 400

// TestUnlistedProbeWithKeys: a config whose probes list has keys (the
// shared config of samples/dist.yaml) makes the collector authenticate
// every PDU; a probe not in the list sends untagged ones. tmonbench
// replay --config of such a file over zeek_wikipedia.pcap (probe named
// after the file) wrote no flow, 3908 retransmissions and a warning that
// PDUs were never acknowledged, while its summary counted 59 flows; live
// (probe named after the host) likewise. Now the run refuses to start and
// says why; a listed probe still runs.
func TestUnlistedProbeWithKeys(t *testing.T) {
	cfg, err := config.Parse([]byte("probes:\n  - {name: pa, key: k-a}\n"), "d.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap")
	run := func(name string) (*pipeline.Result, error) {
		f, err := replay.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return pipeline.Run(context.Background(), []pipeline.Input{{Source: f}}, pipeline.Options{
			Config: cfg, Probes: []probe.Identity{{Name: name, Interfaces: []string{"if0"}}}, Sender: pdu.DefaultSenderConfig(), Merge: merge,
		})
	}
	_, err = run("zeek_wikipedia.pcap")
	want := `probe "zeek_wikipedia.pcap" is not in the probes list of d.yaml (pa), whose keys authenticate every PDU`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("unlisted probe: error %v, want %q", err, want)
	}
	res, err := run("pa")
	if err != nil {
		t.Fatal(err)
	}
	if all := classAll(res.Batch); all.packets != 126 || all.flows != 57 { // sampleTotals (tshark)
		t.Errorf("listed probe: %d packets, %d flows; tshark 126, 57", all.packets, all.flows)
	}
}
