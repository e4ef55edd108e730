package collector

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// countersFrames builds a probe's Hello, metric and flow definitions, then
// n Counters PDUs of 40 flows x 6 metrics each (the shape of an interval
// close), numbered from PDU id 10.
func countersFrames(n int) (defs, counters [][]byte) {
	defs = append(defs, testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	defs = append(defs, testFrame(pdu.TypeMetricDef, 2, func(e *pdu.Enc) {
		for id, name := range []string{"ip_bytes", "ttl", "dscp", "l4_payload_bytes", "packets", "ip_fragments"} {
			(&pdu.MetricDef{ID: uint32(id), Name: name}).Append(e)
		}
	}))
	defs = append(defs, testFrame(pdu.TypeFlowDef, 3, func(e *pdu.Enc) {
		for f := range 40 {
			(&pdu.FlowDef{FlowID: uint64(f + 1), Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
		}
	}))
	metrics := make([]pdu.Metric, 6)
	for i := range metrics {
		metrics[i] = pdu.Metric{ID: uint32(i)}
		metrics[i].Stat.Add(float64(40 + i))
	}
	for i := range n {
		counters = append(counters, testFrame(pdu.TypeCounters, uint32(10+i), func(e *pdu.Enc) {
			for f := range 40 {
				(&pdu.Counters{IntervalStartNs: int64(i) * 60e9, IntervalNs: 60e9, FlowID: uint64(f + 1), Metrics: metrics}).Append(e)
			}
		}))
	}
	return defs, counters
}

// TestZeroAllocs: once the batch has room (a drained batch was recycled),
// decoding a Counters PDU into flow_counters rows allocates nothing: names
// are the probe's, interned, and rows land in the reused slice.
func TestZeroAllocs(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defs, frames := countersFrames(200)
	for _, f := range defs {
		c.Handle(f)
	}
	for _, f := range frames[:100] { // warm up: the batch grows once
		c.Handle(f)
	}
	c.Recycle(c.Drain())
	i := 100
	if n := testing.AllocsPerRun(50, func() { c.Handle(frames[i]); i++ }); n != 0 {
		t.Errorf("%.1f allocations per Counters PDU of 240 rows, want 0", n)
	}
}

// TestZeroAllocsEnded: once warmed up, flow updates that end defined
// flows allocate nothing: the flow changes in place (flowTable.Ptr) and
// the list of ended flows keeps its room across drains.
func TestZeroAllocsEnded(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	id := uint32(2)
	frame := func(typ pdu.Type, rec func(e *pdu.Enc, f uint64), lo, hi uint64) []byte {
		id++
		return testFrame(typ, id, func(e *pdu.Enc) {
			for f := lo; f < hi; f++ {
				rec(e, f)
			}
		})
	}
	for lo := uint64(1); lo <= 3000; lo += 100 {
		c.Handle(frame(pdu.TypeFlowDef, func(e *pdu.Enc, f uint64) {
			(&pdu.FlowDef{FlowID: f, Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
		}, lo, lo+100))
	}
	var ends [][]byte
	for lo := uint64(1); lo <= 2000; lo += 100 {
		ends = append(ends, frame(pdu.TypeFlowUpdate, func(e *pdu.Enc, f uint64) {
			(&pdu.FlowUpdate{FlowID: f, LastSeenNs: 2e9, Packets: 3, Bytes: 300, Ended: pdu.EndIdle}).Append(e)
		}, lo, lo+100))
	}
	for _, f := range ends[:10] { // warm up: the list of ended flows grows once
		c.Handle(f)
	}
	if b := c.Drain(); len(b.Flows) != 1000 {
		t.Fatalf("%d flows written, want the 1000 ended", len(b.Flows))
	}
	i := 10
	if n := testing.AllocsPerRun(9, func() { c.Handle(ends[i]); i++ }); n != 0 {
		t.Errorf("%.1f allocations per PDU of 100 flow updates ending their flows, want 0", n)
	}
	if len(c.ended) != 1000 {
		t.Errorf("%d flows listed as ended, want 1000", len(c.ended))
	}
}

// TestMetricLabelCache: a metric used before its definition is named by
// its placeholder, resolved at the drain, and once the definition came
// the rows carry its name and unit (observe.MetricUnit: ip_bytes is in
// bytes) as they are decoded: the probe's cache of labels forgets the
// placeholder.
func TestMetricLabelCache(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	counters := func(id uint32) []byte {
		return testFrame(pdu.TypeCounters, id, func(e *pdu.Enc) {
			(&pdu.Counters{IntervalStartNs: int64(id) * 60e9, IntervalNs: 60e9, FlowID: 1, Metrics: []pdu.Metric{{ID: 0}}}).Append(e)
		})
	}
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	c.Handle(counters(2))
	if b := c.Drain(); len(b.FlowCounters) != 0 {
		t.Fatalf("row of an undefined metric written: %+v", b.FlowCounters)
	}
	c.Handle(testFrame(pdu.TypeMetricDef, 3, func(e *pdu.Enc) { (&pdu.MetricDef{ID: 0, Name: "ip_bytes"}).Append(e) }))
	c.Handle(counters(4))
	if r := c.batch.FlowCounters[len(c.batch.FlowCounters)-1]; r.Metric != "ip_bytes" || r.Unit != "bytes" {
		t.Errorf("decoded after the definition: metric %q unit %q, want ip_bytes, bytes", r.Metric, r.Unit)
	}
	b := c.Drain()
	if len(b.FlowCounters) != 2 {
		t.Fatalf("%d rows, want 2", len(b.FlowCounters))
	}
	for _, r := range b.FlowCounters {
		if r.Metric != "ip_bytes" || r.Unit != "bytes" || r.Probe != "site-a" {
			t.Errorf("row %+v: want probe site-a, metric ip_bytes, unit bytes", r)
		}
	}
}

// TestFlowRowAllocs: the flows rows FlushFlows writes allocate their name
// only (AppendFlowName into the collector's buffer; the addresses are
// interned): at most one allocation per row, where the name's
// concatenations made six.
func TestFlowRowAllocs(t *testing.T) {
	const n = 2000
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::80")
	for lo := 0; lo < n; lo += 100 {
		c.Handle(testFrame(pdu.TypeFlowDef, uint32(2+lo/100), func(e *pdu.Enc) {
			for i := lo; i < lo+100; i++ {
				(&pdu.FlowDef{FlowID: uint64(i + 1), Class: "all", Fields: pdu.FieldProtocol | pdu.FieldSrcAddr | pdu.FieldDstAddr | pdu.FieldSrcPort | pdu.FieldDstPort,
					Protocol: 6, SrcAddr: src, DstAddr: dst, SrcPort: uint16(1024 + i), DstPort: 443, FirstSeenNs: 1e8}).Append(e)
			}
		}))
	}
	for lo := 0; lo < n; lo += 100 { // their totals: a flow without any is left out of flows
		c.Handle(testFrame(pdu.TypeFlowUpdate, uint32(2+n/100+lo/100), func(e *pdu.Enc) {
			for i := lo; i < lo+100; i++ {
				(&pdu.FlowUpdate{FlowID: uint64(i + 1), LastSeenNs: 2e8, Packets: 1, Bytes: 60}).Append(e)
			}
		}))
	}
	rows := 0
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = c.FlushFlows(512, func(b *observe.Batch) (*observe.Batch, error) { rows += len(b.Flows); return b, nil })
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	allocs := float64(after.Mallocs - before.Mallocs) // not AllocsPerRun: its first call would flush every flow
	if rows != n {
		t.Fatalf("%d flows rows, want %d", rows, n)
	}
	if perRow := allocs / n; perRow > 1.05 {
		t.Errorf("%.2f allocations per flows row, want at most 1 (and a few per call)", perRow)
	}
}

// TestRoomDoubles: a batch's slice grows by doubling up to batchRows
// rows (append would grow it by a quarter past 256 rows, copying the
// first 64 k flow_counters rows four times over), then as append does.
func TestRoomDoubles(t *testing.T) {
	var rows []observe.FlowCounter
	var caps []int
	for range batchRows {
		if len(rows) == cap(rows) {
			rows = room(rows, 1)
			caps = append(caps, cap(rows))
		}
		rows = append(rows, observe.FlowCounter{})
	}
	for i, c := range caps {
		if want := 64 << i; c != want {
			t.Fatalf("capacities %v: growth %d is %d rows, want %d", caps, i, c, want)
		}
	}
	if caps[len(caps)-1] != batchRows {
		t.Errorf("capacities %v, want the last %d", caps, batchRows)
	}
	if rows = room(rows, 1); cap(rows) != batchRows {
		t.Errorf("room past batchRows grew the slice to %d rows, want it left to append", cap(rows))
	}
	if rows = room(rows[:0], 300); cap(rows) != batchRows {
		t.Errorf("room in a slice with room: capacity %d, want %d", cap(rows), batchRows)
	}
}

// TestEndedOnce: a flow ended by two updates (idle, then its final
// totals, reordered: the larger totals are kept) is listed once and
// written once, at the next drain; an update after that is ignored (the
// flow is retired), and a flow ended before its definition waits for it.
func TestEndedOnce(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	c.Handle(testFrame(pdu.TypeFlowDef, 2, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol | pdu.FieldSrcPort | pdu.FieldDstPort, Protocol: 17, DstPort: 53, FirstSeenNs: 1e8, FoldedPorts: 1}).Append(e)
	}))
	update := func(id uint32, flow uint64, packets uint64, end uint8) {
		c.Handle(testFrame(pdu.TypeFlowUpdate, id, func(e *pdu.Enc) {
			(&pdu.FlowUpdate{FlowID: flow, LastSeenNs: 5e8, Packets: packets, Bytes: 100 * packets, Ended: end}).Append(e)
		}))
	}
	// flow 9's definition carries bit 7 (no folded port): dropped, the
	// flow is listed when it ends
	c.Handle(testFrame(pdu.TypeFlowDef, 8, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 9, Class: "all", Fields: pdu.FieldProtocol, Protocol: 6, FirstSeenNs: 1e8, FoldedPorts: 0x80}).Append(e)
	}))
	update(9, 9, 3, pdu.EndFinal)
	if len(c.ended) != 1 || c.ended[0].id != 9 {
		t.Fatalf("ended flows listed %v, want flow 9", c.ended)
	}
	c.Drain()
	update(3, 7, 9, pdu.EndFinal)
	update(4, 7, 5, pdu.EndIdle)
	update(5, 8, 1, pdu.EndIdle) // flow 8: no definition yet
	if len(c.ended) != 2 {
		t.Errorf("ended flows listed %v, want 7 and 8 once each", c.ended)
	}
	b := c.Drain()
	if len(b.Flows) != 1 || b.Flows[0].FlowID != 7 || b.Flows[0].Packets != 9 || b.Flows[0].Bytes != 900 || b.Flows[0].Name != "*:high>*:53/udp" {
		t.Fatalf("flows %+v, want flow 7 once with 9 packets", b.Flows)
	}
	update(6, 7, 12, pdu.EndFinal)
	c.Handle(testFrame(pdu.TypeFlowDef, 7, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 8, Class: "all", Fields: pdu.FieldProtocol, Protocol: 6, FirstSeenNs: 1e8}).Append(e)
	}))
	if b := c.Drain(); len(b.Flows) != 1 || b.Flows[0].FlowID != 8 || b.Flows[0].Packets != 1 {
		t.Fatalf("flows %+v, want flow 8 only", b.Flows)
	}
	if b := c.Finish(); len(b.Flows) != 0 {
		t.Fatalf("flows written twice: %+v", b.Flows)
	}
}

