package tcpconn

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

func f64(v float64) *float64 { return &v }
func i16(v int16) *int16     { return &v }
func u16(v uint16) *uint16   { return &v }

// codecRows returns rows made by the tracker from real captures plus
// hand-made rows at the edges of every field.
func codecRows(t testing.TB) []observe.TCPConnection {
	rows := runFile(t, "lab/tcp-mix/A.pcap")
	rows = append(rows, runFile(t, "pcap/tcp-options/zeek_tcp_handshake-reorder.pcap")...)
	rows = append(rows, runFile(t, "edge/06-tcp-seq-wrap-holes/input.pcap")...)
	rows = append(rows,
		observe.TCPConnection{}, // zero row: empty addresses, no state
		observe.TCPConnection{
			Class: "ftp-data", ConnID: math.MaxUint64, ClientAddr: "2001:db8::1", ClientPort: 65535,
			ServerAddr: "::ffff:192.0.2.1", ServerPort: 1, StartTime: math.MinInt64 / 2, EndTime: math.MaxInt64 / 2,
			HandshakeSynSynackMs: f64(-0.26), HandshakeSynackAckMs: f64(123456.789012),
			ClientPayloadBytes: math.MaxUint64, ServerMissingBytes: 1 << 40, ClientWScale: i16(-1), ServerWScale: i16(255),
			ClientMSS: u16(65535), SACKPermitted: true, ConnState: "XYZ", History: "^hSADadFfRrTtWwIiQq",
			SawStart: true, SawEnd: true, BoundaryOnly: true, HandshakeRTTMs: f64(0.001),
			ClientKeepalives: 3, ServerZeroWindowProbes: 1 << 33, ClientZeekRetransmissions: 7, ServerStraySYNs: 2,
		},
		observe.TCPConnection{ClientAddr: "not-an-address", ServerAddr: "fe80::1%eth0", ConnState: StateOTH},
	)
	for i := range rows {
		rows[i].DurationS = float64(rows[i].EndTime-rows[i].StartTime) / 1e9
	}
	return rows
}

func TestCodecRoundTrip(t *testing.T) {
	rows := codecRows(t)
	var e pdu.Enc
	for i := range rows {
		AppendConn(&e, uint16(i), &rows[i])
	}
	t.Logf("%d rows in %d bytes (%.1f B/row)", len(rows), len(e.B), float64(len(e.B))/float64(len(rows)))
	d := pdu.Dec{B: e.B}
	for i := range rows {
		var got observe.TCPConnection
		iface := DecodeConn(&d, &got)
		if d.Err() != nil {
			t.Fatalf("row %d: %v", i, d.Err())
		}
		if iface != uint16(i) {
			t.Errorf("row %d: iface %d", i, iface)
		}
		if !reflect.DeepEqual(got, rows[i]) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, rows[i])
		}
	}
	if !d.Done() || len(d.B) != 0 {
		t.Errorf("%d bytes left", len(d.B))
	}
}

func TestCodecTruncated(t *testing.T) {
	rows := codecRows(t)
	var e pdu.Enc
	AppendConn(&e, 3, &rows[1])
	for n := 0; n < len(e.B); n++ {
		d := pdu.Dec{B: e.B[:n]}
		var r observe.TCPConnection
		DecodeConn(&d, &r)
		if d.Err() == nil {
			t.Fatalf("cut at %d of %d bytes: no error", n, len(e.B))
		}
		if !errors.Is(d.Err(), pdu.ErrShort) && !errors.Is(d.Err(), pdu.ErrCorrupt) {
			t.Fatalf("cut at %d: %v", n, d.Err())
		}
	}
	// an unknown conn_state code is corrupt
	var r observe.TCPConnection
	e = pdu.Enc{}
	AppendConn(&e, 0, &observe.TCPConnection{ConnState: StateSF})
	e.B[len(e.B)-2] = 200 // state byte, before the empty history
	d := pdu.Dec{B: e.B}
	DecodeConn(&d, &r)
	if !errors.Is(d.Err(), pdu.ErrCorrupt) {
		t.Errorf("unknown state code: %v, want ErrCorrupt", d.Err())
	}
	// an interface index past 16 bits (65,536: pkt.Meta.Iface is uint16)
	// is corrupt; it read as interface 0, another interface's connection
	for _, port := range []bool{false, true} {
		e = pdu.Enc{}
		if port { // the client port, after iface 0, class "", conn id 0, flags 0 and the address
			AppendConn(&e, 0, &observe.TCPConnection{ClientAddr: "192.0.2.1", ClientPort: 0})
			e.B = append(append(e.B[:0:0], e.B[:9]...), append(binary.AppendUvarint(nil, 65536), e.B[10:]...)...)
		} else {
			AppendConn(&e, 0, &observe.TCPConnection{})
			e.B = append(binary.AppendUvarint(nil, 65536), e.B[1:]...)
		}
		d = pdu.Dec{B: e.B}
		iface := DecodeConn(&d, &r)
		if !errors.Is(d.Err(), pdu.ErrCorrupt) {
			t.Errorf("interface or port 65536 (port %v): interface %d, port %d, %v; want ErrCorrupt", port, iface, r.ClientPort, d.Err())
		}
	}
}

// FuzzDecodeConn: any input decodes without panic; what decodes without
// error re-encodes to a record that decodes to the same row.
func FuzzDecodeConn(f *testing.F) {
	for _, r := range codecRows(f) {
		var e pdu.Enc
		AppendConn(&e, 1, &r)
		f.Add(e.B)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := pdu.Dec{B: b}
		var r observe.TCPConnection
		iface := DecodeConn(&d, &r)
		if d.Err() != nil {
			return
		}
		var e pdu.Enc
		AppendConn(&e, iface, &r)
		d2 := pdu.Dec{B: e.B}
		var r2 observe.TCPConnection
		if DecodeConn(&d2, &r2) != iface || d2.Err() != nil {
			t.Fatalf("re-decode: %v", d2.Err())
		}
		if !reflect.DeepEqual(r, r2) && !hasNaN(&r) {
			t.Fatalf("re-decode differs:\n%+v\n%+v", r, r2)
		}
	})
}

func hasNaN(r *observe.TCPConnection) bool {
	return math.IsNaN(r.DurationS)
}
