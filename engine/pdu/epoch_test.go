package pdu

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"hash/crc32"
	"testing"
)

func frameOf(probe uint16, epoch int64, id uint32) []byte {
	return AppendFrame(nil, Header{Type: TypeCounters, ProbeID: probe, Epoch: epoch, ID: id, BuildTimeNs: t0}, []byte{1})
}

// TestProbeRestartNewWindow: a probe that restarts numbers its PDUs from 1
// again under a new epoch; the receiver accepts them as new (issue 13.1),
// reports the restart and offsets the run's ids, keeps the old run open
// for its late PDUs, and refuses frames of a run older than every open one.
func TestProbeRestartNewWindow(t *testing.T) {
	r := NewReceiver()
	accept := func(epoch int64, id uint32, nowNs int64) (Verdict, error) {
		t.Helper()
		f := frameOf(1, epoch, id)
		h, p, err := r.Check(f)
		if err != nil {
			t.Fatal(err)
		}
		return r.Accept(nowNs, h, p, len(f))
	}
	for id := uint32(1); id <= 5; id++ {
		if v, err := accept(100, id, t0); err != nil || !v.Fresh || v.Restart || v.Base != 0 {
			t.Fatalf("first run PDU %d: %+v %v", id, v, err)
		}
	}
	v, err := accept(200, 1, t0+1e9)
	if err != nil || !v.Fresh || !v.Restart || v.Base != 1<<48 {
		t.Fatalf("second run PDU 1: %+v %v", v, err)
	}
	if _, p, _ := ParseFrame(v.Ack); len(p) != 8 {
		t.Fatal("no ack")
	}
	if _, epoch, id, _ := ParseAck(v.Ack); epoch != 200 || id != 1 {
		t.Fatalf("ack of epoch %d id %d", epoch, id)
	}
	// A late PDU of the first run is still accepted once, within the grace.
	if v, err := accept(100, 6, t0+2e9); err != nil || !v.Fresh || v.Base != 0 {
		t.Fatalf("late first-run PDU: %+v %v", v, err)
	}
	if v, _ := accept(100, 6, t0+2e9); v.Fresh {
		t.Fatal("late first-run PDU accepted twice")
	}
	// An epoch between the two, never seen: refused.
	if _, err := accept(150, 1, t0+2e9); !errors.Is(err, ErrClosedEpoch) {
		t.Fatalf("unknown older epoch: %v", err)
	}
	// The first run closes after the grace without frames; its frames are refused.
	r.Liveness(t0+2e9+DefaultEpochGraceNs, 30e9, func(uint16, int64, bool) {})
	if _, err := accept(100, 7, t0+2e9+DefaultEpochGraceNs); !errors.Is(err, ErrClosedEpoch) {
		t.Fatalf("frame of a closed run: %v", err)
	}
	// More than MaxEpochs runs: the oldest open ones close.
	for e := int64(300); e < 300+MaxEpochs+1; e++ {
		if _, err := accept(e, 1, t0+3e9); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := accept(200, 2, t0+3e9); !errors.Is(err, ErrClosedEpoch) {
		t.Fatalf("run beyond MaxEpochs still open: %v", err)
	}
	st := r.Stats()
	if st.Restarts != 1+MaxEpochs+1 || st.ClosedEpoch != 3 || st.EpochsClosed < 2 || len(r.probes[1].wins) != MaxEpochs {
		t.Fatalf("stats %+v, %d open runs", st, len(r.probes[1].wins))
	}
}

// TestRefusedCounters: each refused frame is counted once, by cause; a
// version 1 frame (22-byte header) is told apart as OldVersion.
func TestRefusedCounters(t *testing.T) {
	r := NewReceiver()
	r.SetProbes([]uint16{1})
	v1 := []byte{'T', 'M', 1, byte(TypeCounters), 0, 0, 0, 1, 0, 0, 0, 1}
	v1 = append(v1, make([]byte, 12)...)
	v1 = binary.BigEndian.AppendUint32(v1, crc32.Checksum(v1, castagnoli))
	good := frameOf(1, 5, 1)
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-1] ^= 1
	for _, f := range [][]byte{v1, []byte("hello"), badCRC, frameOf(2, 5, 1), good, good, {'T', 'M', 9}} {
		if ack, _, _, _, err := r.Handle(f); err != nil && ack != nil {
			t.Fatal("refused frame acknowledged")
		}
	}
	st := r.Stats()
	want := ReceiverStats{Frames: 7, Accepted: 1, Duplicates: 1, Bytes: uint64(len(good)), Bad: 4, BadCRC: 1, OldVersion: 2, Garbage: 1, Unknown: 1}
	if st != want || st.Refused() != 5 {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if r.Open() {
		t.Fatal("receiver with a probe list is open")
	}
}

// TestOpenReceiverBounded: open to any probe, the receiver follows at
// most MaxProbes of them; a flood of phantom probes is counted.
func TestOpenReceiverBounded(t *testing.T) {
	r := NewReceiver()
	r.MaxProbes = 8
	for p := uint16(1); p <= 100; p++ {
		r.Handle(frameOf(p, 1, 1))
	}
	if st := r.Stats(); st.Accepted != 8 || st.ProbesFull != 92 || len(r.probes) != 8 {
		t.Fatalf("stats %+v, %d probes", st, len(r.probes))
	}
}

// TestReceiverStateRoundTrip: a receiver restored from its saved state
// (through gob, as a collector checkpoint) takes every frame already
// received as a duplicate, refuses closed runs and accepts the rest once.
func TestReceiverStateRoundTrip(t *testing.T) {
	r := NewReceiver()
	for _, id := range []uint32{1, 2, 4, 7, 100} {
		r.Handle(frameOf(1, 10, id))
	}
	r.Handle(frameOf(1, 20, 1))
	r.Handle(frameOf(3, 5, 1))
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(r.State()); err != nil {
		t.Fatal(err)
	}
	var st ReceiverState
	if err := gob.NewDecoder(&buf).Decode(&st); err != nil {
		t.Fatal(err)
	}
	q := NewReceiver()
	q.SetState(st)
	for _, c := range []struct {
		epoch int64
		id    uint32
		fresh bool
	}{{10, 1, false}, {10, 4, false}, {10, 100, false}, {10, 3, true}, {10, 3, false}, {20, 1, false}, {20, 2, true}} {
		_, _, _, fresh, err := q.Handle(frameOf(1, c.epoch, c.id))
		if err != nil || fresh != c.fresh {
			t.Errorf("epoch %d id %d: fresh %v err %v, want fresh %v", c.epoch, c.id, fresh, err, c.fresh)
		}
	}
	if _, _, _, _, err := q.Handle(frameOf(1, 15, 1)); !errors.Is(err, ErrClosedEpoch) {
		t.Errorf("older unknown epoch after restore: %v", err)
	}
	if v, _ := q.Accept(t0, Header{Type: TypeCounters, ProbeID: 1, Epoch: 30, ID: 1}, nil, 0); v.Base != 2<<48 || !v.Restart {
		t.Errorf("third run after restore: %+v", v)
	}
}

// TestDuplicateRun: two probe processes under one name send under one id
// with two epochs at once (the tester's two B probes of 2026-12-05: one
// "probe connected", probe_restart events, corrupted one-way tables). A
// restart leaves the old run silent but for frames in flight; a
// superseded run that still speaks DuplicateRunNs after the newer run's
// first frame is a second probe: it is refused (ErrDuplicateRun) with
// every older run, once, and then as a closed run, while the newer run
// goes on. A frame of the old run 1 s after the restart (reordered in
// flight) is still taken, and the run's first-frame time survives a
// collector restart (ReceiverState.FirstNs).
func TestDuplicateRun(t *testing.T) {
	r := NewReceiver()
	accept := func(epoch int64, id uint32, nowNs int64) error {
		t.Helper()
		f := frameOf(2, epoch, id)
		h, p, err := r.Check(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Accept(nowNs, h, p, len(f))
		return err
	}
	for _, c := range []struct {
		epoch int64
		id    uint32
		nowNs int64
		want  error
	}{
		{100, 1, t0, nil},
		{200, 1, t0 + 1e9, nil},   // the second process starts: a "restart"
		{100, 2, t0 + 2e9, nil},   // 1 s after: could be in flight
		{200, 2, t0 + 2.5e9, nil}, // the newer run goes on
	} {
		if err := accept(c.epoch, c.id, c.nowNs); err != c.want {
			t.Fatalf("epoch %d id %d at +%d ms: %v, want %v", c.epoch, c.id, (c.nowNs-t0)/1e6, err, c.want)
		}
	}
	// A collector restart in between: the state keeps the newer run's first frame time.
	q := NewReceiver()
	q.SetState(r.State())
	r = q
	for _, c := range []struct {
		epoch int64
		id    uint32
		nowNs int64
		want  error
	}{
		{100, 3, t0 + 3e9, ErrDuplicateRun}, // 2 s after the newer run began: two probes
		{100, 4, t0 + 4e9, ErrClosedEpoch},
		{200, 3, t0 + 4e9, nil},
	} {
		if err := accept(c.epoch, c.id, c.nowNs); err != c.want {
			t.Fatalf("epoch %d id %d at +%d ms: %v, want %v", c.epoch, c.id, (c.nowNs-t0)/1e6, err, c.want)
		}
	}
	if e, _ := r.CurrentEpoch(2); e != 200 || len(r.probes[2].wins) != 1 || r.Stats().ClosedEpoch != 2 || r.Stats().Accepted != 5 {
		t.Errorf("current epoch %d, %d open runs, stats %+v; want 200, 1, 2 closed-epoch refusals, 5 accepted", e, len(r.probes[2].wins), r.Stats())
	}
}
