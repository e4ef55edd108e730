package pdu

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestAuth: tagged PDUs and acks under the probe's key; altered frames,
// wrong keys, untagged frames and unknown probes are counted and never
// acknowledged.
func TestAuth(t *testing.T) {
	keys := map[uint16][]byte{1: []byte("secret-of-probe-1"), 2: []byte("secret-of-probe-2")}
	coll := newColl(t)
	if err := coll.rx.SetKeys(keys); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultSenderConfig()
	cfg.Key = keys[1]
	var frames [][]byte
	lb := &Loopback{Deliver: func(f []byte) []byte { frames = append(frames, bytes.Clone(f)); return coll.handle(f) }}
	s := NewSender(cfg, 1, lb)
	var acks [][]byte
	lb.Ack = func(a []byte) { acks = append(acks, bytes.Clone(a)); s.HandleAck(a) }
	g := newGen(s)
	for now := t0; now < t0+5e9; now += 100e6 {
		g.rec(TypeCounters, now)
		s.Tick(now)
	}
	s.Flush(t0 + 5e9)
	if s.Pending() != 0 || len(acks) == 0 || uint64(len(coll.recs[TypeCounters])) != g.n[TypeCounters] {
		t.Fatalf("authenticated channel: %d pending, %d acks", s.Pending(), len(acks))
	}
	k1, _ := NewKey(keys[1])
	for _, a := range acks {
		if h, _, _ := ParseFrame(a); h.Flags&FlagHMAC == 0 || k1.Verify(a) != nil {
			t.Fatal("ack not tagged with the probe's key")
		}
	}
	f := frames[0]
	if len(f) > cfg.MaxPDUBytes {
		t.Errorf("tagged frame %d bytes > %d", len(f), cfg.MaxPDUBytes)
	}
	reject := func(name string, frame []byte, want error) {
		t.Helper()
		ack, _, _, fresh, err := coll.rx.Handle(frame)
		if ack != nil || fresh || !errors.Is(err, want) {
			t.Errorf("%s: ack %v fresh %v err %v, want %v", name, ack != nil, fresh, err, want)
		}
	}
	// Any header or payload byte altered, CRC made right again: the tag fails.
	n := len(f) - TagLen - TrailerLen
	for i := 0; i < n; i++ {
		if i == 4 || i == 28 || i == 29 { // flags and length: structural, caught by ParseFrame
			continue
		}
		g := bytes.Clone(f)
		g[i] ^= 0x40
		g = fixCRC(g)
		_, _, _, _, err := coll.rx.Handle(g)
		if err == nil {
			t.Fatalf("byte %d altered: accepted", i)
		}
	}
	before := coll.rx.Stats()
	k2, _ := NewKey([]byte("wrong"))
	h, p, _ := ParseFrame(f)
	reject("wrong key", k2.AppendFrame(nil, h, p), ErrAuth)
	reject("untagged", AppendFrame(nil, h, p), ErrAuth)
	h9 := h
	h9.ProbeID = 9
	reject("unknown probe", k1.AppendFrame(nil, h9, p), ErrUnknownProbe)
	h2 := h
	h2.ProbeID = 2
	reject("probe 2 with probe 1's key", k1.AppendFrame(nil, h2, p), ErrAuth)
	after := coll.rx.Stats()
	if after.Unknown != before.Unknown+1 || after.BadAuth < before.BadAuth+3 || after.Accepted != before.Accepted {
		t.Errorf("stats before %+v after %+v", before, after)
	}
	// The sender refuses untagged and wrongly tagged acks.
	bad := s.Stats().BadAcks
	s.HandleAck(AppendAck(nil, 1, 0, 1))
	s.HandleAck(k2.AppendAck(nil, 1, 0, 1))
	if s.Stats().BadAcks != bad+2 {
		t.Errorf("bad acks %d, want %d", s.Stats().BadAcks, bad+2)
	}
	if _, err := NewKey(nil); !errors.Is(err, ErrKey) {
		t.Error("empty key accepted")
	}
	if err := NewReceiver().SetKeys(map[uint16][]byte{1: {}}); !errors.Is(err, ErrKey) {
		t.Error("empty key accepted by SetKeys")
	}
}

func fixCRC(f []byte) []byte {
	n := len(f) - TrailerLen
	return binary.BigEndian.AppendUint32(f[:n], crc32.Checksum(f[:n], castagnoli))
}

// TestReceiverWindowBound: a probe skipping ids cannot grow the window
// past MaxWindow bits.
func TestReceiverWindowBound(t *testing.T) {
	r := NewReceiver()
	for id := uint32(2); id < 2*MaxWindow+10; id += 2 {
		r.Handle(AppendFrame(nil, Header{Type: TypeEvents, ProbeID: 1, ID: id}, nil))
	}
	w := r.probes[1].wins[0]
	if len(w.bits) != MaxWindow/64 || w.nseen > MaxWindow || r.Stats().Skipped == 0 {
		t.Fatalf("window %d ids, stats %+v", w.nseen, r.Stats())
	}
	// A heartbeat's watermark closes the window.
	r.Handle(AppendFrame(nil, Header{Type: TypeHeartbeat, ProbeID: 1}, []byte{0, 4, 0, 0}))
	if w.nseen != 0 || w.low != 1<<18-1 || r.Stats().Skipped+r.Stats().Accepted != 1<<18-1 {
		t.Fatalf("after watermark: %d ids, low %d, %+v", w.nseen, w.low, r.Stats())
	}
}

