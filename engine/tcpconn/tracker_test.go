package tcpconn

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// Synthetic segments between a client 10.0.0.1:40000 and a server
// 10.0.0.2:80 (or other ports), for the rules no sample capture exercises.
var (
	cliAddr = netip.MustParseAddr("10.0.0.1")
	srvAddr = netip.MustParseAddr("10.0.0.2")
)

const (
	S  = dissect.TCPSyn
	A  = dissect.TCPAck
	F  = dissect.TCPFin
	R  = dissect.TCPRst
	SA = S | A
	FA = F | A
	RA = R | A
)

type seg struct {
	ms         int64 // capture time in ms from 0
	fromClient bool
	flags      uint16
	seq, ack   uint32
	len        uint32
	win        uint16
	cport      uint16 // client port (default 40000)
}

func (s seg) dissection() dissect.Dissection {
	d := dissect.Dissection{Flags: dissect.HasIP | dissect.HasL4 | dissect.HasTCP, IPVersion: 4, Protocol: 6,
		TCPFlags: s.flags, Seq: s.seq, Ack: s.ack, PayloadLen: s.len, Window: s.win, WScale: -1}
	if d.Window == 0 && s.win == 0 {
		d.Window = 1000
	}
	if s.win == 0xffff {
		d.Window = 0
	}
	cp := s.cport
	if cp == 0 {
		cp = 40000
	}
	d.Meta.TimeNs = 1_700_000_000e9 + s.ms*1e6
	if s.fromClient {
		d.SrcAddr, d.DstAddr, d.SrcPort, d.DstPort = cliAddr, srvAddr, cp, 80
	} else {
		d.SrcAddr, d.DstAddr, d.SrcPort, d.DstPort = srvAddr, cliAddr, 80, cp
	}
	return d
}

const (
	isnC = 1000
	isnS = 5000
)

// handshake returns SYN, SYN-ACK, ACK at 0, 1, 2 ms.
func handshake() []seg {
	return []seg{
		{ms: 0, fromClient: true, flags: S, seq: isnC},
		{ms: 1, flags: SA, seq: isnS, ack: isnC + 1},
		{ms: 2, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1},
	}
}

func feedSegs(tr *Tracker, segs []seg, boundaryOnly bool) {
	for _, s := range segs {
		d := s.dissection()
		tr.Packet(&d, "synthetic", boundaryOnly)
	}
}

func flushAll(tr *Tracker) []observe.TCPConnection {
	var rows []observe.TCPConnection
	tr.Flush(0, func(_ uint16, r *observe.TCPConnection) { rows = append(rows, *r) })
	return rows
}

func one(t *testing.T, segs []seg) observe.TCPConnection {
	t.Helper()
	tr := New(DefaultConfig())
	feedSegs(tr, segs, false)
	rows := flushAll(tr)
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	return rows[0]
}

