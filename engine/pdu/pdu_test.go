package pdu

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/stat"
)

func TestFrameRoundTrip(t *testing.T) {
	h := Header{Type: TypeCounters, ProbeID: 7, ID: 42, BuildTimeNs: 1700000000123456789}
	payload := []byte("hello records")
	f := AppendFrame(nil, h, payload)
	if len(f) != HeaderLen+len(payload)+TrailerLen {
		t.Fatalf("frame length %d", len(f))
	}
	got, p, err := ParseFrame(f)
	if err != nil || got != h || !bytes.Equal(p, payload) {
		t.Fatalf("ParseFrame = %+v %q %v", got, p, err)
	}
	// Every single-bit flip is caught (by the CRC or the sanity checks).
	for i := range f {
		for bit := 0; bit < 8; bit++ {
			g := bytes.Clone(f)
			g[i] ^= 1 << bit
			if _, _, err := ParseFrame(g); err == nil {
				t.Fatalf("bit %d of byte %d flipped: accepted", bit, i)
			}
		}
	}
	if _, _, err := ParseFrame(f[:len(f)-1]); err == nil {
		t.Fatal("short frame accepted")
	}
	g := bytes.Clone(f)
	g[2] = 9
	if _, _, err := ParseFrame(g); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 9: %v", err)
	}
}

func TestAck(t *testing.T) {
	a := AppendAck(nil, 3, 99)
	probe, id, err := ParseAck(a)
	if err != nil || probe != 3 || id != 99 {
		t.Fatalf("ParseAck = %d %d %v", probe, id, err)
	}
	// An ack whose two copies of the id disagree is refused even with a good CRC.
	h := Header{Type: TypeAck, ProbeID: 3, ID: 99}
	bad := AppendFrame(nil, h, []byte{0, 0, 0, 99, 0, 0, 0, 98})
	if _, _, err := ParseAck(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("mismatched ack: %v", err)
	}
	if _, _, err := ParseAck(AppendFrame(nil, Header{Type: TypeEvents, ID: 1}, nil)); err == nil {
		t.Fatal("non-ack accepted as ack")
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	var e Enc
	hello := Hello{Probe: "site-a", Interfaces: []string{"eth0", "eth1"}}
	def := FlowDef{FlowID: 1 << 40, Iface: 1, Class: "dns", Fields: FieldSrcAddr | FieldDstAddr | FieldDstPort, IPVersion: 6, Protocol: 17,
		SrcAddr: netip.MustParseAddr("2001:db8::1"), DstAddr: netip.MustParseAddr("2001:db8::53"), DstPort: 53, FoldedPorts: 1, FirstSeenNs: 1700000000000000001}
	ctr := Counters{IntervalStartNs: 1700000000000000000, IntervalNs: 60e9, FlowID: 9, Metrics: []Metric{
		{ID: 0, Stat: stat.Stat{N: 5, Sum: 5, SumSq: 5, Min: 1, Max: 1}},
		{ID: 1, Stat: stat.Stat{N: 2, Sum: 1540, SumSq: 1500*1500 + 40*40, Min: 40, Max: 1500}},
		{ID: 2, Stat: stat.Stat{N: 2, Sum: 0.5, SumSq: 0.125, Min: 0.25, Max: 0.25}},
	}}
	upd := FlowUpdate{FlowID: 9, LastSeenNs: -5, Packets: 12, Bytes: 3400, Ended: EndIdle}
	ev := Event{TimeNs: 1, Severity: 2, Kind: "capture_damaged", Message: "cut"}
	md := MetricDef{ID: 77, Name: "icmp_type_3_code_1"}
	hello.Append(&e)
	def.Append(&e)
	ctr.Append(&e)
	upd.Append(&e)
	ev.Append(&e)
	md.Append(&e)
	d := Dec{B: e.B}
	var h2 Hello
	var def2 FlowDef
	var ctr2 Counters
	var upd2 FlowUpdate
	var ev2 Event
	var md2 MetricDef
	h2.Decode(&d)
	def2.Decode(&d)
	ctr2.Decode(&d)
	upd2.Decode(&d)
	ev2.Decode(&d)
	md2.Decode(&d)
	if d.Err() != nil || !d.Done() {
		t.Fatalf("decode: %v, %d bytes left", d.Err(), len(d.B))
	}
	for _, c := range []struct{ got, want any }{{h2, hello}, {def2, def}, {ctr2, ctr}, {upd2, upd}, {ev2, ev}, {md2, md}} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", c.got, c.want)
		}
	}
}