// BenchmarkCounters measures the collector's per-row path: Counters PDUs
// (40 flows x 6 metrics) decoded into flow_counters rows, drained and
// recycled every 100 PDUs.
func BenchmarkCounters(b *testing.B) {
	c, err := New(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defs, frames := countersFrames(b.N)
	for _, f := range defs {
		c.Handle(f)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c.Handle(frames[i])
		if i%100 == 99 {
			c.Recycle(c.Drain())
		}
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*240)
	b.ReportMetric(ns, "ns/row")
	b.ReportMetric(1e9/ns, "rows/s")
}

// rowFrames builds n PDUs of tcp_connections rows and n of rtt_samples
// rows (10 rows each, with addresses, class, history, handshake times,
// options and details), numbered from PDU id 10 after a Hello.
func rowFrames(n int) (hello []byte, frames [][]byte) {
	hello = testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) })
	ms, ws, mss := 1.25, int16(7), uint16(1460)
	for i := range n {
		frames = append(frames, testFrame(pdu.TypeTCPConn, uint32(10+2*i), func(e *pdu.Enc) {
			for j := range 10 {
				tcpconn.AppendConn(e, 0, &observe.TCPConnection{Class: "web", ConnID: uint64(10*i + j + 1),
					ClientAddr: "198.18.0." + strconv.Itoa(j), ClientPort: 40000, ServerAddr: "2001:db8::80", ServerPort: 80,
					StartTime: 1e9, EndTime: 2e9, HandshakeSynSynackMs: &ms, HandshakeSynackAckMs: &ms, HandshakeRTTMs: &ms,
					ClientWScale: &ws, ClientMSS: &mss, ServerWScale: &ws, ServerMSS: &mss, ConnState: "SF", History: "ShADadFf"})
			}
		}))
		frames = append(frames, testFrame(pdu.TypeRTTSample, uint32(11+2*i), func(e *pdu.Enc) {
			for j := range 10 {
				rtt.AppendSample(e, &observe.RTTSample{FlowID: uint64(j + 1), Kind: "dns", RequestTime: 1e9, RTTMs: 0.5,
					ClientAddr: "198.18.0." + strconv.Itoa(j), ClientPort: 5353, ServerAddr: "198.19.0.53", ServerPort: 53,
					Detail: "A host" + strconv.Itoa(j) + ".bench.test NOERROR"})
			}
		}))
	}
	return hello, frames
}