// TestZeekStates drives Zeek's state machine to every conn_state code; the
// expected history and state follow TCPSessionAdapter.cc and conn/main.zeek
// by hand.
func TestZeekStates(t *testing.T) {
	est := handshake()
	for _, c := range []struct {
		name, state, hist string
		segs              []seg
	}{
		{"S0", StateS0, "S", []seg{{fromClient: true, flags: S, seq: isnC}}},
		// a retransmitted SYN (same ISN) stays one S0 connection
		{"S0 retransmitted", StateS0, "S", []seg{{fromClient: true, flags: S, seq: isnC}, {ms: 1000, fromClient: true, flags: S, seq: isnC}}},
		{"SH", StateSH, "SF", []seg{{fromClient: true, flags: S, seq: isnC}, {ms: 5, fromClient: true, flags: FA, seq: isnC + 1}}},
		{"RSTOS0", StateRSTOS0, "SR", []seg{{fromClient: true, flags: S, seq: isnC}, {ms: 5, fromClient: true, flags: R, seq: isnC + 1}}},
		{"REJ", StateREJ, "Sr", []seg{{fromClient: true, flags: S, seq: isnC}, {ms: 1, flags: RA, ack: isnC + 1}}},
		{"RSTRH", StateRSTRH, "^hr", []seg{{flags: SA, seq: isnS, ack: isnC + 1}, {ms: 5, flags: R, seq: isnS + 1}}},
		{"SHR", StateSHR, "^hf", []seg{{flags: SA, seq: isnS, ack: isnC + 1}, {ms: 5, flags: FA, seq: isnS + 1, ack: isnC + 1}}},
		{"S1", StateS1, "ShA", est},
		{"S2", StateS2, "ShAF", append(append([]seg{}, est...), seg{ms: 3, fromClient: true, flags: FA, seq: isnC + 1, ack: isnS + 1})},
		{"S3", StateS3, "ShAf", append(append([]seg{}, est...), seg{ms: 3, flags: FA, seq: isnS + 1, ack: isnC + 1})},
		{"SF", StateSF, "ShAFf", append(append([]seg{}, est...),
			seg{ms: 3, fromClient: true, flags: FA, seq: isnC + 1, ack: isnS + 1},
			seg{ms: 4, flags: FA, seq: isnS + 1, ack: isnC + 2},
			seg{ms: 5, fromClient: true, flags: A, seq: isnC + 2, ack: isnS + 2})},
		{"RSTO", StateRSTO, "ShAR", append(append([]seg{}, est...), seg{ms: 3, fromClient: true, flags: R, seq: isnC + 1})},
		{"RSTR", StateRSTR, "ShAr", append(append([]seg{}, est...), seg{ms: 3, flags: R, seq: isnS + 1})},
		{"OTH", StateOTH, "Da", []seg{{fromClient: true, flags: A, seq: 7, ack: 9, len: 10}, {ms: 1, flags: A, seq: 9, ack: 17}}},
		// SYN+FIN: 'Q' (SYN_SENT then CLOSED); FIN+RST: 'I' (RESET, peer inactive,
		// history not S...R): OTH. The final ACK of SF adds no second 'A'.
		{"I and Q", StateOTH, "QI", []seg{{fromClient: true, flags: S | F, seq: isnC}, {ms: 1, fromClient: true, flags: F | R, seq: isnC + 2}}},
		// zero windows: 'W' at the 1st and 10th (logarithmic)
		{"W", StateS1, "ShAWW", append(append([]seg{}, est...),
			seg{ms: 3, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 4, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 5, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 6, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 7, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 8, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 9, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 10, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 11, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff},
			seg{ms: 12, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff})},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := one(t, c.segs)
			if r.ConnState != c.state || r.History != c.hist {
				t.Errorf("state %s history %q, want %s %q", r.ConnState, r.History, c.state, c.hist)
			}
		})
	}
	// Wireshark counts all 10 zero windows (no SYN/FIN/RST).
	r := one(t, append(append([]seg{}, est...), seg{ms: 3, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, win: 0xffff}))
	if r.ClientZeroWindows != 1 || r.ServerZeroWindows != 0 {
		t.Errorf("zero windows %d/%d, want 1/0", r.ClientZeroWindows, r.ServerZeroWindows)
	}
}

