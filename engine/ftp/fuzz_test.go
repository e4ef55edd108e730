package ftp

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// FuzzReply feeds arbitrary bytes as the server side of a control
// connection (reply lines, multi-line replies, 227/229 texts) and to the
// reply parsers directly: no panic, and announcements carry valid ports.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		"220-Welcome\r\n220-more\r\n220 ready\r\n",
		"227 Entering Passive Mode (198,51,100,20,156,65).\r\n",
		"227 198,51,100,20,156,65\r\n227 Logout.\r\n",
		"229 Entering Extended Passive Mode (|||40001|)\r\n",
		"150-Accepted\r\n150 Ok\r\n226-a\r\n 226 not the end\r\n226 end\r\n",
		"230-x\r\n230 lines\r\n230 ok\r\n",
		"234 AUTH ok\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		code, _, text, ok := parseReplyLine(b)
		if ok && (code < 100 || code > 599) {
			t.Fatalf("code %d", code)
		}
		if _, p, ok := parse227(text); ok && p == 0 {
			t.Fatal("227 port 0")
		}
		if _, p, ok := parse229(b); ok && p == 0 {
			t.Fatal("229 port 0")
		}
		endsReply(b, 226)
		v := newConv(DefaultConfig())
		v.open()
		v.send(0, "PASV\r\nRETR x\r\nEPSV\r\nLIST\r\nAUTH TLS\r\n")
		// in two pieces, to split lines at an arbitrary point
		half := len(b) / 2
		v.send(1, string(b[:half]))
		v.send(1, string(b[half:]))
		v.data(v.c, 50001, v.s, 40001, 1, 10, dissect.TCPSyn)
		v.close()
		v.t.Flush(v.now, v.emitT, v.emitS)
		if len(v.sessions) != 1 || v.t.Len() != 0 || len(v.t.peers) != 0 || v.t.channels != 0 {
			t.Fatalf("state left: %d sessions, %d peers, %d channels", v.t.Len(), len(v.t.peers), v.t.channels)
		}
	})
}

// FuzzCommand feeds arbitrary bytes as the client side of a control
// connection and to the command, PORT and EPRT parsers.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		"USER anonymous\r\nPASS x\r\n",
		"PORT 192,0,2,10,195,200\r\nRETR two.bin\r\n",
		"EPRT |2|2001:db8::1|49189|\r\nLIST\r\n",
		"EPRT |1|10.10.1.100|48589|\r\nSTOR a\r\n",
		"\xff\xf4\xff\xf2ABOR\r\n",
		"PORT 192,0,2,10,19",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var name [4]byte
		v, n, arg, ok := parseCommand(b, &name)
		if ok && (n < 3 || n > 4 || v >= numVerbs) {
			t.Fatalf("verb %v length %d", v, n)
		}
		if a, p, ok := parsePORT(arg); ok && (p == 0 || !a.Is4()) {
			t.Fatalf("PORT %v %d", a, p)
		}
		if a, p, ok := parseEPRT(b); ok && (p == 0 || !a.IsValid()) {
			t.Fatalf("EPRT %v %d", a, p)
		}
		c := newConv(DefaultConfig())
		c.open()
		c.send(0, string(b))
		c.send(0, "\r\n")
		c.send(1, "200 ok\r\n150 ok\r\n226 ok\r\n")
		c.data(c.s, 20, c.c, 50120, 1, 10, dissect.TCPSyn)
		c.close()
		c.t.Flush(c.now, c.emitT, c.emitS)
		if c.t.Len() != 0 || len(c.t.peers) != 0 || c.t.channels != 0 {
			t.Fatal("state left after Flush")
		}
	})
}

// FuzzControl drives the Tracker with arbitrary segments: each record of
// the input is (direction, sequence offset, flags, payload length,
// payload), covering out-of-order, overlapping and retransmitted
// segments, holes and resets, plus data segments.
func FuzzControl(f *testing.F) {
	f.Add([]byte("\x01\x00\x00\x00\x00\x02\x0b220 hello\r\n\x00\x00\x00\x00\x00\x02\x06PASV\r\n"))
	f.Add([]byte("\x01\x00\x00\x00\x10\x02\x08150 ok\r\n\x01\x00\x00\x00\x00\x02\x10227 1,2,3,4,5,6\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg := DefaultConfig()
		cfg.MaxExpected = 4
		v := newConv(cfg)
		base := [2]uint32{1000, 5000}
		for len(b) >= 7 {
			dir := int(b[0] & 1)
			off := binary.BigEndian.Uint32(b[1:5])
			flags := uint16(b[5])
			n := int(b[6])
			b = b[7:]
			if n > len(b) {
				n = len(b)
			}
			payload := b[:n]
			b = b[n:]
			if b := flags & 0x40; b != 0 { // a data segment
				v.data(v.c, 50001, v.s, uint16(off), off, uint32(n), flags&0x3f)
				continue
			}
			d := v.seg(dir, base[dir]+off, string(payload), flags&0x3f)
			d.TCPFlags = flags & 0x3f
			if flags&0x80 != 0 && len(d.Payload) > 0 { // snap-length cut
				d.Payload = d.Payload[:len(d.Payload)/2]
			}
			v.t.Control(d)
			if flags&0x20 != 0 {
				v.t.Expire(v.now+3e9, v.emitT, v.emitS)
			}
		}
		v.t.Flush(v.now, v.emitT, v.emitS)
		if v.t.Len() != 0 || len(v.t.peers) != 0 || v.t.channels != 0 {
			t.Fatal("state left after Flush")
		}
		for _, x := range v.transfers {
			if x.EndTime < x.StartTime {
				t.Fatalf("transfer ends before it starts: %+v", x)
			}
		}
	})
}

// FuzzDecode decodes arbitrary bytes as transfer and session rows: no
// panic, and re-encoding a row that decoded without error gives the same
// row back.
func FuzzDecode(f *testing.F) {
	ts, ss := sampleRows()
	for i := range ts {
		var e pdu.Enc
		AppendTransfer(&e, &ts[i])
		f.Add(e.B)
	}
	for i := range ss {
		var e pdu.Enc
		AppendSession(&e, &ss[i])
		f.Add(e.B)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := pdu.Dec{B: b}
		var x observe.FTPTransfer
		DecodeTransfer(&d, &x)
		if d.Err() == nil {
			var e pdu.Enc
			AppendTransfer(&e, &x)
			var y observe.FTPTransfer
			d2 := pdu.Dec{B: e.B}
			DecodeTransfer(&d2, &y)
			var e2 pdu.Enc
			AppendTransfer(&e2, &y)
			if d2.Err() != nil || !bytes.Equal(e.B, e2.B) {
				t.Fatalf("transfer does not round-trip: %+v", x)
			}
		}
		d = pdu.Dec{B: b}
		var s observe.FTPSession
		DecodeSession(&d, &s)
		if d.Err() == nil {
			var e pdu.Enc
			AppendSession(&e, &s)
			var s2 observe.FTPSession
			d2 := pdu.Dec{B: e.B}
			DecodeSession(&d2, &s2)
			var e2 pdu.Enc
			AppendSession(&e2, &s2)
			if d2.Err() != nil || !bytes.Equal(e.B, e2.B) { // bytes, not ==: NaN durations
				t.Fatalf("session does not round-trip: %+v", s)
			}
		}
	})
}
