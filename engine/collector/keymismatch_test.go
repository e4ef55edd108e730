package collector

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestKeyMismatchEvent: with keys, a probe started with the probes list
// in another order numbers itself by its place in that list, so its
// frames claim another probe's wire id under its own key: each is refused
// (BadAuth), which alone said "bad or missing HMAC tag". The collector
// now finds the key that verifies them and says which probe numbers
// itself otherwise, once, in a probe_key_mismatch event (closing note of
// 2026-12-05: "a reordered probes list shows only as pdu_refused").
func TestKeyMismatchEvent(t *testing.T) {
	cfg, err := config.Parse([]byte("probes: [{name: A, key: secret-a}, {name: B, key: secret-b}]\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetKeys(cfg.ProbeKeys()); err != nil {
		t.Fatal(err)
	}
	// Probe B with the list [B, A]: wire id 1, B's key.
	kb, _ := pdu.NewKey([]byte("secret-b"))
	var frames [][]byte
	for id := uint32(1); id <= 20; id++ {
		frames = append(frames, kb.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 1, Epoch: 9, ID: id, BuildTimeNs: 1e18}, nil))
	}
	tr := &fakeTransport{frames: frames}
	sink := &recordSink{}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	time.Sleep(100 * time.Millisecond) // several ticks: the event is said once
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range sink.rows.Events {
		if e.Kind == "probe_key_mismatch" {
			msgs = append(msgs, e.Message)
		}
	}
	want := "frames claiming wire id 1 (A in this collector's probes list) carry the HMAC key of B (wire id 2)"
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], want) {
		t.Errorf("probe_key_mismatch events %q, want one starting %q", msgs, want)
	}
	if st := srv.Stats().Receiver; st.BadAuth != 20 || tr.acks != 0 {
		t.Errorf("%d frames refused for their tag, %d acknowledged; want 20 and 0", st.BadAuth, tr.acks)
	}
}