// TestZeroAllocsRows: once warmed up, decoding tcp_connections and
// rtt_samples rows allocates nothing (issue 14): their strings are
// interned (addresses, class, history, detail) and their nullable values
// come from the collector's slabs (pdu.Arena).
func TestZeroAllocsRows(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hello, frames := rowFrames(300)
	c.Handle(hello)
	for _, f := range frames[:200] { // warm up: the batch grows once, the strings are interned
		c.Handle(f)
	}
	b := c.Drain()
	if len(b.TCPConnections) != 1000 || len(b.RTTSamples) != 1000 {
		t.Fatalf("%d tcp_connections and %d rtt_samples rows, want 1000 each", len(b.TCPConnections), len(b.RTTSamples))
	}
	r := b.TCPConnections[999]
	if r.ClientAddr != "198.18.0.9" || r.ServerAddr != "2001:db8::80" || r.History != "ShADadFf" || r.Class != "web" ||
		*r.HandshakeRTTMs != 1.25 || *r.ServerMSS != 1460 || *r.ClientWScale != 7 || b.RTTSamples[999].Detail != "A host9.bench.test NOERROR" {
		t.Errorf("decoded %+v, %+v", r, b.RTTSamples[999])
	}
	c.Recycle(b)
	i := 200
	if n := testing.AllocsPerRun(50, func() { c.Handle(frames[i]); i++ }); n != 0 {
		t.Errorf("%.1f allocations per PDU of 10 rows, want 0", n)
	}
}

