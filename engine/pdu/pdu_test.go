package pdu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
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
	// versions 3 to 5 (a probe from before RunConfig, the RTT samples'
	// proto or the FTP records' class, or its journal): the same layout,
	// accepted; version 2 and one after this one refused
	for v, ok := range map[byte]bool{2: false, 3: true, 4: true, 5: true, 6: true, 7: false} {
		g := bytes.Clone(f)
		g[2] = v
		binary.BigEndian.PutUint32(g[len(g)-4:], crc32.Checksum(g[:len(g)-4], castagnoli))
		h, _, err := ParseFrame(g)
		if (err == nil) != ok {
			t.Errorf("version %d: err %v, want accepted %v", v, err, ok)
		}
		// the decoders read an older frame as it was written (Header.Version)
		if want := map[byte]uint8{3: 3, 4: 4, 5: 5}[v]; ok && h.Version != want {
			t.Errorf("version %d: Header.Version %d, want %d", v, h.Version, want)
		}
	}
}

func TestAck(t *testing.T) {
	a := AppendAck(nil, 3, 77, 99)
	probe, epoch, id, err := ParseAck(a)
	if err != nil || probe != 3 || epoch != 77 || id != 99 {
		t.Fatalf("ParseAck = %d %d %d %v", probe, epoch, id, err)
	}
	// An ack whose two copies of the id disagree is refused even with a good CRC.
	h := Header{Type: TypeAck, ProbeID: 3, ID: 99}
	bad := AppendFrame(nil, h, []byte{0, 0, 0, 99, 0, 0, 0, 98})
	if _, _, _, err := ParseAck(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("mismatched ack: %v", err)
	}
	if _, _, _, err := ParseAck(AppendFrame(nil, Header{Type: TypeEvents, ID: 1}, nil)); err == nil {
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
	rep := Report{Final: true, Collector: "central", ObservedBytes: 1 << 33, IPBytes: 7, Retransmits: 3,
		Types: []TypeCount{{Type: TypeHello, PDUs: 1, Records: 1, Bytes: 60}, {Type: TypePacketObs, PDUs: 4, Records: 900, Bytes: 5000, Retransmissions: 3, Destroyed: 2, DestroyedRecords: 450}}}
	hello.Append(&e)
	def.Append(&e)
	ctr.Append(&e)
	upd.Append(&e)
	ev.Append(&e)
	md.Append(&e)
	rep.Append(&e)
	d := Dec{B: e.B}
	var h2 Hello
	var def2 FlowDef
	var ctr2 Counters
	var upd2 FlowUpdate
	var ev2 Event
	var md2 MetricDef
	var rep2 Report
	h2.Decode(&d)
	def2.Decode(&d)
	ctr2.Decode(&d)
	upd2.Decode(&d)
	ev2.Decode(&d)
	md2.Decode(&d)
	rep2.Decode(&d)
	if d.Err() != nil || !d.Done() {
		t.Fatalf("decode: %v, %d bytes left", d.Err(), len(d.B))
	}
	for _, c := range []struct{ got, want any }{{h2, hello}, {def2, def}, {ctr2, ctr}, {upd2, upd}, {ev2, ev}, {md2, md}, {rep2, rep}} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", c.got, c.want)
		}
	}
}

// TestHelloWithoutName: a Hello naming no probe is corrupt (probe.New
// refuses an empty name): a collector taking it wrote rows with an empty
// probe column (found by collector.FuzzApply).
func TestHelloWithoutName(t *testing.T) {
	var e Enc
	(&Hello{Interfaces: []string{"eth0"}}).Append(&e)
	d := Dec{B: e.B}
	var h Hello
	h.Decode(&d)
	if !errors.Is(d.Err(), ErrCorrupt) {
		t.Fatalf("decoded %+v, error %v; want ErrCorrupt", h, d.Err())
	}
}

