package ftp

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

func sampleRows() ([]observe.FTPTransfer, []observe.FTPSession) {
	ts := []observe.FTPTransfer{
		{Class: "ftp", SessionID: 1, Command: "RETR", FileName: "file-1M.bin", Direction: DirServerToClient, DataMode: ModePassive,
			ModeCommand: "PASV", DataSrcAddr: "10.10.1.100", DataSrcPort: 43388, DataDstAddr: "198.51.100.10", DataDstPort: 40488,
			StartTime: 1795964258629850208, EndTime: 1795964259387025064, DurationS: 0.757174856, Bytes: 1048576,
			ThroughputMbps: 11.0786, ReplyCode: 226, Status: StatusComplete},
		{Class: "ftp-too", SessionID: 1 << 40, Command: "RETR", FileName: "rand.txt", Direction: DirServerToClient, DataMode: ModeActive,
			ModeCommand: "EPRT", DataSrcAddr: "2001:470:4867:99::21", DataSrcPort: 20, DataDstAddr: "2001:470:1f11:81f:c999:d94:aa7c:2e3e",
			DataDstPort: 49189, StartTime: -5, EndTime: math.MaxInt64, DurationS: math.Inf(1), Bytes: math.MaxUint64,
			ThroughputMbps: math.NaN(), ReplyCode: 426, Status: StatusAborted},
		{}, // everything empty, incl. status
		{Class: "ünï\x00class", SessionID: 7, Command: "SITE", FileName: "ünïcode\x00", Direction: "sideways", DataMode: "weird", ModeCommand: "LPRT",
			DataSrcAddr: "not an address", DataDstAddr: "010.1.2.3", Status: "odd", ReplyCode: 65535,
			StartTime: math.MinInt64, EndTime: math.MaxInt64},
		{DataSrcAddr: "::ffff:1.2.3.4", DataDstAddr: "fe80::1%eth0"},
	}
	ss := []observe.FTPSession{
		{Class: "ftp", SessionID: 1, ClientAddr: "10.10.1.100", ClientPort: 33488, ServerAddr: "198.51.100.10", ServerPort: 21,
			StartTime: 1795964258548973135, EndTime: 1795964259620561229, DurationS: 1.071588094, User: "anonymous",
			LoggedIn: true, Commands: 27, Transfers: 6, BytesDown: 1050048, BytesUp: 307200, LastReply: 221, SawStart: true},
		{},
		{Class: "c\xff", SessionID: math.MaxUint64, ClientAddr: "x", ServerAddr: "::1", User: "a\x00b", SawStart: true,
			StartTime: math.MaxInt64, EndTime: math.MinInt64, DurationS: -1},
	}
	return ts, ss
}

// sameFloat treats NaN as equal to NaN (bit patterns are kept).
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestCodecRoundTrip(t *testing.T) {
	ts, ss := sampleRows()
	var e pdu.Enc
	for i := range ts {
		AppendTransfer(&e, &ts[i])
	}
	for i := range ss {
		AppendSession(&e, &ss[i])
	}
	d := pdu.Dec{B: e.B}
	for i, want := range ts {
		var got observe.FTPTransfer
		DecodeTransfer(&d, &got)
		if !sameFloat(got.DurationS, want.DurationS) || !sameFloat(got.ThroughputMbps, want.ThroughputMbps) {
			t.Errorf("transfer %d floats %v %v", i, got.DurationS, got.ThroughputMbps)
		}
		got.DurationS, got.ThroughputMbps, want.DurationS, want.ThroughputMbps = 0, 0, 0, 0
		if got != want {
			t.Errorf("transfer %d:\n got  %+v\n want %+v", i, got, want)
		}
	}
	for i, want := range ss {
		var got observe.FTPSession
		DecodeSession(&d, &got)
		if got != want {
			t.Errorf("session %d:\n got  %+v\n want %+v", i, got, want)
		}
	}
	if d.Err() != nil || !d.Done() {
		t.Errorf("err %v, %d bytes left", d.Err(), len(d.B))
	}
	// A typical row is compact: enums in one byte, IPv4 in 5 (69 bytes
	// before the class, "ftp": 4 more).
	var one pdu.Enc
	AppendTransfer(&one, &ts[0])
	if len(one.B) > 73 {
		t.Errorf("transfer row %d bytes", len(one.B))
	}
	// Truncated input fails without panicking.
	for n := 0; n < len(one.B); n++ {
		d := pdu.Dec{B: one.B[:n]}
		var r observe.FTPTransfer
		DecodeTransfer(&d, &r)
		if d.Err() == nil {
			t.Errorf("decoding %d of %d bytes: no error", n, len(one.B))
		}
	}
}

