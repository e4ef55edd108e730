package collector

import (
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestTooOldRefusedEvent: a keyed collector refuses a frame built more
// than the age bound before the newest of its probe run, sends no ack,
// and counts it by cause in the interval's pdu_refused event (issue 13.3).
func TestTooOldRefusedEvent(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("too old")
	if err := c.SetKeys(map[uint16][]byte{3: secret}); err != nil {
		t.Fatal(err)
	}
	k, _ := pdu.NewKey(secret)
	frame := func(id uint32, buildNs int64) []byte {
		return k.AppendFrame(nil, pdu.Header{Type: pdu.TypeCounters, ProbeID: 3, Epoch: 9, ID: id, BuildTimeNs: buildNs}, nil)
	}
	const t0 = int64(1_600_000_000e9)
	if c.HandleAt(t0, frame(1, t0)) == nil || c.HandleAt(t0, frame(2, t0+800e9)) == nil {
		t.Fatal("fresh frames not acknowledged")
	}
	before := c.Stats().Receiver
	if ack := c.HandleAt(t0, frame(1, t0)); ack != nil {
		t.Fatal("a frame 800 s older than the newest was acknowledged")
	}
	after := c.Stats().Receiver
	if after.TooOld != 1 || after.Refused() != 1 {
		t.Fatalf("receiver %+v", after)
	}
	c.ReportRefused(t0+1e9, rxDelta(after, before)) // as the server's tick
	var found bool
	for _, e := range c.Drain().Events {
		if e.Kind == "pdu_refused" {
			found = e.Count == 1 && strings.Contains(e.Message, "1 too old")
			if !found {
				t.Errorf("event %+v", e)
			}
		}
	}
	if !found {
		t.Error("no pdu_refused event")
	}
}