// TestRstos0 checks the history pattern /\^?S[^HAFGIQ]*R.*/.
func TestRstos0(t *testing.T) {
	for h, want := range map[string]bool{"SR": true, "^SR": true, "SDR": true, "STR": true, "SAR": false,
		"ShR": true, "SHR": false, "S": false, "R": false, "^R": false, "": false, "SFR": false} {
		if got := rstos0([]byte(h)); got != want {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}

// TestExpiry checks the capture-time timeouts of each list.
func TestExpiry(t *testing.T) {
	cfg := DefaultConfig()
	base := int64(1_700_000_000e9)
	closed := append(append([]seg{}, handshake()...),
		seg{ms: 3, fromClient: true, flags: FA, seq: isnC + 1, ack: isnS + 1},
		seg{ms: 4, flags: FA, seq: isnS + 1, ack: isnC + 2})
	for _, c := range []struct {
		name  string
		segs  []seg
		last  int64 // ms of the last packet
		after int64 // timeout
		state string
		stat  func(Stats) uint64
	}{
		{"closed", closed, 4, cfg.CloseDelayNs, StateSF, func(s Stats) uint64 { return s.Closed }},
		{"attempt", []seg{{fromClient: true, flags: S, seq: isnC}}, 0, cfg.HandshakeTimeoutNs, StateS0, func(s Stats) uint64 { return s.Expired }},
		{"established", handshake(), 2, cfg.IdleTimeoutNs, StateS1, func(s Stats) uint64 { return s.Expired }},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := New(cfg)
			feedSegs(tr, c.segs, false)
			var rows []observe.TCPConnection
			emit := func(_ uint16, r *observe.TCPConnection) { rows = append(rows, *r) }
			tr.Expire(base+c.last*1e6+c.after-1, emit)
			if len(rows) != 0 || tr.Len() != 1 {
				t.Fatalf("emitted %d rows 1 ns before the timeout", len(rows))
			}
			tr.Expire(base+c.last*1e6+c.after, emit)
			if len(rows) != 1 || tr.Len() != 0 || rows[0].ConnState != c.state || c.stat(tr.Stats()) != 1 {
				t.Fatalf("rows %d len %d stats %+v", len(rows), tr.Len(), tr.Stats())
			}
			if rows[0].EndTime != base+c.last*1e6 {
				t.Errorf("end_time %d, want the last packet's", rows[0].EndTime)
			}
		})
	}
}

