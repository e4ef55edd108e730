package ftp

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// conv writes a synthetic control connection (and data connections)
// segment by segment into a Tracker.
type conv struct {
	t         *Tracker
	c, s      netip.Addr
	cp, sp    uint16
	seq       [2]uint32 // next sequence number: 0 client, 1 server
	now       int64
	transfers []observe.FTPTransfer
	sessions  []observe.FTPSession
	trace     []traceEvent
	emitT     func(*observe.FTPTransfer)
	emitS     func(*observe.FTPSession)
}

func newConv(cfg Config) *conv {
	v := &conv{
		t: New(cfg), c: netip.MustParseAddr("192.0.2.10"), s: netip.MustParseAddr("198.51.100.20"),
		cp: 50000, sp: 21, seq: [2]uint32{1000, 5000}, now: 1_700_000_000_000_000_000,
	}
	v.emitT = func(r *observe.FTPTransfer) { v.transfers = append(v.transfers, *r) }
	v.emitS = func(r *observe.FTPSession) { v.sessions = append(v.sessions, *r) }
	v.t.trace = func(ev traceEvent) { v.trace = append(v.trace, ev) }
	return v
}

func (v *conv) tick() int64 { v.now += 1_000_000; return v.now }

// seg builds a control segment from the client (dir 0) or server (dir 1)
// at sequence number seq; it does not advance v.seq.
func (v *conv) seg(dir int, seq uint32, payload string, flags uint16) *dissect.Dissection {
	d := &dissect.Dissection{Flags: dissect.HasIP | dissect.HasL4 | dissect.HasTCP, IPVersion: 4, Protocol: dissect.ProtoTCP}
	d.Meta.TimeNs = v.tick()
	d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort = v.c, v.cp, v.s, v.sp
	if dir == 1 {
		d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort = v.s, v.sp, v.c, v.cp
	}
	d.TCPFlags = flags | dissect.TCPAck
	d.Seq, d.Ack = seq, v.seq[1-dir]
	d.Payload = []byte(payload)
	d.PayloadLen = uint32(len(payload))
	return d
}

// send sends payload in order and advances the sequence number.
func (v *conv) send(dir int, payload string) {
	v.t.Control(v.seg(dir, v.seq[dir], payload, dissect.TCPPsh))
	v.seq[dir] += uint32(len(payload))
}

func (v *conv) open() {
	d := v.seg(0, v.seq[0]-1, "", dissect.TCPSyn)
	d.TCPFlags = dissect.TCPSyn
	v.t.Control(d)
	v.t.Control(v.seg(1, v.seq[1]-1, "", dissect.TCPSyn))
	v.send(1, "220 ready\r\n")
	v.send(0, "USER bob\r\n")
	v.send(1, "331 pw\r\n")
	v.send(0, "PASS secret\r\n")
	v.send(1, "230 ok\r\n")
}

func (v *conv) close() {
	v.t.Control(v.seg(0, v.seq[0], "", dissect.TCPFin))
	v.t.Control(v.seg(1, v.seq[1], "", dissect.TCPFin))
}

// data sends one segment of a data connection (any addresses) to Data.
func (v *conv) data(src netip.Addr, sp uint16, dst netip.Addr, dp uint16, seq uint32, n uint32, flags uint16) bool {
	d := &dissect.Dissection{Flags: dissect.HasIP | dissect.HasL4 | dissect.HasTCP, IPVersion: 4, Protocol: dissect.ProtoTCP}
	d.Meta.TimeNs = v.tick()
	d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort = src, sp, dst, dp
	d.TCPFlags, d.Seq, d.PayloadLen = flags, seq, n
	_, ok := v.t.Data(d)
	return ok
}

func (v *conv) replies() []int {
	var out []int
	for _, ev := range v.trace {
		if ev.Reply {
			out = append(out, ev.Code)
		}
	}
	return out
}

func (v *conv) commands() []string {
	var out []string
	for _, ev := range v.trace {
		if !ev.Reply {
			out = append(out, ev.Verb)
		}
	}
	return out
}