// flowFrames builds a probe's Hello and metric definition, then the PDUs
// of n flows (ids 1, 1+stride, ...): their definitions, then per interval
// (3) a Counters record (one metric, if counters) and a FlowUpdate each,
// the last one ending the flow, 100 records a PDU.
func flowFrames(n int, stride uint64, counters bool) (frames [][]byte) {
	id := uint32(1)
	frame := func(typ pdu.Type, rec func(e *pdu.Enc)) {
		var e pdu.Enc
		rec(&e)
		frames = append(frames, pdu.AppendFrame(nil, pdu.Header{Type: typ, ProbeID: 3, ID: id, BuildTimeNs: 1e9}, e.B))
		id++
	}
	frame(pdu.TypeHello, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) })
	frame(pdu.TypeMetricDef, func(e *pdu.Enc) { (&pdu.MetricDef{ID: 0, Name: "ip_bytes"}).Append(e) })
	flowID := func(i int) uint64 { return 1 + uint64(i)*stride }
	for lo := 0; lo < n; lo += 100 {
		frame(pdu.TypeFlowDef, func(e *pdu.Enc) {
			for i := lo; i < min(lo+100, n); i++ {
				(&pdu.FlowDef{FlowID: flowID(i), Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
			}
		})
	}
	metrics := []pdu.Metric{{ID: 0}}
	metrics[0].Stat.Add(40)
	for iv := range 3 {
		for lo := 0; lo < n; lo += 100 {
			if counters {
				frame(pdu.TypeCounters, func(e *pdu.Enc) {
					for i := lo; i < min(lo+100, n); i++ {
						(&pdu.Counters{IntervalStartNs: int64(iv) * 60e9, IntervalNs: 60e9, FlowID: flowID(i), Metrics: metrics}).Append(e)
					}
				})
			}
			frame(pdu.TypeFlowUpdate, func(e *pdu.Enc) {
				for i := lo; i < min(lo+100, n); i++ {
					u := pdu.FlowUpdate{FlowID: flowID(i), LastSeenNs: int64(iv+1) * 60e9, Packets: uint64(iv + 1), Bytes: uint64(100 * (iv + 1))}
					if iv == 2 {
						u.Ended = pdu.EndIdle
					}
					u.Append(e)
				}
			})
		}
	}
	return frames
}

// BenchmarkFlows measures the collector's flow table: 200 k flows defined,
// updated over 3 intervals (and counted: +counters), then ended and
// drained (not timed); ids dense (one probe, one worker) or spread
// (workers number flows by capture ordinal). ns/record counts the records
// decoded.
func BenchmarkFlows(b *testing.B) {
	const n = 200_000
	for _, bc := range []struct {
		name     string
		stride   uint64
		counters bool
	}{{"dense", 1, false}, {"spread", 75, false}, {"dense+counters", 1, true}} {
		b.Run(bc.name, func(b *testing.B) {
			frames := flowFrames(n, bc.stride, bc.counters)
			records := n * 4
			if bc.counters {
				records = n * 7
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				c, err := New(nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for _, f := range frames {
					c.Handle(f)
				}
				b.StopTimer()
				if r := c.Drain(); len(r.Flows) != n {
					b.Fatalf("%d flows, want %d", len(r.Flows), n)
				}
				b.StartTimer()
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*records)
			b.ReportMetric(ns, "ns/record")
		})
	}
}

// sinkRows is the pipeline's DefaultSinkRows (engine/pipeline, which
// imports this package): the collector's rows go to the sink every 64 k
// rows or flushNs of capture time.
const (
	sinkRows = 1 << 16
	flushNs  = 5e9
)

// benchFrames returns the frames of TMONBENCH_COLLECTOR_FRAMES (every
// frame a probe sent, each after its length as 4 bytes little-endian:
// e.g. the 31 k frames of the 5M corpus of ../shared/bench), or else
// those of flowFrames for 50 k flows with counters.
func benchFrames(b *testing.B) [][]byte {
	path := os.Getenv("TMONBENCH_COLLECTOR_FRAMES")
	if path == "" {
		return flowFrames(50_000, 1, true)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]byte
	for len(data) >= 4 {
		n := int(binary.LittleEndian.Uint32(data))
		frames = append(frames, data[4:4+n])
		data = data[4+n:]
	}
	return frames
}

// BenchmarkCollectorToParquet measures the collector's per-row path as a
// pipeline runs it (engine/pipeline drainIfDue and finish): frames
// decoded into rows (decode), drained and recycled every sinkRows rows or
// flushNs of capture time (rows), written to a store.Run (Parquet); at
// the end the flows streamed (FlushFlows) and the last rows. Each stage
// is reported in ns per row written. TMONBENCH_COLLECTOR_OUT keeps the
// last output folder there.
func BenchmarkCollectorToParquet(b *testing.B) {
	frames := benchFrames(b)
	var decodeNs, rowsNs, parquetNs, fileBytes int64
	rows := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c, err := New(nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		out := os.Getenv("TMONBENCH_COLLECTOR_OUT") // kept, to compare the tables of two builds
		if out == "" {
			out = filepath.Join(b.TempDir(), "out")
		} else if err := os.RemoveAll(out); err != nil {
			b.Fatal(err)
		}
		run, err := store.BeginRun(out, store.Manifest{Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		write := func(batch *observe.Batch) {
			t := time.Now()
			if err := run.Write(batch); err != nil {
				b.Fatal(err)
			}
			rows += batch.Rows()
			parquetNs += int64(time.Since(t))
		}
		var last int64
		for _, f := range frames {
			t := time.Now()
			c.Handle(f)
			t1 := time.Now()
			decodeNs += int64(t1.Sub(t))
			now := c.ClockNs()
			if last == 0 {
				last = now
			}
			if c.Rows() >= sinkRows || now-last >= flushNs {
				last = now
				batch := c.Drain()
				rowsNs += int64(time.Since(t1))
				write(batch)
				c.Recycle(batch)
				if err := run.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		}
		t := time.Now()
		var flushed time.Duration
		if err := c.FlushFlows(1<<15, func(batch *observe.Batch) (*observe.Batch, error) {
			t0 := time.Now()
			write(batch)
			flushed += time.Since(t0)
			return batch, nil
		}); err != nil {
			b.Fatal(err)
		}
		batch := c.Finish()
		rowsNs += int64(time.Since(t) - flushed)
		write(batch)
		if err := run.Finish(); err != nil {
			b.Fatal(err)
		}
		fileBytes = run.Stats().Total().Bytes
	}
	perRow := func(ns int64) float64 { return float64(ns) / float64(rows) }
	b.ReportMetric(perRow(decodeNs), "decode-ns/row")
	b.ReportMetric(perRow(rowsNs), "rows-ns/row")
	b.ReportMetric(perRow(parquetNs), "parquet-ns/row")
	b.ReportMetric(perRow(b.Elapsed().Nanoseconds()), "ns/row")
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
	b.ReportMetric(float64(fileBytes)*float64(b.N)/float64(rows), "file-bytes/row")
}

// TestDrainAllocs: a drain with nothing bad to report (no undecodable
// records, restarts or incomplete runs) allocates only the batch it hands
// out: listing the probes of three empty maps, and a new map for the names
// resolved, cost 10 more allocations a drain here (issue 14: 150 of the
// 12.8k allocations of the 5M corpus's steady state).
func TestDrainAllocs(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defs, frames := countersFrames(200)
	for _, f := range defs {
		c.Handle(f)
	}
	i := 0
	run := func() {
		c.Handle(frames[i%len(frames)])
		i++
		c.Recycle(c.Drain())
	}
	for range 10 { // warm up: the batch and the sort scratch grow
		run()
	}
	if n := testing.AllocsPerRun(50, run); n > 1 {
		t.Errorf("%.1f allocations per Counters PDU and drain, want at most 1 (the Batch handed out)", n)
	}
}