// TestCountersCompact: a count metric costs 3 bytes, an integral one a few more.
func TestCountersCompact(t *testing.T) {
	var e Enc
	appendStat(&e, stat.Stat{N: 5, Sum: 5, SumSq: 5, Min: 1, Max: 1})
	if len(e.B) != 2 {
		t.Errorf("count stat: %d bytes, want 2", len(e.B))
	}
	e.B = e.B[:0]
	appendStat(&e, stat.Stat{N: 2, Sum: 1540, SumSq: 2251600, Min: 40, Max: 1500})
	if len(e.B) != 11 {
		t.Errorf("integral stat: %d bytes, want 11", len(e.B))
	}
}

type captureLink struct{ frames [][]byte }

func (c *captureLink) Send(f []byte) { c.frames = append(c.frames, bytes.Clone(f)) }

func TestSenderSplitsAndOrdersDefinitionsFirst(t *testing.T) {
	link := &captureLink{}
	s := NewSender(SenderConfig{MaxPDUBytes: 200, MaxBuildNs: 1e9, RetryTimeoutNs: 2e9}, 1, link)
	ev := Event{Kind: "k", Message: string(make([]byte, 60))}
	for i := 0; i < 5; i++ { // 5 events of ~64 bytes: 2 fit in 174 bytes of payload
		ev.Append(s.Begin(TypeEvents, 0))
		s.End(TypeEvents, 0)
	}
	def := FlowDef{FlowID: 1, Class: "all"}
	def.Append(s.Begin(TypeFlowDef, 0))
	s.End(TypeFlowDef, 0)
	s.Flush(0)
	var types []Type
	records := 0
	for _, f := range link.frames {
		if len(f) > 200 {
			t.Errorf("frame of %d bytes > MaxPDUBytes 200", len(f))
		}
		h, p, err := ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, h.Type)
		d := Dec{B: p}
		for !d.Done() {
			var e Event
			var fd FlowDef
			if h.Type == TypeEvents {
				e.Decode(&d)
			} else {
				fd.Decode(&d)
			}
			records++
		}
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	}
	if records != 6 {
		t.Errorf("%d records, want 6", records)
	}
	// The two full event PDUs left before the definition existed; at Flush the
	// definition goes before the last event PDU.
	want := []Type{TypeEvents, TypeEvents, TypeFlowDef, TypeEvents}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("PDU order %v, want %v", types, want)
	}
}

func TestSenderRetransmitsUntilAcked(t *testing.T) {
	link := &captureLink{}
	s := NewSender(SenderConfig{MaxPDUBytes: 1400, MaxBuildNs: 1e9, RetryTimeoutNs: 2e9}, 4, link)
	ev := Event{Kind: "k"}
	ev.Append(s.Begin(TypeEvents, 0))
	s.End(TypeEvents, 0)
	s.Tick(1e9) // build time reached: sent
	if len(link.frames) != 1 || s.Pending() != 1 {
		t.Fatalf("after build timeout: %d frames, %d pending", len(link.frames), s.Pending())
	}
	s.Tick(2e9) // 1 s after sending: no resend yet
	s.Tick(3e9) // 2 s after: resend
	if len(link.frames) != 2 || !bytes.Equal(link.frames[0], link.frames[1]) {
		t.Fatalf("resend: %d frames", len(link.frames))
	}
	r := NewReceiver()
	ack1, _, _, fresh1, err1 := r.Handle(link.frames[0])
	ack1 = bytes.Clone(ack1)
	_, _, _, fresh2, err2 := r.Handle(link.frames[1])
	if err1 != nil || err2 != nil || !fresh1 || fresh2 {
		t.Fatalf("receiver: fresh %v %v, errs %v %v", fresh1, fresh2, err1, err2)
	}
	s.HandleAck(ack1)
	if s.Pending() != 0 || s.Stats().Acked != 1 || s.Stats().Retransmits != 1 {
		t.Fatalf("after ack: %+v", s.Stats())
	}
	s.Tick(10e9)
	if len(link.frames) != 2 {
		t.Fatal("acked PDU resent")
	}
	if st := r.Stats(); st.Accepted != 1 || st.Duplicates != 1 {
		t.Errorf("receiver stats %+v", st)
	}
}

