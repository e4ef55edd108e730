package collector

import (
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
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
