package collector

import (
	"bytes"
	"maps"
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestSwitchKeepsPreviousKey: a collector switch-over that changes a
// probe's key, taken before the probe's (TestProbeLiveSwitchKeyOnly
// under load, 2026-12-06). The last PDUs of the probe's run begun under
// the old version, signed with its old key, came after the switch and
// were refused (bad tag): never acknowledged, lost, and the probe's own
// switch waited for them its whole --linger. They are now accepted,
// acknowledged with the old key (the one the probe's run checks
// acknowledgements with), and said in one probe_key_previous event per
// probe, which names it, with its count (before, one event gave the total
// of every probe: 4 here); the probe's next run must use the new key. The
// clock is the server's Now, set by the test.
func TestSwitchKeepsPreviousKey(t *testing.T) {
	g := newGraceRig(t)
	srv, sink := g.server(g.c)
	for id := uint32(2); id <= 4; id++ { // A's run's last PDUs
		if ack := srv.handle(g.frame(g.oldA, g.idA, g.run, id), g.from); ack == nil || g.oldA.Verify(ack) != nil {
			t.Errorf("PDU %d of the run begun before the switch, under its key: ack %x (want one tagged with that key)", id, ack)
		}
	}
	if ack := srv.handle(g.frame(g.oldB, g.idB, g.run, 2), g.from); ack == nil || g.oldB.Verify(ack) != nil {
		t.Errorf("B's last PDU under its previous key: ack %x", ack)
	}
	next := g.now.UnixNano() // the probe's next run, under the new key only
	if ack := srv.handle(g.frame(g.oldA, g.idA, next, 1), g.from); ack != nil {
		t.Errorf("the run begun after the switch under the old key: acknowledged")
	}
	if ack := srv.handle(g.frame(g.newA, g.idA, next, 1), g.from); g.newA.Verify(ack) != nil {
		t.Errorf("the run begun after the switch under the new key: ack %x", ack)
	}
	srv.tick(g.now, true)
	want := map[string]uint64{
		"probe A (wire id 1): 3 frames accepted under its previous HMAC key: frames of its runs begun before the key change, within 2m0s of it (its later runs must use the new key)": 3,
		"probe B (wire id 2): 1 frame accepted under its previous HMAC key: frame of its runs begun before the key change, within 2m0s of it (its later runs must use the new key)":   1,
	}
	got := map[string]uint64{}
	for _, e := range sink.rows.Events {
		if e.Kind == "probe_key_previous" {
			got[e.Message] += e.Count
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("probe_key_previous events (message: count) %v, want %v", got, want)
	}
	if st := srv.Stats().Receiver; st.Accepted != 7 || st.PrevKey != 4 || st.BadAuth != 1 {
		t.Errorf("%d PDUs accepted (%d under the previous key), %d refused for their tag; want 7 (4), 1", st.Accepted, st.PrevKey, st.BadAuth)
	}
}

// TestRestartKeepsPreviousKey: a collector restarted from its checkpoint
// (the state a durable server saves at a switch-over: SaveState) 30 s
// into a key change's grace (pdu.KeyGraceNs, 120 s) keeps the probe's
// previous key to the grace's end: the last PDUs of the run begun before
// the change are accepted and acknowledged with that key until 120 s
// after the change, refused from then on. Before, the checkpoint did not
// hold the previous key: the restart ended the grace at once, and those
// PDUs were refused (lost). The checkpoint is a file of the output: the
// previous key is in it sealed under the probe's key (pdu.SealedPrevKey),
// never in clear; a collector restarted with another key for the probe
// drops it (the grace ends).
func TestRestartKeepsPreviousKey(t *testing.T) {
	g := newGraceRig(t)
	state, err := g.c.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(state, []byte("old-key-A")) {
		t.Fatal("the checkpoint holds the previous key in clear")
	}
	restart := func(cfg *config.Config) *Collector {
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetKeys(cfg.ProbeKeys()); err != nil {
			t.Fatal(err)
		}
		if err := c.RestoreState(state); err != nil {
			t.Fatal(err)
		}
		return c
	}
	srv, _ := g.server(restart(g.after))
	g.now = g.switched.Add(30 * time.Second)
	if ack := srv.handle(g.frame(g.oldA, g.idA, g.run, 2), g.from); ack == nil || g.oldA.Verify(ack) != nil {
		t.Errorf("30 s after the switch, restarted: the run's PDU under its previous key: ack %x (want one tagged with that key)", ack)
	}
	g.now = g.switched.Add(time.Duration(pdu.KeyGraceNs) - time.Nanosecond)
	if ack := srv.handle(g.frame(g.oldA, g.idA, g.run, 3), g.from); ack == nil {
		t.Errorf("1 ns before the grace's end, restarted: refused")
	}
	g.now = g.switched.Add(time.Duration(pdu.KeyGraceNs))
	if ack := srv.handle(g.frame(g.oldA, g.idA, g.run, 4), g.from); ack != nil {
		t.Errorf("at the grace's end: acknowledged")
	}
	if st := srv.Stats().Receiver; st.PrevKey != 2 {
		t.Errorf("%d frames under the previous key, want 2 (the run's PDUs 2 and 3)", st.PrevKey)
	}
	// restarted with another key for A: the sealed key does not open
	other := parseCfg(t, "probes: [{name: A, key: other-key-A}, {name: B, key: new-key-B}]\n")
	srv, _ = g.server(restart(other))
	g.now = g.switched.Add(30 * time.Second)
	if ack := srv.handle(g.frame(g.oldA, g.idA, g.run, 5), g.from); ack != nil {
		t.Errorf("restarted with another key for A: its previous key still taken")
	}
}

func parseCfg(t *testing.T, y string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(y), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// graceRig is a collector that switched from keys old-key-A, old-key-B to
// new-key-A, new-key-B at switched, while probes A and B had runs (run)
// begun a second before; each run's first PDU came before the switch.
type graceRig struct {
	t                *testing.T
	c                *Collector
	before, after    *config.Config
	oldA, oldB, newA *pdu.Key
	idA, idB         uint16
	now, switched    time.Time
	run              int64
	from             netip.AddrPort
}

func newGraceRig(t *testing.T) *graceRig {
	g := &graceRig{t: t, from: netip.MustParseAddrPort("127.0.0.1:5000"), now: time.Unix(1_700_000_000, 0)}
	g.before = parseCfg(t, "probes: [{name: A, key: old-key-A}, {name: B, key: old-key-B}]\n")
	g.after = parseCfg(t, "probes: [{name: A, key: new-key-A}, {name: B, key: new-key-B}]\n")
	g.idA, g.idB = g.before.ProbeID("A"), g.before.ProbeID("B")
	var err error
	if g.c, err = New(g.before, nil); err != nil {
		t.Fatal(err)
	}
	if err := g.c.SetKeys(g.before.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	g.oldA, _ = pdu.NewKey([]byte("old-key-A"))
	g.oldB, _ = pdu.NewKey([]byte("old-key-B"))
	g.newA, _ = pdu.NewKey([]byte("new-key-A"))
	g.run = g.now.Add(-time.Second).UnixNano() // the probes' runs of the version that stops
	srv, _ := g.server(g.c)
	for _, p := range []struct {
		k  *pdu.Key
		id uint16
	}{{g.oldA, g.idA}, {g.oldB, g.idB}} {
		if ack := srv.handle(g.frame(p.k, p.id, g.run, 1), g.from); p.k.Verify(ack) != nil {
			t.Fatalf("probe %d before the switch: ack %x", p.id, ack)
		}
	}
	g.switched = g.now
	if err := srv.Switch(g.now.UnixNano(), g.after, g.before.Hash(), []uint16{g.idA, g.idB}, g.after.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	g.now = g.now.Add(time.Second)
	return g
}

// server returns a server over c on the rig's clock, and its sink.
func (g *graceRig) server(c *Collector) (*Server, *recordSink) {
	sink := &recordSink{}
	return NewServer(c, &fakeTransport{}, sink, ServerOptions{WriteEvery: time.Hour, Now: func() time.Time { return g.now }}), sink
}

// frame is PDU id of probe id's run epoch, tagged with k, built now.
func (g *graceRig) frame(k *pdu.Key, id uint16, epoch int64, n uint32) []byte {
	return k.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: id, Epoch: epoch, ID: n, BuildTimeNs: g.now.UnixNano()}, nil)
}