func TestReceiverRejectsBadFrames(t *testing.T) {
	r := NewReceiver()
	f := AppendFrame(nil, Header{Type: TypeEvents, ProbeID: 1, ID: 1}, []byte{1, 2, 3})
	f[len(f)-1] ^= 0xff
	if ack, _, _, _, err := r.Handle(f); ack != nil || !errors.Is(err, ErrCRC) {
		t.Fatalf("bad CRC: ack %v err %v", ack, err)
	}
	if st := r.Stats(); st.Bad != 1 || st.Accepted != 0 {
		t.Errorf("stats %+v", st)
	}
	// Out-of-order ids are de-duplicated too.
	for _, id := range []uint32{3, 1, 2, 3, 1} {
		r.Handle(AppendFrame(nil, Header{Type: TypeEvents, ProbeID: 2, ID: id}, nil))
	}
	if st := r.Stats(); st.Accepted != 3 || st.Duplicates != 2 {
		t.Errorf("dedupe stats %+v", st)
	}
}

// FuzzParseFrame: no input panics; what parses re-encodes to the same bytes
// (a tagged frame: the same header and payload, flag set, tag kept).
func FuzzParseFrame(f *testing.F) {
	f.Add(AppendFrame(nil, Header{Type: TypeCounters, ProbeID: 1, ID: 2, BuildTimeNs: 3}, []byte{1, 2, 3}))
	f.Add(AppendAck(nil, 1, 2))
	k, _ := NewKey([]byte("fuzz"))
	f.Add(k.AppendFrame(nil, Header{Type: TypeEvents, ProbeID: 1, ID: 2, BuildTimeNs: 3}, []byte{4, 5}))
	f.Add(k.AppendAck(nil, 1, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := ParseFrame(b)
		if err != nil {
			return
		}
		if h.Flags&^FlagHMAC != 0 {
			t.Fatalf("reserved flags %#x accepted", h.Flags)
		}
		re := AppendFrame(nil, h, p)
		if h.Flags&FlagHMAC == 0 {
			if !bytes.Equal(re, b) {
				t.Fatal("re-encoding differs")
			}
		} else {
			n := HeaderLen + len(p)
			if len(b) != n+TagLen+TrailerLen || !bytes.Equal(re[:4], b[:4]) || !bytes.Equal(re[5:n], b[5:n]) {
				t.Fatal("tagged frame: re-encoding differs")
			}
		}
		ParseAck(b)
	})
}

// FuzzRecords decodes arbitrary payloads as every record type: never a
// panic, never an unbounded allocation.
func FuzzRecords(f *testing.F) {
	var e Enc
	(&Hello{Probe: "p", Interfaces: []string{"a"}}).Append(&e)
	(&FlowDef{FlowID: 1, Class: "c", SrcAddr: netip.MustParseAddr("10.0.0.1")}).Append(&e)
	(&Counters{FlowID: 1, Metrics: []Metric{{ID: 1, Stat: stat.Stat{N: 1, Sum: 0.5}}}}).Append(&e)
	f.Add(e.B)
	f.Fuzz(func(t *testing.T, b []byte) {
		for typ := 0; typ < 6; typ++ {
			d := Dec{B: b}
			for i := 0; !d.Done() && i < 1000; i++ {
				switch typ {
				case 0:
					var r Hello
					r.Decode(&d)
				case 1:
					var r FlowDef
					r.Decode(&d)
				case 2:
					var r Counters
					r.Decode(&d)
				case 3:
					var r FlowUpdate
					r.Decode(&d)
				case 4:
					var r Event
					r.Decode(&d)
				case 5:
					var r MetricDef
					r.Decode(&d)
				}
			}
		}
	})
}