// TestReportWithoutDestroyed: a report of a probe that did not send
// destroyed counts (flag 2 clear) decodes with zeros; an unknown flag is
// corrupt.
func TestReportWithoutDestroyed(t *testing.T) {
	var e Enc
	e.Byte(reportFinal)
	e.String("central")
	for _, v := range []uint64{100, 200, 1, 1, uint64(TypeCounters), 5, 50, 700, 1} { // observed, ip, retransmits, 1 type: counters
		if v == uint64(TypeCounters) {
			e.Byte(byte(v))
			continue
		}
		e.Uvarint(v)
	}
	var r Report
	d := Dec{B: e.B}
	r.Decode(&d)
	want := Report{Final: true, Collector: "central", ObservedBytes: 100, IPBytes: 200, Retransmits: 1, Types: []TypeCount{{Type: TypeCounters, PDUs: 5, Records: 50, Bytes: 700, Retransmissions: 1}}}
	if d.Err() != nil || !d.Done() || !reflect.DeepEqual(r, want) {
		t.Errorf("decoded %+v (%v), want %+v", r, d.Err(), want)
	}
	e.B[0] = 4
	d = Dec{B: e.B}
	if r.Decode(&d); d.Err() == nil {
		t.Error("flag 4 accepted")
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
	s := NewSender(SenderConfig{MaxPDUBytes: 200, MaxBuildNs: 1e9, InitialTimeoutNs: 2e9}, 1, link)
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
	s := NewSender(SenderConfig{MaxPDUBytes: 1400, MaxBuildNs: 1e9, InitialTimeoutNs: 2e9}, 4, link)
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
// (a tagged frame: the same header and payload, flag set, tag kept; a
// frame of an older version accepted is written as this version).
func FuzzParseFrame(f *testing.F) {
	f.Add(AppendFrame(nil, Header{Type: TypeCounters, ProbeID: 1, ID: 2, BuildTimeNs: 3}, []byte{1, 2, 3}))
	f.Add(AppendAck(nil, 1, 5, 2))
	k, _ := NewKey([]byte("fuzz"))
	f.Add(k.AppendFrame(nil, Header{Type: TypeEvents, ProbeID: 1, Epoch: 5, ID: 2, BuildTimeNs: 3}, []byte{4, 5}))
	f.Add(k.AppendAck(nil, 1, 5, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := ParseFrame(b)
		if err != nil {
			return
		}
		if h.Flags&^FlagHMAC != 0 {
			t.Fatalf("reserved flags %#x accepted", h.Flags)
		}
		re := AppendFrame(nil, h, p)
		if b[2] != Version { // an older version accepted (MinVersion): written as this one
			return
		}
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

// record is the codec every record type implements.
type record interface {
	Append(e *Enc)
	Decode(d *Dec)
}

// newRecords returns one empty value of every record type.
func newRecords() []record {
	return []record{&Hello{}, &RunConfig{}, &FlowDef{}, &MetricDef{}, &Counters{}, &FlowUpdate{}, &Event{}, &HistDef{}, &Histogram{}, &Report{}}
}

// retainedBytes is the memory a decoded value holds: its size, the
// capacity of its slices and the length of its strings, recursively.
func retainedBytes(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return int(v.Elem().Type().Size()) + retainedBytes(v.Elem())
	case reflect.String:
		return v.Len()
	case reflect.Slice:
		n := v.Cap() * int(v.Type().Elem().Size())
		for i := 0; i < v.Len(); i++ {
			n += retainedBytes(v.Index(i))
		}
		return n
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				n += retainedBytes(v.Field(i))
			}
		}
		return n
	}
	return 0
}

// sameRecord compares two decoded records field by field, floats by value
// with NaN equal to NaN (the stat encoding keeps values, not bit patterns:
// -0 may come back as 0).
func sameRecord(a, b record) bool { return sameValue(reflect.ValueOf(a), reflect.ValueOf(b)) }

func sameValue(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Pointer:
		return sameValue(a.Elem(), b.Elem())
	case reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || x != x && y != y
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[netip.Addr]() {
			return a.Interface() == b.Interface()
		}
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return a.Equal(b)
}

// FuzzRecords decodes arbitrary payloads as every record type and checks
// two properties: what decodes without error survives a round trip
// (encode, decode again: the same record, and encoding that gives the same
// bytes: the encoding is canonical), and a decoded record never holds more
// than a bounded multiple of the bytes it came from (no allocation sized
// by a count the input merely claims).
func FuzzRecords(f *testing.F) {
	var e Enc
	(&Hello{Probe: "p", Interfaces: []string{"a"}}).Append(&e)
	(&FlowDef{FlowID: 1, Class: "c", SrcAddr: netip.MustParseAddr("10.0.0.1")}).Append(&e)
	(&Counters{FlowID: 1, Metrics: []Metric{{ID: 1, Stat: stat.Stat{N: 1, Sum: 0.5}}}}).Append(&e)
	f.Add(e.B)
	for _, r := range []record{
		&Hello{Probe: "probe-1", Interfaces: []string{"eth0", "eth1"}},
		&FlowDef{FlowID: 9, Iface: 1, Class: "web", Fields: 0xff, IPVersion: 6, Protocol: 6, SrcAddr: netip.MustParseAddr("2001:db8::1"), DstAddr: netip.MustParseAddr("2001:db8::2"), SrcPort: 443, DstPort: 50000, VLAN: 10, FirstSeenNs: -5},
		&MetricDef{ID: 3, Name: "size_bytes"},
		&Counters{IntervalStartNs: 1e18, IntervalNs: 1e10, FlowID: 2, Metrics: []Metric{{ID: 1, Stat: stat.Stat{N: 3, Sum: 3, SumSq: 3, Min: 1, Max: 1}}, {ID: 2, Stat: stat.Stat{N: 2, Sum: 100, SumSq: 5000, Min: 40, Max: 60}}, {ID: 3, Stat: stat.Stat{N: 1, Sum: -0.5, SumSq: 0.25, Min: -0.5, Max: -0.5}}}},
		&FlowUpdate{FlowID: 4, LastSeenNs: 7, Packets: 8, Bytes: 900, Ended: EndIdle},
		&Event{TimeNs: 1, Severity: 2, Kind: "capture_damaged", Message: "truncated record"},
		&HistDef{ID: 1, Unit: "ms", Edges: []float64{1, 10, 100}},
		&Histogram{IntervalStartNs: 10, IntervalNs: 10, FlowID: 1, DefID: 1, Counts: []uint64{1, 0, 5, 1 << 40}},
	} {
		var e Enc
		r.Append(&e)
		f.Add(e.B)
	}
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0xff, 0x0f}) // a count of 2^32 in 6 bytes
	f.Fuzz(func(t *testing.T, b []byte) {
		for ti := range newRecords() {
			d := Dec{B: b}
			for i := 0; !d.Done() && i < 1000; i++ {
				before := len(d.B)
				r := newRecords()[ti]
				r.Decode(&d)
				if d.Err() != nil {
					break
				}
				used := before - len(d.B)
				if n := retainedBytes(reflect.ValueOf(r)); n > 64*used+256 {
					t.Fatalf("%T holds %d bytes decoded from %d", r, n, used)
				}
				var e1 Enc
				r.Append(&e1)
				r2 := newRecords()[ti]
				d2 := Dec{B: e1.B}
				r2.Decode(&d2)
				if d2.Err() != nil || len(d2.B) != 0 || !sameRecord(r, r2) {
					t.Fatalf("%T round trip: %+v -> %+v (%v, %d bytes left)", r, r, r2, d2.Err(), len(d2.B))
				}
				var e2 Enc
				r2.Append(&e2)
				if !bytes.Equal(e1.B, e2.B) {
					t.Fatalf("%T: encoding not canonical: %x then %x", r, e1.B, e2.B)
				}
			}
		}
	})
}

