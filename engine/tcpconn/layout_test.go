package tcpconn

import (
	"net/netip"
	"reflect"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestConnLayout: a conn is 13 cache lines (832 bytes, was 928), the
// tracker's conns start on a line, and what every segment reads or writes
// lies in four lines (issue 14): line 0 (the key the hint is checked
// against, the expiry list links and flags, the history masks), line 1
// (the times, packet counts and Zeek's endpoint state) and the first
// line of each side (the sequence and ACK state).
func TestConnLayout(t *testing.T) {
	var c conn
	if s := unsafe.Sizeof(c); s != 832 {
		t.Errorf("conn is %d bytes, want 832", s)
	}
	if s := unsafe.Sizeof(side{}); s != 256 {
		t.Errorf("side is %d bytes, want 256", s)
	}
	type field struct {
		name      string
		off, size uintptr
		lineNo    uintptr
	}
	s0 := unsafe.Offsetof(c.s)
	sideFields := func(i uintptr) []field {
		var s side
		b := s0 + i*unsafe.Sizeof(s)
		line := 2 + i*4
		return []field{
			{"high", b + unsafe.Offsetof(s.high), 8, line},
			{"ackHigh", b + unsafe.Offsetof(s.ackHigh), 8, line},
			{"next", b + unsafe.Offsetof(s.next), 8, line},
			{"nextNs", b + unsafe.Offsetof(s.nextNs), 8, line},
			{"lastAckNs", b + unsafe.Offsetof(s.lastAckNs), 8, line},
			{"base", b + unsafe.Offsetof(s.base), 4, line},
			{"lastAck", b + unsafe.Offsetof(s.lastAck), 4, line},
			{"window", b + unsafe.Offsetof(s.window), 2, line},
			{"dupAcks", b + unsafe.Offsetof(s.dupAcks), 1, line},
			{"based", b + unsafe.Offsetof(s.based), 1, line},
			{"sawSYN", b + unsafe.Offsetof(s.sawSYN), 1, line},
			{"placed", b + unsafe.Offsetof(s.placed), 1, line},
			{"fin", b + unsafe.Offsetof(s.fin), 1, line},
			{"rst", b + unsafe.Offsetof(s.rst), 1, line},
			{"hasLastAck", b + unsafe.Offsetof(s.hasLastAck), 1, line},
			{"hasWindow", b + unsafe.Offsetof(s.hasWindow), 1, line},
		}
	}
	fields := []field{
		{"k", unsafe.Offsetof(c.k), unsafe.Sizeof(c.k), 0},
		{"prev", unsafe.Offsetof(c.prev), 4, 0},
		{"next", unsafe.Offsetof(c.next), 4, 0},
		{"seen", unsafe.Offsetof(c.seen), 4, 0},
		{"list", unsafe.Offsetof(c.list), 1, 0},
		{"live", unsafe.Offsetof(c.live), 1, 0},
		{"cliA", unsafe.Offsetof(c.cliA), 1, 0},
		{"hasSyn", unsafe.Offsetof(c.hasSyn), 1, 0},
		{"hasSynAck", unsafe.Offsetof(c.hasSynAck), 1, 0},
		{"hasAck", unsafe.Offsetof(c.hasAck), 1, 0},
		{"hasLastSyn", unsafe.Offsetof(c.hasLastSyn), 1, 0},
		{"hasMruSynAck", unsafe.Offsetof(c.hasMruSynAck), 1, 0},
		{"boundaryOnly", unsafe.Offsetof(c.boundaryOnly), 1, 0},
		{"lastNs", unsafe.Offsetof(c.lastNs), 8, 1},
		{"activeNs", unsafe.Offsetof(c.activeNs), 8, 1},
		{"packets", unsafe.Offsetof(c.packets), 16, 1},
		{"z", unsafe.Offsetof(c.z), unsafe.Sizeof(c.z), 1},
	}
	fields = append(fields, sideFields(0)...)
	fields = append(fields, sideFields(1)...)
	// init writes (besides lines 0 and 1) line 10 and one line of each
	// side: five lines of a new connection, not 13
	fields = append(fields,
		field{"firstNs", unsafe.Offsetof(c.firstNs), 8, 10},
		field{"id", unsafe.Offsetof(c.id), 8, 10},
		field{"class", unsafe.Offsetof(c.class), unsafe.Sizeof(c.class), 10},
		field{"hist.n", unsafe.Offsetof(c.hist) + unsafe.Offsetof(c.hist.n), 1, 10},
		field{"hist.b[0]", unsafe.Offsetof(c.hist) + unsafe.Offsetof(c.hist.b), 1, 10})
	for i := range uintptr(2) {
		var s side
		b := s0 + i*unsafe.Sizeof(s)
		fields = append(fields,
			field{"boundary", b + unsafe.Offsetof(s.boundary), 1, 4 + 4*i},
			field{"wscale", b + unsafe.Offsetof(s.wscale), 2, 4 + 4*i})
	}
	for _, f := range fields {
		if f.off/64 != f.lineNo || (f.off+f.size-1)/64 != f.lineNo {
			t.Errorf("%s at bytes %d-%d, want in line %d", f.name, f.off, f.off+f.size-1, f.lineNo)
		}
	}

	// The tracker's conns start on a line, in the first page and later
	// ones (Go gives an object over 32 KiB pages of its own).
	tr := New(DefaultConfig())
	var d dissect.Dissection
	for i := range 300 {
		d = dissect.Dissection{Flags: dissect.HasTCP, IPVersion: 4, TCPFlags: flagSYN,
			SrcAddr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), DstAddr: netip.AddrFrom4([4]byte{10, 1, 0, 1}),
			SrcPort: 40000, DstPort: 80, Meta: pkt.Meta{TimeNs: int64(i)}}
		var h Hint
		tr.PacketHint(&d, "c", false, &h)
		if p := uintptr(unsafe.Pointer(tr.conn(int32(h) - 1))); p%64 != 0 {
			t.Fatalf("conn %d at %#x: not on a cache line", i, p)
		}
	}
}

