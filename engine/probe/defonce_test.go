package probe

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// defLink acknowledges every PDU at once and keeps the names of the
// MetricDef records sent, "HELLO" for each Hello record (the records of
// the whole run may share one PDU of each type).
type defLink struct {
	s     *pdu.Sender
	names []string
	ack   []byte
}

func (l *defLink) Send(frame []byte) {
	h, payload, err := pdu.ParseFrame(frame)
	if err != nil {
		panic(err)
	}
	d := pdu.Dec{B: payload}
	switch h.Type {
	case pdu.TypeHello:
		for !d.Done() {
			var r pdu.Hello
			r.Decode(&d)
			l.names = append(l.names, "HELLO")
		}
	case pdu.TypeMetricDef:
		for !d.Done() {
			var m pdu.MetricDef
			m.Decode(&d)
			if !strings.HasPrefix(m.Name, "icmp") {
				continue // the fixed metrics worker 0 defines at start
			}
			l.names = append(l.names, m.Name)
		}
	}
	l.ack = pdu.AppendAck(l.ack[:0], h.ProbeID, h.Epoch, h.ID)
	l.s.HandleAck(l.ack)
}

// pairOf returns an IPv4 or IPv6 address pair 2 workers give to worker w.
func pairOf(t *testing.T, v6 bool, w int) (a, b netip.Addr) {
	for i := range 256 {
		a, b = netip.MustParseAddr("192.0.2.1"), netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		if v6 {
			a, b = netip.MustParseAddr("2001:db8::1"), netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)})
		}
		if dissect.ShardOfAddrs(a, b, 2) == w {
			return a, b
		}
	}
	t.Fatal("no pair")
	return
}

// TestWorkersDefineMetricsOnce: with 2 workers, an ICMPv4 echo request in
// each worker's flows defines icmp_type_8_code_0 once (both workers
// register it: the collector got it twice, so pdu_stats counted one
// metric_def record more than 1 worker did on tcpdump's
// mpls-traceroute.pcap), and after a collector restart the ICMPv6 metric
// only worker 1 uses is defined again (only worker 0's were: a restarted
// collector never learnt its name).
func TestWorkersDefineMetricsOnce(t *testing.T) {
	link := &defLink{}
	w, err := NewWorkers(Identity{Name: "p", ID: 1}, config.Default(), []Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	link.s = w.Senders()[0]
	a0, b0 := pairOf(t, false, 0)
	a1, b1 := pairOf(t, false, 1)
	a6, b6 := pairOf(t, true, 1)
	at := capgen.Ms(0)
	feed := func(frames ...[]byte) {
		for _, f := range frames {
			at += 1e6
			w.Packet(f, pkt.Meta{TimeNs: at, CapLen: uint32(len(f)), WireLen: uint32(len(f)), LinkType: pkt.LinkEthernet})
		}
		w.dispatch()
		w.drain()
	}
	feed(capgen.ICMPEcho{Src: a0, Dst: b0, ID: 1, Seq: 1}.Frame(), capgen.ICMPEcho{Src: a1, Dst: b1, ID: 1, Seq: 1}.Frame(),
		capgen.ICMPEcho{Src: a6, Dst: b6, ID: 1, Seq: 1}.Frame())
	w.resync = true // a collector restarted (the sender's OnRestart)
	feed(capgen.ICMPEcho{Src: a0, Dst: b0, ID: 1, Seq: 2}.Frame())
	w.Close()
	count := map[string]int{}
	for _, n := range link.names {
		count[n]++
	}
	want := map[string]int{"HELLO": 2, "icmp_type_8_code_0": 2, "icmp6_type_128_code_0": 2} // once per round of definitions
	if !maps.Equal(count, want) {
		t.Errorf("records sent: %v, want %v", count, want)
	}
}

// TestSharedMetricIDsDistinct: the run-time metrics named by hash in a
// Workers run have distinct ids, above the fixed ones and below the ICMP
// ids (which are injective by construction: sharedICMP | key).
func TestSharedMetricIDsDistinct(t *testing.T) {
	names := slices.Clone(fragMetric[:])
	for k := range rtt.NumKinds {
		names = append(names, "rtt_unanswered_"+k.String())
	}
	seen := map[uint32]string{}
	for _, n := range names {
		id := sharedMetricID(n)
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s share id %#x", n, other, id)
		}
		seen[id] = n
		if id < flow.NumFixed || id&sharedICMP == sharedICMP {
			t.Errorf("%s: id %#x outside [2^31, 2^31+2^30)", n, id)
		}
	}
}

// TestWorkersBoundBlocksHeld: packets lent one a block (a filter passing
// one packet of each 64 KiB block) are copied once a batch holds
// workerBlockBytes of blocks, so the blocks held stay bounded: at most the
// batches in flight and the one being filled, each with 4 MiB of blocks (a
// review: a batch held a block for each of its 1024 packets).
func TestWorkersBoundBlocksHeld(t *testing.T) {
	link := &defLink{}
	w, err := NewWorkers(Identity{Name: "p", ID: 1}, config.Default(), []Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	link.s = w.Senders()[0]
	var made, recycled, maxLive atomic.Int64
	a0, b0 := pairOf(t, false, 0)
	frame := capgen.ICMPEcho{Src: a0, Dst: b0, ID: 1, Seq: 1}.Frame()
	at := capgen.Ms(0)
	var cur *pkt.Block
	for range 5000 {
		if cur != nil {
			cur.Release()
		}
		cur = pkt.NewBlock(64<<10, func(*pkt.Block) { recycled.Add(1) })
		made.Add(1)
		if live := made.Load() - recycled.Load(); live > maxLive.Load() {
			maxLive.Store(live)
		}
		data := cur.Data[:copy(cur.Data, frame)]
		at += 1e3
		w.PacketLent(data, pkt.Meta{TimeNs: at, CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkEthernet}, cur)
	}
	w.Close()
	bound := int64((workerInflight+2)*(4*workerBatchBytes/(64<<10)+1) + 1) // 261
	if m := maxLive.Load(); m > bound {
		t.Errorf("%d blocks held at once, want at most %d", m, bound)
	}
}