// TestClaimedCountsAllocateNothing: a record claiming 2^32 elements (or a
// 2^32-byte string) in a few bytes is refused before anything is
// allocated for it.
func TestClaimedCountsAllocateNothing(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0x0f}
	for _, c := range []struct {
		r  record
		in []byte
	}{
		{&Hello{}, append([]byte{0}, huge...)},              // empty probe, 2^32 interfaces
		{&Hello{}, huge},                                    // probe name of 2^32 bytes
		{&Counters{}, append([]byte{0, 0, 0}, huge...)},     // 2^32 metrics
		{&HistDef{}, append([]byte{0, 0}, huge...)},         // 2^32 edges
		{&Histogram{}, append([]byte{0, 0, 0, 0}, huge...)}, // 2^32 counts
		{&Event{}, append([]byte{0, 0}, huge...)},           // kind of 2^32 bytes
	} {
		d := new(Dec) // allocated once: a Dec passed through an interface escapes
		allocs := testing.AllocsPerRun(100, func() {
			*d = Dec{B: c.in}
			c.r.Decode(d)
			if d.Err() == nil {
				t.Fatalf("%T %x: accepted", c.r, c.in)
			}
		})
		if allocs != 0 {
			t.Errorf("%T %x: %v allocations", c.r, c.in, allocs)
		}
	}
}