// TestCodecRealRows round-trips the rows of a real capture.
func TestCodecRealRows(t *testing.T) {
	res := run(t, filepath.Join(samplesDir(t), "lab", "ftp", "A.pcap"), DefaultConfig())
	var e pdu.Enc
	for i := range res.transfers {
		AppendTransfer(&e, &res.transfers[i])
	}
	for i := range res.sessions {
		AppendSession(&e, &res.sessions[i])
	}
	d := pdu.Dec{B: e.B}
	for i := range res.transfers {
		var got observe.FTPTransfer
		DecodeTransfer(&d, &got)
		if got != res.transfers[i] {
			t.Errorf("transfer %d: %+v", i, got)
		}
	}
	for i := range res.sessions {
		var got observe.FTPSession
		DecodeSession(&d, &got)
		if got != res.sessions[i] {
			t.Errorf("session %d: %+v", i, got)
		}
	}
	if d.Err() != nil || !d.Done() {
		t.Errorf("err %v", d.Err())
	}
}

// TestCodecOldVersion: the FTP records of a frame older than ClassVersion
// (pdu wire versions 3 to 5) start at the session ID; they decode with
// class "" and every other field as written, where reading a class first
// took the session ID's varint for the class's length (a version 5 row
// with session 1 decoded as class "\x05..." or failed short). A frame of
// this version (Dec.Version 0, or 6 from a journal) reads the class.
func TestCodecOldVersion(t *testing.T) {
	ts, ss := sampleRows()
	for _, v := range []uint8{3, 4, 5} {
		var old []byte // version 5's layout: the rows without their class
		for i := range ts {
			r := ts[i]
			r.Class = ""
			old = append(old, withoutClass(func(e *pdu.Enc) { AppendTransfer(e, &r) })...)
		}
		for i := range ss {
			r := ss[i]
			r.Class = ""
			old = append(old, withoutClass(func(e *pdu.Enc) { AppendSession(e, &r) })...)
		}
		d := pdu.Dec{B: old, Version: v}
		for i, want := range ts {
			got := observe.FTPTransfer{Class: "stale"}
			DecodeTransfer(&d, &got)
			want.Class = ""
			got.DurationS, got.ThroughputMbps, want.DurationS, want.ThroughputMbps = 0, 0, 0, 0
			if got != want {
				t.Errorf("version %d transfer %d:\n got  %+v\n want %+v", v, i, got, want)
			}
		}
		for i, want := range ss {
			got := observe.FTPSession{Class: "stale"}
			DecodeSession(&d, &got)
			want.Class = ""
			if !sameFloat(got.DurationS, want.DurationS) {
				t.Errorf("version %d session %d duration %v", v, i, got.DurationS)
			}
			got.DurationS, want.DurationS = 0, 0
			if got != want {
				t.Errorf("version %d session %d:\n got  %+v\n want %+v", v, i, got, want)
			}
		}
		if d.Err() != nil || !d.Done() {
			t.Errorf("version %d: err %v, %d bytes left", v, d.Err(), len(d.B))
		}
	}
	for _, v := range []uint8{0, ClassVersion} {
		var e pdu.Enc
		AppendSession(&e, &ss[0])
		AppendTransfer(&e, &ts[1])
		d := pdu.Dec{B: e.B, Version: v}
		var s observe.FTPSession
		var x observe.FTPTransfer
		DecodeSession(&d, &s)
		DecodeTransfer(&d, &x)
		if d.Err() != nil || s.Class != "ftp" || x.Class != "ftp-too" || s.SessionID != 1 || x.SessionID != 1<<40 {
			t.Errorf("version %d: err %v, classes %q %q, session_ids %d %d", v, d.Err(), s.Class, x.Class, s.SessionID, x.SessionID)
		}
	}
}

// withoutClass is the bytes write appends to an empty Enc for a row of
// class "", less the class's length byte (0) that starts them.
func withoutClass(write func(*pdu.Enc)) []byte {
	var e pdu.Enc
	write(&e)
	return e.B[1:]
}