// TestManyDupAcksFastRetrans: a side's duplicate ACK count is a byte
// that stops at 255 (only >= 2 matters, Wireshark's fast retransmission
// rule, packet-tcp.c): after 256 duplicate ACKs (a count that wraps to 0
// in a byte) the client's resend of the segment they ask for is a fast
// retransmission, as after 2 or 300. The row's ends are the dissection's
// (an IPv4 address in its 4-byte form, the client the SYN's sender, here
// the key's second end: 10.0.0.9 sorts after 10.0.0.1).
func TestManyDupAcksFastRetrans(t *testing.T) {
	const cISN, sISN = 1000, 5000
	cli, srv := netip.AddrFrom4([4]byte{10, 0, 0, 9}), netip.AddrFrom4([4]byte{10, 0, 0, 1})
	for _, dups := range []int{2, 256, 300} {
		tr := New(DefaultConfig())
		var now int64 = 1e18
		seg := func(fromClient bool, fl uint16, seq, ack, plen uint32) segKind {
			now += 1000
			d := dissect.Dissection{Flags: dissect.HasTCP, IPVersion: 4, TCPFlags: fl, Seq: seq, Ack: ack,
				Window: 1000, PayloadLen: plen, Meta: pkt.Meta{TimeNs: now}}
			d.SrcAddr, d.DstAddr, d.SrcPort, d.DstPort = cli, srv, 40000, 443
			if !fromClient {
				d.SrcAddr, d.DstAddr, d.SrcPort, d.DstPort = srv, cli, 443, 40000
			}
			return tr.packet(&d, "c", false, new(Hint))
		}
		seg(true, flagSYN, cISN, 0, 0)
		seg(false, flagSYN|flagACK, sISN, cISN+1, 0)
		seg(true, flagACK, cISN+1, sISN+1, 0)
		seg(true, flagACK, cISN+1, sISN+1, 100)   // not received
		seg(true, flagACK, cISN+101, sISN+1, 100) // received: the server asks for the first again
		for range dups {
			seg(false, flagACK, sISN+1, cISN+1, 0)
		}
		if k := seg(true, flagACK, cISN+1, sISN+1, 100); k != segFastRetrans {
			t.Errorf("after %d duplicate ACKs: the resend is %v, want a fast retransmission (%v)", dups, k, segFastRetrans)
		}
		var rows []observe.TCPConnection
		tr.Flush(now, func(_ uint16, r *observe.TCPConnection) { rows = append(rows, *r) })
		if len(rows) != 1 {
			t.Fatalf("%d rows, want 1", len(rows))
		}
		r := rows[0]
		if r.ClientAddr != cli.String() || r.ClientPort != 40000 || r.ServerAddr != srv.String() || r.ServerPort != 443 ||
			r.ClientPackets != 5 || r.ServerPackets != uint64(dups)+1 || r.ClientRetransmissions != 1 {
			t.Errorf("row %s:%d -> %s:%d, packets %d/%d, retransmissions %d; want %s:40000 -> %s:443, 5/%d, 1",
				r.ClientAddr, r.ClientPort, r.ServerAddr, r.ServerPort, r.ClientPackets, r.ServerPackets, r.ClientRetransmissions,
				cli, srv, dups+1)
		}
	}
}

// TestFreeSlotsZero: a released connection's slot is zero but for its
// holes' memory (conn.clear), which conn.init relies on to write only
// what is not zero; a connection made in a reused slot gives the row of
// one made in a fresh one.
func TestFreeSlotsZero(t *testing.T) {
	tr := New(DefaultConfig())
	mk := func(id int) []seg {
		port := uint16(40000 + id)
		return []seg{
			{ms: 0, fromClient: true, flags: S, seq: isnC, cport: port, win: 0xffff},
			{ms: 1, flags: SA, seq: isnS, ack: isnC + 1, cport: port},
			{ms: 2, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, cport: port},
			{ms: 3, fromClient: true, flags: A, seq: isnC + 101, ack: isnS + 1, len: 50, cport: port}, // a hole of 100 bytes
			{ms: 4, flags: R, seq: isnS + 1, cport: port},
		}
	}
	feedSegs(tr, mk(0), false)
	first := flushAll(tr)
	if len(tr.free) != 1 {
		t.Fatalf("%d free slots, want 1", len(tr.free))
	}
	c := tr.conn(tr.free[0])
	if cap(c.s[0].holes) == 0 {
		t.Errorf("the client's holes' memory was not kept")
	}
	z := *c
	z.s[0].holes, z.s[1].holes = nil, nil
	if !reflect.DeepEqual(z, conn{}) || len(c.s[0].holes) != 0 || len(c.s[1].holes) != 0 {
		t.Errorf("free slot not zero: %+v", *c)
	}
	feedSegs(tr, mk(0), false)
	again := flushAll(tr)
	if len(first) != 1 || len(again) != 1 {
		t.Fatalf("rows %d, %d, want 1, 1", len(first), len(again))
	}
	again[0].ConnID = first[0].ConnID
	if !reflect.DeepEqual(first[0], again[0]) {
		t.Errorf("in a reused slot: %+v\nwant %+v", again[0], first[0])
	}
}
