package collector

import (
	"net/netip"
	"strings"
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
// acknowledgements with), and said in one probe_key_previous event with
// their count; the probe's next run must use the new key. The clock is
// the server's Now, set by the test.
func TestSwitchKeepsPreviousKey(t *testing.T) {
	parse := func(y string) *config.Config {
		cfg, err := config.Parse([]byte(y), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	before, after := parse("probes: [{name: A, key: old-key}]\n"), parse("probes: [{name: A, key: new-key}]\n")
	c, err := New(before, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeys(before.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	sink := &recordSink{}
	srv := NewServer(c, &fakeTransport{}, sink, ServerOptions{WriteEvery: time.Hour, Now: func() time.Time { return now }})
	oldKey, _ := pdu.NewKey([]byte("old-key"))
	newKey, _ := pdu.NewKey([]byte("new-key"))
	run := now.Add(-time.Second).UnixNano() // the probe's run of the version that stops
	frame := func(k *pdu.Key, epoch int64, id uint32) []byte {
		return k.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 1, Epoch: epoch, ID: id, BuildTimeNs: now.UnixNano()}, nil)
	}
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	if ack := srv.handle(frame(oldKey, run, 1), from); oldKey.Verify(ack) != nil {
		t.Fatalf("before the switch: ack %x", ack)
	}
	if err := srv.Switch(now.UnixNano(), after, before.Hash(), []uint16{1}, after.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	for id := uint32(2); id <= 4; id++ { // the run's last PDUs
		if ack := srv.handle(frame(oldKey, run, id), from); ack == nil || oldKey.Verify(ack) != nil {
			t.Errorf("PDU %d of the run begun before the switch, under its key: ack %x (want one tagged with that key)", id, ack)
		}
	}
	next := now.UnixNano() // the probe's next run, under the new key only
	if ack := srv.handle(frame(oldKey, next, 1), from); ack != nil {
		t.Errorf("the run begun after the switch under the old key: acknowledged")
	}
	if ack := srv.handle(frame(newKey, next, 1), from); newKey.Verify(ack) != nil {
		t.Errorf("the run begun after the switch under the new key: ack %x", ack)
	}
	srv.tick(now, true)
	msgs := eventMessages(sink.rows.Events, "probe_key_previous")
	want := "3 frames accepted under their probe's previous HMAC key"
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], want) {
		t.Errorf("probe_key_previous events %q, want one starting %q", msgs, want)
	}
	for _, e := range sink.rows.Events {
		if e.Kind == "probe_key_previous" && e.Count != 3 {
			t.Errorf("probe_key_previous counts %d, want 3", e.Count)
		}
	}
	if st := srv.Stats().Receiver; st.Accepted != 5 || st.PrevKey != 3 || st.BadAuth != 1 {
		t.Errorf("%d PDUs accepted (%d under the previous key), %d refused for their tag; want 5 (3), 1", st.Accepted, st.PrevKey, st.BadAuth)
	}
}