// TestOutOfOrderAndRetransmission: a reply segment lost before the probe
// arrives after the next one (held, then delivered in order), a command
// is retransmitted with more bytes, and a password is never kept.
func TestOutOfOrderAndRetransmission(t *testing.T) {
	v := newConv(DefaultConfig())
	v.open()
	// "PASV\r\n" sent twice, the second time together with "RETR f\r\n".
	v.t.Control(v.seg(0, v.seq[0], "PASV\r\n", 0))
	v.t.Control(v.seg(0, v.seq[0], "PASV\r\nRETR f\r\n", 0))
	v.seq[0] += 14
	r1 := "227 Entering Passive Mode (198,51,100,20,156,65)\r\n"
	r2 := "150 here\r\n"
	// r2 first: held beyond the gap; the client's duplicate ACK does not
	// acknowledge r1, so the gap stays.
	v.t.Control(v.seg(1, v.seq[1]+uint32(len(r1)), r2, 0))
	v.t.Control(v.seg(0, v.seq[0], "", 0))
	if got := v.replies(); len(got) != 3 {
		t.Fatalf("replies before the gap fills: %v", got)
	}
	v.t.Control(v.seg(1, v.seq[1], r1, 0))
	v.seq[1] += uint32(len(r1) + len(r2))
	if !v.data(v.c, 50001, v.s, 40001, 7000, 0, dissect.TCPSyn) {
		t.Fatal("data SYN not matched")
	}
	v.data(v.s, 40001, v.c, 50001, 9000, 0, dissect.TCPSyn|dissect.TCPAck)
	v.data(v.s, 40001, v.c, 50001, 9001, 1000, dissect.TCPAck)
	v.data(v.s, 40001, v.c, 50001, 9001, 1000, dissect.TCPAck) // retransmitted
	v.data(v.s, 40001, v.c, 50001, 9001+1000, 500, dissect.TCPAck|dissect.TCPFin)
	v.send(1, "226 done\r\n")
	v.close()
	v.t.Flush(v.now, v.emitT, v.emitS)
	if got, want := v.replies(), []int{220, 331, 230, 227, 150, 226}; !slices.Equal(got, want) {
		t.Errorf("replies %v, want %v", got, want)
	}
	if got, want := v.commands(), []string{"USER", "PASS", "PASV", "RETR"}; !slices.Equal(got, want) {
		t.Errorf("commands %v, want %v", got, want)
	}
	for _, ev := range v.trace {
		if ev.Verb == "PASS" && ev.Arg != "" {
			t.Errorf("password kept: %q", ev.Arg)
		}
	}
	checkTransfers(t, v.transfers, []xfer{
		{"RETR", "f", DirServerToClient, ModePassive, "PASV", 1500, StatusComplete, 226, "192.0.2.10:50001", "198.51.100.20:40001"},
	})
	st := v.t.Stats()
	if st.OutOfOrder != 1 || st.Retransmitted != 1 || st.Holes != 0 {
		t.Errorf("stats %+v", st)
	}
	if len(v.sessions) != 1 || v.sessions[0].User != "bob" {
		t.Errorf("sessions %+v", v.sessions)
	}
}