// TestPortReuse: a SYN with a new ISN on a closed connection's 4-tuple
// starts a new connection; the old row waits for the next Expire.
func TestPortReuse(t *testing.T) {
	tr := New(DefaultConfig())
	segs := append(append([]seg{}, handshake()...),
		seg{ms: 3, fromClient: true, flags: FA, seq: isnC + 1, ack: isnS + 1},
		seg{ms: 4, flags: FA, seq: isnS + 1, ack: isnC + 2},
		seg{ms: 1000, fromClient: true, flags: S, seq: 90000})
	feedSegs(tr, segs, false)
	var rows []observe.TCPConnection
	tr.Expire(0, func(_ uint16, r *observe.TCPConnection) { rows = append(rows, *r) })
	if len(rows) != 1 || rows[0].ConnState != StateSF || rows[0].ConnID != 1 {
		t.Fatalf("rows %+v", rows)
	}
	rows = append(rows, flushAll(tr)...)
	if len(rows) != 2 || rows[1].ConnState != StateS0 || rows[1].ConnID != 2 || rows[1].History != "S" {
		t.Fatalf("rows %+v", rows)
	}
	if st := tr.Stats(); st.PortReuses != 1 || st.Created != 2 || st.Finished != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestEviction: a full table evicts the least recently active connection
// (closing ones first); MaxPending bounds the rows waiting for Expire.
func TestEviction(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns, cfg.MaxPending = 2, 1
	tr := New(cfg)
	for i := uint16(0); i < 4; i++ {
		feedSegs(tr, []seg{{ms: int64(i), fromClient: true, flags: S, seq: isnC, cport: 40000 + i}}, false)
	}
	if tr.Len() != 2 {
		t.Fatalf("len %d", tr.Len())
	}
	var rows []observe.TCPConnection
	tr.Expire(0, func(_ uint16, r *observe.TCPConnection) { rows = append(rows, *r) })
	st := tr.Stats()
	if len(rows) != 1 || rows[0].ClientPort != 40000 || st.Evicted != 2 || st.Dropped != 1 {
		t.Fatalf("rows %d stats %+v", len(rows), st)
	}
	rows = flushAll(tr)
	if len(rows) != 2 || rows[0].ClientPort != 40002 || rows[1].ClientPort != 40003 {
		t.Fatalf("flushed %+v", rows)
	}
	// a closing connection is evicted before an older established one
	tr = New(cfg)
	feedSegs(tr, handshake(), false)
	feedSegs(tr, []seg{{ms: 10, fromClient: true, flags: S, seq: isnC, cport: 40001},
		{ms: 11, flags: RA, ack: isnC + 1, cport: 40001},
		{ms: 12, fromClient: true, flags: S, seq: isnC, cport: 40002}}, false)
	rows = nil
	tr.Expire(0, func(_ uint16, r *observe.TCPConnection) { rows = append(rows, *r) })
	if len(rows) != 1 || rows[0].ConnState != StateREJ {
		t.Fatalf("evicted %+v", rows)
	}
}

// TestConnPages: a table of MaxConns 200 holds its connections in a page
// of connPage (128) and one cut at 200: 300 SYNs of different client
// ports leave the last 200 followed (the first 100 evicted, oldest first:
// TestEviction's rule), every one with its own port, flushed in ConnID
// order, and no slot beyond MaxConns made.
func TestConnPages(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns, cfg.MaxPending = 200, 300
	tr := New(cfg)
	for i := uint16(0); i < 300; i++ {
		feedSegs(tr, []seg{{ms: int64(i), fromClient: true, flags: S, seq: isnC, cport: 40000 + i}}, false)
	}
	slots := 0
	for _, p := range tr.conns {
		slots += len(p)
	}
	if tr.Len() != 200 || tr.Stats().Evicted != 100 || slots != 200 {
		t.Fatalf("len %d, evicted %d, slots %d; want 200, 100, 200", tr.Len(), tr.Stats().Evicted, slots)
	}
	var evicted []observe.TCPConnection
	tr.Expire(0, func(_ uint16, r *observe.TCPConnection) { evicted = append(evicted, *r) })
	rows := flushAll(tr)
	if len(evicted) != 100 || len(rows) != 200 {
		t.Fatalf("%d evicted rows, %d flushed; want 100, 200", len(evicted), len(rows))
	}
	for i, r := range append(evicted, rows...) {
		if r.ClientPort != 40000+uint16(i) || r.ConnState != StateS0 {
			t.Fatalf("row %d: port %d state %s, want %d S0", i, r.ClientPort, r.ConnState, 40000+i)
		}
	}
}

// TestBoundaryOnly (design 3.6): only SYN, FIN and RST are analysed; sizes
// come from the boundary sequence numbers, modulo 2^32 above 4 GiB.
func TestBoundaryOnly(t *testing.T) {
	tr := New(DefaultConfig())
	segs := append(append([]seg{}, handshake()...),
		seg{ms: 3, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, len: 100}, // skipped
		// 5 GiB + 100 B later: client FIN
		seg{ms: 9000, fromClient: true, flags: FA, seq: isnC + 1 + 100, ack: isnS + 1},
		seg{ms: 9001, flags: FA, seq: isnS + 1 + 7, ack: isnC + 102})
	feedSegs(tr, segs, true)
	rows := flushAll(tr)
	r := rows[0]
	if r.ClientPayloadBytes != 100 || r.ServerPayloadBytes != 7 || !r.BoundaryOnly || r.ClientPackets != 2 ||
		r.ServerPackets != 2 || r.History != "ShFf" || r.ConnState != StateSF || r.HandshakeSynackAckMs != nil ||
		!msEq(r.HandshakeSynSynackMs, 1000, 0.001) {
		t.Errorf("%+v", r)
	}
	if st := tr.Stats(); st.BoundarySkipped != 2 {
		t.Errorf("stats %+v", st)
	}
	// 4 GiB + 100 B: reported modulo 2^32 (design 1.4: "provided less than 4 GBytes")
	tr = New(DefaultConfig())
	feedSegs(tr, []seg{{fromClient: true, flags: S, seq: isnC},
		{ms: 1, fromClient: true, flags: FA, seq: isnC + 1 + 100}}, true)
	if r := flushAll(tr)[0]; r.ClientPayloadBytes != 100 {
		t.Errorf("payload %d", r.ClientPayloadBytes)
	}
}

// TestBoundaryOnlyLab runs lab/tcp-mix A.pcap through the boundary-only
// mode: payload bytes equal the lab's (full analysis) for the 7 connections
// closed by FINs; the connection aborted by the client's RST gets its
// server size from the ACK of the client's RST: 568,360 B of body (curl's
// size_download, summary.json) + 205 B of HTTP header (f-2M.bin's
// 2,097,357 - 2,097,152).
func TestBoundaryOnlyLab(t *testing.T) {
	dir := samplesDir(t) + "/lab/tcp-mix"
	truth := loadLabTruth(t, dir)
	rows, tr := run(t, DefaultConfig(), readDissections(t, dir+"/A.pcap"), true)
	if len(rows) != 8 {
		t.Fatalf("%d rows", len(rows))
	}
	by := map[string]*observe.TCPConnection{}
	for i := range rows {
		by[endpoint(rows[i].ClientAddr, rows[i].ClientPort)] = &rows[i]
	}
	for i, at := range truth {
		w := at["A"]
		r := by[w.Client]
		if r == nil {
			t.Fatalf("conn %d missing", i+1)
		}
		wantServer := w.ServerPayload
		if w.RstFromClient > 0 {
			wantServer = 568360 + 205
		}
		if r.ClientPayloadBytes != w.ClientPayload || r.ServerPayloadBytes != wantServer || !r.BoundaryOnly || r.ClientMissingBytes != 0 {
			t.Errorf("conn %d: payload %d/%d, want %d/%d", i+1, r.ClientPayloadBytes, r.ServerPayloadBytes, w.ClientPayload, wantServer)
		}
		if w.SynToSynackUs != nil && !msEq(r.HandshakeSynSynackMs, *w.SynToSynackUs, 1) {
			t.Errorf("conn %d: handshake %v", i+1, fmtMs(r.HandshakeSynSynackMs))
		}
	}
	// 6436 packets (summary.json captures.A.captured), 90 with SYN/FIN/RST
	if st := tr.Stats(); st.Packets != 90 || st.BoundarySkipped != 6436-90 {
		t.Errorf("stats %+v", st)
	}
}

// TestWrapAndAcks checks 64-bit positions across a raw sequence wrap and
// the final ACK of edge case 06 (server ACK 4,294,008,146).
func TestWrapAndAcks(t *testing.T) {
	ds := readDissections(t, samplesDir(t)+"/edge/06-tcp-seq-wrap-holes/input.pcap")
	tr := New(DefaultConfig())
	for i := range ds {
		tr.Packet(&ds[i], "x", false)
	}
	c := tr.conn(0)
	if c.s[0].finPos != 4_294_008_145 || c.s[0].ackHigh != 4_294_008_146 || len(c.s[0].holes) != 2 {
		t.Errorf("FIN position %d, ACK %d, holes %v", c.s[0].finPos, c.s[0].ackHigh, c.s[0].holes)
	}
}

// TestOutOfOrder: a segment filling a hole within the initial RTT is
// out-of-order, later it is a retransmission (Wireshark's rule).
func TestOutOfOrder(t *testing.T) {
	mk := func(gapMs int64) observe.TCPConnection {
		segs := append(append([]seg{}, handshake()...),
			seg{ms: 10, fromClient: true, flags: A, seq: isnC + 101, ack: isnS + 1, len: 100},
			seg{ms: 10 + gapMs, fromClient: true, flags: A, seq: isnC + 1, ack: isnS + 1, len: 100})
		return one(t, segs)
	}
	// initial RTT = SYN to the handshake ACK = 2 ms
	if r := mk(1); r.ClientOutOfOrder != 1 || r.ClientRetransmissions != 0 || r.ClientPayloadBytes != 200 || r.ClientMissingBytes != 0 {
		t.Errorf("1 ms later: %+v", r)
	}
	if r := mk(50); r.ClientOutOfOrder != 0 || r.ClientRetransmissions != 1 || r.ClientMissingBytes != 0 {
		t.Errorf("50 ms later: %+v", r)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []func(*Config){
		func(c *Config) { c.MaxConns = 0 },
		func(c *Config) { c.IdleTimeoutNs = 0 },
		func(c *Config) { c.HandshakeTimeoutNs = -1 },
		func(c *Config) { c.CloseDelayNs = 0 },
		func(c *Config) { c.MaxPending = 0 },
	} {
		cfg := DefaultConfig()
		c(&cfg)
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
		if tr := New(cfg); tr.cfg.Validate() != nil {
			t.Errorf("New kept invalid %+v", tr.cfg)
		}
	}
}
