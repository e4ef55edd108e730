package pdu

import (
	"os"
	"runtime"
	"testing"
)

// spoolRig is a Sender whose collector is away until up is set, then a
// Receiver that acknowledges at once; it records the permanent records
// delivered fresh, in arrival order, per type.
type spoolRig struct {
	t      *testing.T
	s      *Sender
	rx     *Receiver
	up     bool
	seqs   map[Type][]uint64
	counts map[Type]int // fresh records per type
	events map[string]uint64
	nev    map[string]int
}

func newSpoolRig(t *testing.T, cfg SenderConfig) *spoolRig {
	g := &spoolRig{t: t, rx: NewReceiver(), seqs: map[Type][]uint64{}, counts: map[Type]int{}, events: map[string]uint64{}, nev: map[string]int{}}
	lb := &Loopback{Deliver: g.deliver}
	g.s = NewSender(cfg, 1, lb)
	lb.Ack = func(a []byte) { g.s.HandleAck(a) }
	g.s.SetOnEventCount(func(_ int64, _ uint8, kind, _ string, n uint64) { g.events[kind] += n; g.nev[kind]++ })
	return g
}

func (g *spoolRig) deliver(f []byte) []byte {
	if !g.up {
		return nil
	}
	ack, h, payload, fresh, err := g.rx.Handle(f)
	if err != nil {
		g.t.Fatalf("frame refused: %v", err)
	}
	if fresh && h.Type != TypeHeartbeat {
		d := Dec{B: payload}
		for !d.Done() {
			seq := d.Uvarint()
			_ = d.String()
			if Permanent(h.Type) {
				g.seqs[h.Type] = append(g.seqs[h.Type], seq)
			}
			g.counts[h.Type]++
		}
	}
	return ack
}

// settle brings the collector back and runs the channel until nothing is
// pending (or a day of probe time passed).
func (g *spoolRig) settle(now int64) {
	g.up = true
	g.s.Tick(now)
	for i := 0; g.s.Pending() > 0 && i < 100; i++ {
		now = g.s.Settle(now + 24*3600e9)
		g.s.Tick(now)
	}
	if n := g.s.Pending(); n > 0 {
		g.t.Fatalf("%d PDUs still pending; stats %+v", n, g.s.Stats())
	}
}

func retainedHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestPermanentSpool: a collector away while 1 M flow definitions (and as
// many counter records) are built. The channel's retained heap stays under
// MaxQueueBytes + MaxPermanentBytes (plus a 4 MiB allowance for the test's
// own bookkeeping), the definitions past MaxPermanentBytes wait on disk,
// and once the collector is back every one of them arrives exactly once,
// in the order built, after the hello (issue 13.5).
func TestPermanentSpool(t *testing.T) {
	const n = 1_000_000
	cfg := DefaultSenderConfig()
	cfg.SpoolDir = t.TempDir()
	g := newSpoolRig(t, cfg)
	gen := newGen(g.s)
	now := t0
	base := retainedHeap()
	var peak uint64
	gen.rec(TypeHello, now)
	for i := range n {
		now += 1e4 // 100,000 flows a second
		gen.rec(TypeFlowDef, now)
		gen.rec(TypeCounters, now)
		if i%100_000 == 99_999 {
			g.s.Tick(now)
			peak = max(peak, retainedHeap()-min(base, retainedHeap()))
		}
	}
	g.s.Flush(now)
	peak = max(peak, retainedHeap()-min(base, retainedHeap()))
	st := g.s.Stats()
	bound := uint64(DefaultMaxQueueBytes + DefaultMaxPermanentBytes + 4<<20)
	t.Logf("%d flow definitions: peak retained heap +%.1f MiB (bound %.0f MiB); permanent in memory %d kB; spooled %d PDUs, %d now (%.1f MiB, peak %.1f MiB); %d pending",
		n, float64(peak)/(1<<20), float64(bound)/(1<<20), st.PermanentBytes>>10, st.Spooled, st.SpoolPDUs, float64(st.SpoolBytes)/(1<<20), float64(st.SpoolPeakBytes)/(1<<20), g.s.Pending())
	if peak > bound {
		t.Errorf("retained heap grew by %d bytes, bound %d", peak, bound)
	}
	if st.Spooled == 0 || st.SpoolPDUs == 0 || st.PermanentBytes > DefaultMaxPermanentBytes+cfg.MaxPDUBytes+pendingCost {
		t.Errorf("spool not used as expected: %+v", st)
	}
	if st.PermanentDestroyed != 0 || st.Destroyed[TypeFlowDef] != 0 {
		t.Errorf("permanent PDUs destroyed: %+v", st)
	}
	g.settle(now)
	defs := g.seqs[TypeFlowDef]
	if len(defs) != n || len(g.seqs[TypeHello]) != 1 {
		t.Fatalf("%d flow definitions and %d hellos arrived, want %d and 1", len(defs), len(g.seqs[TypeHello]), n)
	}
	for i, seq := range defs {
		if seq != uint64(i) {
			t.Fatalf("flow definition %d arrived as number %d (out of order or twice)", seq, i)
		}
	}
	if st := g.s.Stats(); st.SpoolPDUs != 0 || st.SpoolBytes != 0 || g.s.sp.diskBytes() != 0 {
		t.Errorf("spool not emptied: %+v, %d bytes on disk", st, g.s.sp.diskBytes())
	}
	if ents, _ := os.ReadDir(cfg.SpoolDir); len(ents) != 0 {
		t.Errorf("spool left %d files in its folder", len(ents))
	}
}

// TestSpoolBound: a small spool (SpoolMaxBytes 256 kB) with the collector
// away: the oldest spooled definitions are destroyed, counted in
// Destroyed and PermanentDestroyed and in pdu_permanent_overflow events
// with their records; the hello survives; every other definition arrives
// once, in order, when the collector is back; the disk never holds more
// than the bound plus one segment.
func TestSpoolBound(t *testing.T) {
	const n = 100_000
	cfg := DefaultSenderConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.MaxPermanentBytes = 64 << 10
	cfg.SpoolMaxBytes = 256 << 10
	g := newSpoolRig(t, cfg)
	gen := newGen(g.s)
	now := t0
	gen.rec(TypeHello, now)
	var disk int64
	for range n {
		now += 1e4
		gen.rec(TypeFlowDef, now)
		if g.s.sp != nil {
			disk = max(disk, g.s.sp.diskBytes())
		}
	}
	g.s.Flush(now)
	st := g.s.Stats()
	t.Logf("destroyed %d PDUs (%d records), events count %d in %d events; spool peak %d kB, disk peak %d kB",
		st.PermanentDestroyed, st.PermanentDestroyedRecords, g.events[EventPermanentOverflow], g.nev[EventPermanentOverflow], st.SpoolPeakBytes>>10, disk>>10)
	if st.PermanentDestroyed == 0 || st.Destroyed[TypeFlowDef] != st.PermanentDestroyed || st.DestroyedRecords[TypeFlowDef] != st.PermanentDestroyedRecords {
		t.Fatalf("destroyed counts: %+v", st)
	}
	if g.events[EventPermanentOverflow] != st.PermanentDestroyedRecords {
		t.Fatalf("events count %d records, stats %d", g.events[EventPermanentOverflow], st.PermanentDestroyedRecords)
	}
	if st.SpoolPeakBytes > cfg.SpoolMaxBytes+int64(cfg.MaxPDUBytes) || disk > cfg.SpoolMaxBytes+g.s.sp.segMax+int64(cfg.MaxPDUBytes) {
		t.Fatalf("spool held %d bytes, disk %d (bound %d)", st.SpoolPeakBytes, disk, cfg.SpoolMaxBytes)
	}
	g.settle(now)
	defs := g.seqs[TypeFlowDef]
	if uint64(len(defs))+st.PermanentDestroyedRecords != n || len(g.seqs[TypeHello]) != 1 {
		t.Fatalf("%d definitions arrived + %d destroyed != %d; hellos %d", len(defs), st.PermanentDestroyedRecords, n, len(g.seqs[TypeHello]))
	}
	for i := 1; i < len(defs); i++ {
		if defs[i] <= defs[i-1] {
			t.Fatalf("definition %d after %d", defs[i], defs[i-1])
		}
	}
}

// TestNoSpool: without a spool folder, permanent PDUs past
// MaxPermanentBytes are destroyed oldest first (the hello kept), counted
// and reported, with one pdu_spool_failed warning; memory stays bounded.
func TestNoSpool(t *testing.T) {
	const n = 100_000
	cfg := DefaultSenderConfig()
	cfg.MaxPermanentBytes = 64 << 10
	g := newSpoolRig(t, cfg)
	gen := newGen(g.s)
	now := t0
	gen.rec(TypeHello, now)
	peak := 0
	for range n {
		now += 1e4
		gen.rec(TypeFlowDef, now)
		peak = max(peak, g.s.permBytes)
	}
	g.s.Flush(now)
	st := g.s.Stats()
	if g.nev[EventSpoolFailed] != 1 || st.PermanentDestroyed == 0 || g.events[EventPermanentOverflow] != st.PermanentDestroyedRecords {
		t.Fatalf("events %v %v; stats %+v", g.nev, g.events, st)
	}
	if peak > cfg.MaxPermanentBytes+permCost(cfg.MaxPDUBytes) {
		t.Fatalf("permanent memory peaked at %d, bound %d", peak, cfg.MaxPermanentBytes)
	}
	g.settle(now)
	if uint64(len(g.seqs[TypeFlowDef]))+st.PermanentDestroyedRecords != n || len(g.seqs[TypeHello]) != 1 {
		t.Fatalf("%d definitions arrived + %d destroyed != %d; hellos %d", len(g.seqs[TypeFlowDef]), st.PermanentDestroyedRecords, n, len(g.seqs[TypeHello]))
	}
}

// TestSpoolWriteFails: a spool that stops working mid-run (its files
// fail, as on a full disk) is given up: the PDUs it held are counted as
// destroyed, per type and in a pdu_permanent_overflow event, one
// pdu_spool_failed warning says so, and from then on the memory bound
// destroys; every definition is either delivered or counted.
func TestSpoolWriteFails(t *testing.T) {
	const n = 50_000
	cfg := DefaultSenderConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.MaxPermanentBytes = 64 << 10
	g := newSpoolRig(t, cfg)
	gen := newGen(g.s)
	now := t0
	gen.rec(TypeHello, now)
	for i := range n {
		now += 1e4
		gen.rec(TypeFlowDef, now)
		if i == n/2 {
			for _, sg := range g.s.sp.segs {
				sg.f.Close() // every later read or write fails
			}
		}
	}
	g.s.Flush(now)
	st := g.s.Stats()
	t.Logf("spooled %d, destroyed %d PDUs (%d records), events %v %v", st.Spooled, st.PermanentDestroyed, st.PermanentDestroyedRecords, g.nev, g.events)
	if g.nev[EventSpoolFailed] != 1 || st.PermanentDestroyed == 0 || g.events[EventPermanentOverflow] != st.PermanentDestroyedRecords {
		t.Fatalf("events %v %v; stats %+v", g.nev, g.events, st)
	}
	g.settle(now)
	if uint64(len(g.seqs[TypeFlowDef]))+st.PermanentDestroyedRecords != n || len(g.seqs[TypeHello]) != 1 {
		t.Fatalf("%d definitions arrived + %d destroyed != %d; hellos %d", len(g.seqs[TypeFlowDef]), st.PermanentDestroyedRecords, n, len(g.seqs[TypeHello]))
	}
}

// TestSpoolKeyedLate: a keyed channel whose collector is away for two
// hours of probe time (ten times the age bound, MaxFrameAgeNs) while flow
// definitions spill to the spool and counters keep coming: once it is
// back, every definition is accepted (permanent frames are exempt from the
// age bound, and a spooled one is sealed, id and tag, when loaded), none
// refused, each once, the spooled ones in order.
func TestSpoolKeyedLate(t *testing.T) {
	secret := []byte("spool-secret")
	cfg := DefaultSenderConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.MaxPermanentBytes = 64 << 10
	cfg.Key = secret
	g := newSpoolRig(t, cfg)
	if err := g.rx.SetKeys(map[uint16][]byte{1: secret}); err != nil {
		t.Fatal(err)
	}
	gen := newGen(g.s)
	now := t0
	gen.rec(TypeHello, now)
	const n = 20_000
	for i := range n {
		now += 360e6 // 2 hours in all
		gen.rec(TypeFlowDef, now)
		if i%10 == 0 {
			gen.rec(TypeCounters, now)
		}
		g.s.Tick(now)
	}
	if st := g.s.Stats(); st.Spooled == 0 || now-t0 < 5*DefaultMaxAgeNs {
		t.Fatalf("not spooled, or not long enough: %+v", st)
	}
	g.settle(now)
	defs := g.seqs[TypeFlowDef]
	seen := map[uint64]bool{}
	for _, seq := range defs {
		seen[seq] = true
	}
	if len(defs) != n || len(seen) != n {
		t.Fatalf("%d definitions arrived, %d distinct, want %d; receiver %+v", len(defs), len(seen), n, g.rx.Stats())
	}
	// The ones in memory are retried each on its own timer in long retry
	// mode, so the first through after the break may be any of them; the
	// spooled ones (all but the first ~1,700: 64 KiB of PDUs) come back
	// in order.
	for i := n - 15_000; i < n; i++ {
		if defs[i] <= defs[i-1] {
			t.Fatalf("definition %d arrived after %d", defs[i], defs[i-1])
		}
	}
	if rs := g.rx.Stats(); rs.TooOld != 0 || rs.BadAuth != 0 {
		t.Fatalf("receiver refused frames: %+v", rs)
	}
}