// TestHoleAcked: a reply segment the capture missed is acknowledged by the
// client: the gap is given up at once and the next reply is parsed.
func TestHoleAcked(t *testing.T) {
	v := newConv(DefaultConfig())
	v.open()
	v.send(0, "TYPE I\r\n")
	lost := "200 Type set\r\n"
	v.seq[1] += uint32(len(lost)) // never captured
	v.send(0, "PASV\r\n")
	v.send(1, "227 Entering Passive Mode (198,51,100,20,156,65)\r\n") // held
	v.t.Control(v.seg(0, v.seq[0], "", 0))                            // ACK beyond the gap
	if got := v.replies(); !slices.Equal(got, []int{220, 331, 230, 227}) {
		t.Errorf("replies %v", got)
	}
	if st := v.t.Stats(); st.Holes != 1 || st.Announcements != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestSnapTruncated: a reply cut by the snap length is not parsed (its
// port would be wrong); the next segment starts a new line.
func TestSnapTruncated(t *testing.T) {
	v := newConv(DefaultConfig())
	v.open()
	v.send(0, "PASV\r\n")
	full := "227 Entering Passive Mode (198,51,100,20,156,65)\r\n"
	d := v.seg(1, v.seq[1], full, 0)
	d.Payload = d.Payload[:40] // "...(198,51,100,2"
	v.t.Control(d)
	v.seq[1] += uint32(len(full))
	v.send(0, "PASV\r\n")
	v.send(1, "227 Entering Passive Mode (198,51,100,20,156,66)\r\n")
	v.send(0, "LIST\r\n")
	if !v.data(v.c, 50001, v.s, 40002, 1, 0, dissect.TCPSyn) {
		t.Error("data connection to the second announcement not matched")
	}
	if v.data(v.c, 50003, v.s, 40001, 1, 0, dissect.TCPSyn) {
		t.Error("matched a port taken from a cut line")
	}
	if st := v.t.Stats(); st.Holes != 1 || st.Announcements != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestPipelinedPASV: the client sends PASV and LIST before the 227
// arrives: the channel still goes to the LIST.
func TestPipelinedPASV(t *testing.T) {
	v := newConv(DefaultConfig())
	v.open()
	v.send(0, "PASV\r\nLIST\r\n")
	v.send(1, "227 =198,51,100,20,156,65\r\n")
	v.data(v.c, 50001, v.s, 40001, 1, 0, dissect.TCPSyn)
	v.data(v.s, 40001, v.c, 50001, 1, 0, dissect.TCPSyn|dissect.TCPAck)
	v.data(v.s, 40001, v.c, 50001, 2, 10, dissect.TCPAck|dissect.TCPFin)
	v.send(1, "150 ok\r\n226 ok\r\n")
	v.close()
	v.t.Flush(v.now, v.emitT, v.emitS)
	checkTransfers(t, v.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 10, StatusComplete, 226, "192.0.2.10:50001", "198.51.100.20:40001"},
	})
}

// TestAbort: ABOR during a RETR: 426 ends the transfer (aborted), 226
// answers the ABOR (RFC 959 §4.1.3). A refused STOR is failed.
func TestAbort(t *testing.T) {
	v := newConv(DefaultConfig())
	v.open()
	v.send(0, "PORT 192,0,2,10,195,80\r\n")
	v.send(1, "200 ok\r\n")
	v.send(0, "RETR big\r\n")
	v.send(1, "150 ok\r\n")
	if !v.data(v.s, 20, v.c, 50000, 100, 0, dissect.TCPSyn) {
		t.Fatal("active data connection not matched")
	}
	v.data(v.s, 20, v.c, 50000, 101, 4000, dissect.TCPAck)
	v.data(v.s, 20, v.c, 50000, 4101, 0, dissect.TCPRst)
	v.send(0, "\xff\xf4\xff\xf2ABOR\r\n")
	v.send(1, "426 aborted\r\n226 ABOR ok\r\n")
	v.send(0, "STOR x\r\n")
	v.send(1, "553 no\r\n")
	v.close()
	v.t.Flush(v.now, v.emitT, v.emitS)
	checkTransfers(t, v.transfers, []xfer{
		{"RETR", "big", DirServerToClient, ModeActive, "PORT", 4000, StatusAborted, 426, "198.51.100.20:20", "192.0.2.10:50000"},
		{"STOR", "x", DirClientToServer, "", "", 0, StatusFailed, 553, "", ""},
	})
	if got := v.commands(); !slices.Equal(got, []string{"USER", "PASS", "PORT", "RETR", "ABOR", "STOR"}) {
		t.Errorf("commands %v", got)
	}
}

// TestAuthTLS: after AUTH TLS and 234 the control connection is no longer
// parsed.
func TestAuthTLS(t *testing.T) {
	v := newConv(DefaultConfig())
	v.send(1, "220 hi\r\n")
	v.send(0, "AUTH TLS\r\n")
	v.send(1, "234 go\r\n")
	v.send(0, "\x16\x03\x01\x00\x05hello\r\nRETR x\r\n")
	v.close()
	v.t.Flush(v.now, v.emitT, v.emitS)
	if st := v.t.Stats(); st.Encrypted != 1 || st.Commands != 1 || st.BadLines != 0 {
		t.Errorf("stats %+v", st)
	}
	if len(v.transfers) != 0 || len(v.sessions) != 1 {
		t.Errorf("rows %v %v", v.transfers, v.sessions)
	}
}

// TestAuthTLS200: VxWorks' FTP server accepts AUTH TLS with "200 AUTH
// command ok; starting SSL connection..." (node-ftp#166, suppaftp#43: the
// client then starts TLS): the control connection is TLS from there, its
// bytes are no commands. Before, only 234 (RFC 4217 §4) switched it: the
// TLS records were parsed as lines (a RETR row, 2 commands, a bad line).
func TestAuthTLS200(t *testing.T) {
	v := newConv(DefaultConfig())
	v.send(1, "220 VxWorks FTP server (VxWorks VxWorks5.5.1) ready.\r\n")
	v.send(0, "AUTH TLS\r\n")
	v.send(1, "200 AUTH command ok; starting SSL connection...\r\n")
	v.send(0, "\x16\x03\x01\x00\x05hello\r\nRETR x\r\n")
	v.send(1, "\x16\x03\x03\x00\x02\x0a\x0d226 ok\r\n")
	v.close()
	v.t.Flush(v.now, v.emitT, v.emitS)
	if st := v.t.Stats(); st.Encrypted != 1 || st.Commands != 1 || st.BadLines != 0 || st.Replies != 2 {
		t.Errorf("stats %+v", st)
	}
	if len(v.transfers) != 0 || len(v.sessions) != 1 {
		t.Fatalf("rows %v %v", v.transfers, v.sessions)
	}
	if s := v.sessions[0]; s.Commands != 1 || s.Transfers != 0 || s.LastReply != 200 {
		t.Errorf("session %+v", s)
	}
}

// TestExpireOrder: Expire emits a replied transfer LingerNs after its last
// packet, the closed session CloseDelayNs after its last packet; an unused
// announcement is forgotten after ExpectTimeoutNs and stops matching.
func TestExpireOrder(t *testing.T) {
	cfg := DefaultConfig()
	v := newConv(cfg)
	v.open()
	v.send(0, "EPSV\r\n")
	v.send(1, "229 Entering Extended Passive Mode (|||40001|)\r\n")
	v.send(0, "NLST\r\n")
	v.data(v.c, 50001, v.s, 40001, 1, 0, dissect.TCPSyn)
	v.send(1, "226 ok\r\n")
	t226 := v.now
	v.send(0, "EPSV\r\n")
	v.send(1, "229 Entering Extended Passive Mode (|||40002|)\r\n")
	v.t.Expire(t226+cfg.LingerNs-1, v.emitT, v.emitS)
	if len(v.transfers) != 0 {
		t.Fatal("emitted before the linger")
	}
	v.t.Expire(t226+cfg.LingerNs, v.emitT, v.emitS)
	if len(v.transfers) != 1 || len(v.sessions) != 0 {
		t.Fatalf("after linger: %d transfers %d sessions", len(v.transfers), len(v.sessions))
	}
	if v.data(v.s, 40001, v.c, 50001, 1, 0, dissect.TCPAck) {
		t.Error("data connection of an emitted transfer still matches")
	}
	if !v.t.IsPeer(v.s, v.c) || v.t.IsPeer(v.s, netip.MustParseAddr("203.0.113.1")) {
		t.Error("IsPeer")
	}
	v.t.Expire(v.now+cfg.ExpectTimeoutNs, v.emitT, v.emitS)
	if st := v.t.Stats(); st.ExpectExpired != 1 || v.t.channels != 0 {
		t.Errorf("stats %+v channels %d", st, v.t.channels)
	}
	if v.data(v.c, 50002, v.s, 40002, 1, 0, dissect.TCPSyn) {
		t.Error("expired announcement still matches")
	}
	v.close()
	v.t.Expire(v.now+cfg.CloseDelayNs-1, v.emitT, v.emitS)
	if len(v.sessions) != 0 {
		t.Error("session emitted before the close delay")
	}
	v.t.Expire(v.now+cfg.CloseDelayNs, v.emitT, v.emitS)
	if len(v.sessions) != 1 || v.t.Len() != 0 || len(v.t.peers) != 0 {
		t.Errorf("session not emitted: %d, len %d, peers %d", len(v.sessions), v.t.Len(), len(v.t.peers))
	}
	if v.t.IsPeer(v.s, v.c) {
		t.Error("peer left after the session")
	}
}

// TestEviction: MaxSessions 2: a third session evicts the least recently
// active, whose rows come out at the next Expire.
func TestEviction(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxSessions = 2
	v := newConv(cfg)
	for i := 0; i < 3; i++ {
		v.cp = uint16(50000 + i)
		v.seq = [2]uint32{1000, 5000}
		v.open()
	}
	if v.t.Len() != 2 || v.t.Stats().SessionsEvicted != 1 {
		t.Fatalf("len %d stats %+v", v.t.Len(), v.t.Stats())
	}
	v.t.Expire(v.now, v.emitT, v.emitS)
	if len(v.sessions) != 1 || v.sessions[0].ClientPort != 50000 || v.sessions[0].User != "bob" {
		t.Errorf("evicted %+v", v.sessions)
	}
	v.t.Flush(v.now, v.emitT, v.emitS)
	if len(v.sessions) != 3 {
		t.Errorf("%d sessions", len(v.sessions))
	}
}

// TestPortReuse: a new SYN with another ISN on the 4-tuple of a closed
// session starts a new session.
func TestPortReuse(t *testing.T) {
	v := newConv(DefaultConfig())
	v.open()
	v.close()
	v.seq = [2]uint32{90000, 70000}
	v.open()
	v.t.Flush(v.now, v.emitT, v.emitS)
	if len(v.sessions) != 2 || v.sessions[0].SessionID == v.sessions[1].SessionID {
		t.Errorf("sessions %+v", v.sessions)
	}
}

// TestSpanUnwrap: byte counts from sequence numbers across 2^32.
func TestSpanUnwrap(t *testing.T) {
	var sp span
	sp.syn(0xffffff00)
	sp.add(0xffffff01, 0x80)
	sp.add(0x7fffff00, 0x100) // +2 GiB - 1 KiB
	sp.add(0xffffff00, 0x100) // +2 GiB
	sp.add(0x00000100, 0x10)  // wrapped twice
	// last byte at 2*2^32 + 0x110, first at 0xffffff01
	if got, want := sp.bytes(), uint64(2<<32+0x110-0xffffff01); got != want {
		t.Errorf("bytes %#x, want %#x", got, want)
	}
	// Only the boundaries (design 3.6): SYN, then FIN 3 GiB later.
	var b span
	b.syn(0x10)
	b.fin(0x10+1+3<<30, 0)
	b.fin(0x10+1+3<<30, 0) // retransmitted
	if b.bytes() != 3<<30 {
		t.Errorf("boundary bytes %d", b.bytes())
	}
	// A FIN with data retransmitted after everything was seen.
	var r span
	r.syn(100)
	r.add(101, 1000)
	r.fin(1001, 100)
	r.fin(1001, 100)
	if r.bytes() != 1000 {
		t.Errorf("retransmitted FIN: bytes %d", r.bytes())
	}
	var late span // picked up without SYN, an earlier segment seen later
	late.add(5000, 100)
	late.add(4000, 1000)
	if late.bytes() != 1100 {
		t.Errorf("late bytes %d", late.bytes())
	}
}
