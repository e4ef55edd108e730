package collector

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
)

// asVersion rewrites frame f as wire version v wrote it: the version byte
// (offset 2) and the CRC-32C trailer (pdu's frame layout); versions 3 to
// 5 share the layout.
func asVersion(f []byte, v byte) []byte {
	g := append([]byte(nil), f...)
	g[2] = v
	return binary.BigEndian.AppendUint32(g[:len(g)-4], crc32.Checksum(g[:len(g)-4], crc32.MakeTable(crc32.Castagnoli)))
}

// v4DNSSample is an rtt_samples record of a DNS query over TCP as a
// probe of wire version 3 or 4 wrote it (rtt's codec layout, before the
// proto byte of version 5): flow id, kind byte dns (1+rtt.KindDNS, no
// proto bit), request time, rtt as ns, client, server, detail. Nothing in
// it says TCP.
func v4DNSSample(e *pdu.Enc, flowID uint64) {
	e.Uvarint(flowID)
	e.Byte(byte(rtt.KindDNS) + 1)
	e.Varint(1e9)
	e.Byte(0)
	e.Varint(2_500_000) // 2.5 ms
	e.AddrString("192.0.2.10")
	e.Uvarint(40000)
	e.AddrString("192.0.2.53")
	e.Uvarint(53)
	e.String("A www.example.com NOERROR")
}

// oldDNSFrames are a probe's Hello, its flow definitions 7 (class dns
// split by protocol, TCP) and 8 (split by destination port only), and
// one PDU of DNS-over-TCP samples of flows 7, 8 and 9 (never defined), all
// in frames of wire version v.
func oldDNSFrames(v byte) [][]byte {
	return [][]byte{
		asVersion(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "old", Interfaces: []string{"eth0"}}).Append(e) }), v),
		asVersion(testFrame(pdu.TypeFlowDef, 2, func(e *pdu.Enc) {
			(&pdu.FlowDef{FlowID: 7, Class: "dns", Fields: pdu.FieldProtocol | pdu.FieldDstPort, Protocol: 6, DstPort: 53, FirstSeenNs: 1e9}).Append(e)
			(&pdu.FlowDef{FlowID: 8, Class: "dns", Fields: pdu.FieldDstPort, DstPort: 53, FirstSeenNs: 1e9}).Append(e)
		}), v),
		asVersion(testFrame(pdu.TypeRTTSample, 3, func(e *pdu.Enc) {
			v4DNSSample(e, 7)
			v4DNSSample(e, 8)
			v4DNSSample(e, 9)
		}), v),
	}
}

// sampleProtos are the protos of b's rtt_samples by flow id.
func sampleProtos(b *observe.Batch) map[uint64]string {
	m := map[uint64]string{}
	for _, r := range b.RTTSamples {
		m[r.FlowID] = r.Proto
	}
	return m
}

// TestOldVersionDNSProto: a DNS sample over TCP from a probe of wire
// version 4 (or 3) does not say its transport (version 5 added the
// proto byte); the collector read it as udp, a wrong value. Now: its
// flow's protocol when the flow's class splits by protocol (flow 7: tcp),
// else "" (unknown: flow 8, whose class does not, and flow 9, not
// defined). The same bytes in a version 5 frame are a DNS sample over UDP
// (no proto byte: the kind's, udp); a version 5 probe's sample over TCP
// says tcp.
func TestOldVersionDNSProto(t *testing.T) {
	for _, v := range []byte{3, 4} {
		c, err := New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range oldDNSFrames(v) {
			if c.Handle(f) == nil {
				t.Fatalf("version %d frame refused", v)
			}
		}
		got := sampleProtos(c.Finish())
		if want := map[uint64]string{7: "tcp", 8: "", 9: ""}; len(got) != 3 || got[7] != want[7] || got[8] != want[8] || got[9] != want[9] {
			t.Errorf("version %d: protos by flow %v, want %v", v, got, want)
		}
	}
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range oldDNSFrames(pdu.Version) {
		c.Handle(f)
	}
	c.Handle(testFrame(pdu.TypeRTTSample, 4, func(e *pdu.Enc) {
		rtt.AppendSample(e, &observe.RTTSample{FlowID: 10, Kind: "dns", Proto: "tcp", RTTMs: 1})
	}))
	got := sampleProtos(c.Finish())
	if want := map[uint64]string{7: "udp", 8: "udp", 9: "udp", 10: "tcp"}; len(got) != 4 || got[7] != want[7] || got[8] != want[8] || got[9] != want[9] || got[10] != want[10] {
		t.Errorf("version %d: protos by flow %v, want %v", pdu.Version, got, want)
	}
}

// TestOldVersionJournal: a durable collector that received version 4
// frames and crashed (journal synced, no checkpoint) rebuilds the same
// rows from its journal: the frame's version is journalled with it
// (recFrameOld), or the replay would decode the samples as version 5's
// (udp) where the collector before the crash had tcp and "".
func TestOldVersionJournal(t *testing.T) {
	dir, sink := t.TempDir(), newMemSink()
	start := func() *Server {
		l, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(c, &ackRecorder{}, sink, ServerOptions{Journal: l, Silence: time.Hour})
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	srv := start()
	frames := oldDNSFrames(4)
	for _, f := range frames {
		srv.handle(f, netip.AddrPort{})
	}
	if _, err := srv.dur.log.Sync(); err != nil { // then a crash: no checkpoint
		t.Fatal(err)
	}
	srv = start()
	srv.stopDurable(true)
	ref, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		ref.Handle(f)
	}
	want := ref.Finish()
	if got := sampleProtos(want); got[7] != "tcp" || got[8] != "" {
		t.Fatalf("reference protos %v", got)
	}
	got, n := withoutEvents(sink.rows(), "collector_recovered")
	if n["collector_recovered"] != 1 {
		t.Errorf("%d collector_recovered events, want 1: the journal was replayed", n["collector_recovered"])
	}
	diffRows(t, got, rowSet(want))
}
