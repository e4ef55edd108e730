package rtt

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// codecSamples: proto as the Tracker sets it (its kind's; dns over TCP
// "tcp", sent after the kind), and a kind of no Tracker's with a proto.
var codecSamples = []observe.RTTSample{
	{FlowID: 12, Kind: "icmp_echo", Proto: "icmp", RequestTime: 1795964272081502656, RTTMs: 1.118007, ClientAddr: "10.10.1.100", ServerAddr: "198.51.100.10", Detail: "echo id 8 seq 1"},
	{FlowID: 1 << 40, Kind: "dns", Proto: "tcp", RequestTime: -5, RTTMs: float64(12649247) / 1e6, ClientAddr: "2001:db8::1", ClientPort: 52328, ServerAddr: "2001:db8::53", ServerPort: 53, Detail: "AAAA www.lab.example NOERROR"},
	{Kind: "dns", Proto: "udp", ClientPort: 5353},
	{Kind: "custom_kind", Proto: "udp", RTTMs: 0.1234567891, ClientAddr: "not an address", ServerAddr: "::ffff:10.0.0.1", Detail: ""},
	{Kind: "tcp_ts", Proto: "tcp", RTTMs: -2.5, ClientAddr: "fe80::1%eth0", ServerAddr: "010.1.1.1"},
	{Kind: "", RTTMs: math.Inf(1)},
	{Kind: "snmp", Proto: "udp", RTTMs: math.Copysign(0, -1)},
}

var codecHistograms = []observe.RTTHistogram{
	{FlowID: 7, Kind: "dns", IntervalStart: 1795964280e9, IntervalS: 60, SliceLoMs: 50, SliceHiMs: 0, N: 2, Sum: 260, SumSq: 43600, Min: 60, Max: 200},
	{FlowID: 0, Kind: "ntp", IntervalStart: -1, IntervalS: 0.5, SliceLoMs: 2.5, SliceHiMs: 1e300, N: 1, Sum: 0.001, SumSq: 1e-6, Min: 0.001, Max: 0.001},
	{Kind: "other", IntervalS: math.Copysign(0, -1), SliceLoMs: -1, N: math.MaxUint64, Sum: math.NaN()},
}

// sameFloat compares bit patterns (NaN and -0 included).
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestSampleRoundTrip(t *testing.T) {
	var e pdu.Enc
	for i := range codecSamples {
		AppendSample(&e, &codecSamples[i])
	}
	d := pdu.Dec{B: e.B}
	for i, want := range codecSamples {
		var got observe.RTTSample
		DecodeSample(&d, &got)
		if d.Err() != nil {
			t.Fatalf("sample %d: %v", i, d.Err())
		}
		if !sameFloat(got.RTTMs, want.RTTMs) {
			t.Errorf("sample %d: rtt %v, want %v", i, got.RTTMs, want.RTTMs)
		}
		got.RTTMs, want.RTTMs = 0, 0
		if got != want {
			t.Errorf("sample %d:\n%+v\nwant\n%+v", i, got, want)
		}
	}
	if !d.Done() || len(d.B) != 0 {
		t.Errorf("%d bytes left", len(d.B))
	}
	// Size: a Tracker's IPv4 ICMP sample is compact (addresses as 5 bytes,
	// RTT as a varint of ns).
	var e1 pdu.Enc
	AppendSample(&e1, &codecSamples[0])
	if len(e1.B) > 50 {
		t.Errorf("icmp sample encodes in %d bytes, want <= 50", len(e1.B))
	}
}

func TestHistogramRoundTrip(t *testing.T) {
	var e pdu.Enc
	for i := range codecHistograms {
		AppendHistogram(&e, &codecHistograms[i])
	}
	d := pdu.Dec{B: e.B}
	for i, want := range codecHistograms {
		var got observe.RTTHistogram
		DecodeHistogram(&d, &got)
		if d.Err() != nil {
			t.Fatalf("histogram %d: %v", i, d.Err())
		}
		g, w := reflect.ValueOf(got), reflect.ValueOf(want)
		for f := 0; f < g.NumField(); f++ {
			gf, wf := g.Field(f), w.Field(f)
			if gf.Kind() == reflect.Float64 {
				if !sameFloat(gf.Float(), wf.Float()) {
					t.Errorf("histogram %d %s: %v, want %v", i, g.Type().Field(f).Name, gf.Float(), wf.Float())
				}
			} else if !reflect.DeepEqual(gf.Interface(), wf.Interface()) {
				t.Errorf("histogram %d %s: %v, want %v", i, g.Type().Field(f).Name, gf.Interface(), wf.Interface())
			}
		}
	}
	if len(d.B) != 0 {
		t.Errorf("%d bytes left", len(d.B))
	}
}