// TestUDPRoundTrip: a Sender over UDP to a Receiver on 127.0.0.1.
func TestUDPRoundTrip(t *testing.T) {
	coll, link, stop := udpCollector(t)
	cfg := DefaultSenderConfig()
	cfg.MinGapNs = 1e6
	s := NewSender(cfg, 5, link)
	g := newGen(s)
	now := t0
	for range 400 {
		g.rec(TypeCounters, now)
	}
	s.Flush(now)
	// Probe time advances 10 ms per real millisecond (retries, if the
	// acks come late, are de-duplicated) until every PDU is acknowledged;
	// a minute guards against a hang, not a timing (it was 5 s: a loaded
	// machine).
	deadline := time.Now().Add(time.Minute)
	for s.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		now += 10e6
		link.Poll(s, now)
		s.Tick(now)
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Serve returned %v", err)
	}
	st := s.Stats()
	if s.Pending() != 0 || st.Acked != st.PDUs[TypeCounters] || uint64(len(coll.recs[TypeCounters])) != g.n[TypeCounters] {
		t.Fatalf("UDP: %d pending, %+v, %d records of %d", s.Pending(), st, len(coll.recs[TypeCounters]), g.n[TypeCounters])
	}
	if us := link.Stats(); us.Sent < st.PDUs[TypeCounters] || us.Received < st.Acked {
		t.Errorf("link stats %+v", us)
	}
}

// FuzzParseAck: no panic; an accepted ack re-encodes to itself.
func FuzzParseAck(f *testing.F) {
	f.Add(AppendAck(nil, 1, 7, 2))
	k, _ := NewKey([]byte("fuzz"))
	f.Add(k.AppendAck(nil, 1, 7, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		probe, epoch, id, err := ParseAck(b)
		if err != nil {
			return
		}
		h, _, _ := ParseFrame(b)
		want := appendAck(nil, probe, epoch, id, h.BuildTimeNs, nil)
		if h.Flags&FlagHMAC != 0 {
			want = appendAck(nil, probe, epoch, id, h.BuildTimeNs, k)
			if k.Verify(b) != nil {
				return // a tag under another key
			}
		}
		if !bytes.Equal(want, b) {
			t.Fatalf("ack %d/%d re-encodes differently", probe, id)
		}
	})
}

// FuzzAuth: the collector's authenticated path never panics and accepts
// only frames tagged under the probe's key; any change to an accepted
// frame is refused.
func FuzzAuth(f *testing.F) {
	k, _ := NewKey([]byte("fuzz-key"))
	f.Add(k.AppendFrame(nil, Header{Type: TypeCounters, ProbeID: 1, ID: 1, BuildTimeNs: 5}, []byte{1, 2, 3}), uint16(3))
	f.Add(k.AppendFrame(nil, Header{Type: TypeHeartbeat, ProbeID: 1}, []byte{0, 0, 0, 9}), uint16(0))
	f.Add(AppendFrame(nil, Header{Type: TypeCounters, ProbeID: 1, ID: 1}, nil), uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, flip uint16) {
		r := NewReceiver()
		r.SetKeys(map[uint16][]byte{1: []byte("fuzz-key")})
		_, h, _, _, err := r.Handle(b)
		if err != nil {
			return
		}
		if h.ProbeID != 1 || k.Verify(b) != nil {
			t.Fatal("accepted a frame not tagged under probe 1's key")
		}
		g := bytes.Clone(b)
		g[int(flip)%len(g)] ^= 1 << (flip % 8)
		if _, _, _, _, err := newKeyedReceiver(t, "fuzz-key").Handle(g); err == nil {
			t.Fatal("altered frame accepted")
		}
	})
}

func newKeyedReceiver(t *testing.T, key string) *Receiver {
	r := NewReceiver()
	if err := r.SetKeys(map[uint16][]byte{1: []byte(key)}); err != nil {
		t.Fatal(err)
	}
	return r
}

// udpCollector serves a test collector on 127.0.0.1 over UDP and dials
// it: stop ends the serving and returns what Serve returned; the link is
// closed with the test.
func udpCollector(t *testing.T) (*testColl, *UDPLink, func() error) {
	t.Helper()
	ln, err := ListenUDP("127.0.0.1:0")
	if err != nil {
		testenv.Skipf(t, "no UDP on loopback: %v", err)
	}
	coll := newColl(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ln.Serve(ctx, func(f []byte, _ netip.AddrPort) []byte { return coll.handle(f) }) }()
	link, err := DialUDP(ln.Addr().String())
	if err != nil {
		cancel()
		<-served
		t.Fatal(err)
	}
	t.Cleanup(func() { link.Close() })
	return coll, link, func() error { cancel(); return <-served }
}