// TestDecodeErrors: truncation gives pdu.ErrShort, a bad tag pdu.ErrCorrupt.
func TestDecodeErrors(t *testing.T) {
	var e pdu.Enc
	AppendSample(&e, &codecSamples[1])
	for n := 0; n < len(e.B); n++ {
		d := pdu.Dec{B: e.B[:n]}
		var s observe.RTTSample
		DecodeSample(&d, &s)
		if d.Err() == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	d := pdu.Dec{B: []byte{1, 99}} // kind code 99
	var s observe.RTTSample
	DecodeSample(&d, &s)
	if !errors.Is(d.Err(), pdu.ErrCorrupt) {
		t.Errorf("bad kind: err %v, want ErrCorrupt", d.Err())
	}
	d = pdu.Dec{B: []byte{1, 1, 2, 7}} // rtt tag 7
	DecodeSample(&d, &s)
	if !errors.Is(d.Err(), pdu.ErrCorrupt) {
		t.Errorf("bad rtt tag: err %v, want ErrCorrupt", d.Err())
	}
}

// FuzzDecodeSample: any input decodes without panic; what decodes
// re-encodes to the same bytes it consumed or fails cleanly.
func FuzzDecodeSample(f *testing.F) {
	for i := range codecSamples {
		var e pdu.Enc
		AppendSample(&e, &codecSamples[i])
		f.Add(e.B)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := pdu.Dec{B: b}
		for !d.Done() {
			var s observe.RTTSample
			DecodeSample(&d, &s)
			if d.Err() == nil {
				// What decoded must survive a round trip.
				var e pdu.Enc
				AppendSample(&e, &s)
				d2 := pdu.Dec{B: e.B}
				var s2 observe.RTTSample
				DecodeSample(&d2, &s2)
				if d2.Err() != nil || s2.Kind != s.Kind || s2.Detail != s.Detail || s2.ClientAddr != s.ClientAddr || !sameFloat(s2.RTTMs, s.RTTMs) {
					t.Fatalf("re-encode: %+v -> %+v (%v)", s, s2, d2.Err())
				}
			}
		}
	})
}

// FuzzDecodeHistogram: any input decodes without panic; what decodes
// survives a round trip (encode, decode: the same row, bit for bit, and
// the same bytes again: the encoding is canonical) and holds no more
// memory than the bytes it came from (the kind string).
func FuzzDecodeHistogram(f *testing.F) {
	for i := range codecHistograms {
		var e pdu.Enc
		AppendHistogram(&e, &codecHistograms[i])
		f.Add(e.B)
	}
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}) // a kind string claiming 2^32 bytes
	f.Fuzz(func(t *testing.T, b []byte) {
		d := pdu.Dec{B: b}
		for !d.Done() {
			before := len(d.B)
			var h observe.RTTHistogram
			DecodeHistogram(&d, &h)
			if d.Err() != nil {
				break
			}
			if used := before - len(d.B); len(h.Kind) > used {
				t.Fatalf("kind of %d bytes decoded from %d", len(h.Kind), used)
			}
			var e1 pdu.Enc
			AppendHistogram(&e1, &h)
			d2 := pdu.Dec{B: e1.B}
			var h2 observe.RTTHistogram
			DecodeHistogram(&d2, &h2)
			if d2.Err() != nil || len(d2.B) != 0 || !sameHistogram(h, h2) {
				t.Fatalf("round trip: %+v -> %+v (%v, %d bytes left)", h, h2, d2.Err(), len(d2.B))
			}
			var e2 pdu.Enc
			AppendHistogram(&e2, &h2)
			if !bytes.Equal(e1.B, e2.B) {
				t.Fatalf("encoding not canonical: %x then %x", e1.B, e2.B)
			}
		}
	})
}

// sameHistogram compares two rows, floats bit for bit.
func sameHistogram(a, b observe.RTTHistogram) bool {
	return a.Probe == b.Probe && a.FlowID == b.FlowID && a.Kind == b.Kind && a.IntervalStart == b.IntervalStart && a.N == b.N &&
		sameFloat(a.IntervalS, b.IntervalS) && sameFloat(a.SliceLoMs, b.SliceLoMs) && sameFloat(a.SliceHiMs, b.SliceHiMs) &&
		sameFloat(a.Sum, b.Sum) && sameFloat(a.SumSq, b.SumSq) && sameFloat(a.Min, b.Min) && sameFloat(a.Max, b.Max)
}

// TestSampleOlderVersion: a DNS sample over TCP as a probe of wire
// version 3 or 4 encoded it (no proto byte: the kind byte alone, as for
// a sample over UDP) decodes with proto "" (unknown), not udp: nothing in
// the record tells the transport (the collector asks the sample's flow).
// The same bytes of a version 5 frame are a sample over UDP. Kinds of one
// transport keep theirs (icmp_echo: icmp, ntp: udp, tcp_handshake: tcp).
func TestSampleOlderVersion(t *testing.T) {
	var e pdu.Enc
	e.Uvarint(5)
	e.Byte(byte(KindDNS) + 1) // a version 4 probe's dns sample, over TCP or UDP
	e.Varint(1e9)
	e.Byte(0)
	e.Varint(2_500_000)
	e.AddrString("192.0.2.10")
	e.Uvarint(40000)
	e.AddrString("192.0.2.53")
	e.Uvarint(53)
	e.String("A www.example.com NOERROR")
	v4 := e.B
	for _, tc := range []struct {
		version uint8 // pdu.Dec.Version: 0 for pdu.Version
		want    string
	}{{3, ""}, {4, ""}, {0, "udp"}} {
		var r observe.RTTSample
		d := pdu.Dec{B: v4, Version: tc.version}
		DecodeSample(&d, &r)
		if d.Err() != nil || !d.Done() || r.Kind != "dns" || r.Proto != tc.want || r.ServerPort != 53 || r.RTTMs != 2.5 {
			t.Errorf("version %d: %+v %v, want dns with proto %q", tc.version, r, d.Err(), tc.want)
		}
	}
	for _, s := range []observe.RTTSample{{Kind: "icmp_echo", Proto: "icmp"}, {Kind: "ntp", Proto: "udp"}, {Kind: "tcp_handshake", Proto: "tcp"}} {
		e = pdu.Enc{}
		AppendSample(&e, &s)
		var r observe.RTTSample
		d := pdu.Dec{B: e.B, Version: 4}
		if DecodeSample(&d, &r); d.Err() != nil || r.Proto != s.Proto {
			t.Errorf("version 4 %s: proto %q (%v), want %q", s.Kind, r.Proto, d.Err(), s.Proto)
		}
	}
}
