package probe

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestFinalUpdateOnce: at the end of a run every flow's totals go to the
// collector once, in its final update (pdu.EndFinal): Close builds as
// many flow updates as the table holds flows. The flows active in the
// last interval had their totals sent twice, the interval's report (Ended
// 0) and then the final update, the same packets, bytes and last seen: on
// the 5M corpus 88 k of the run's 397 k flow updates, 3 % of its PDU
// bytes, all decoded by the collector after the last packet (issue 14).
func TestFinalUpdateOnce(t *testing.T) {
	cfg, items := framesInput(t)
	p, err := New(Identity{Name: "p", Interfaces: []string{"if0"}}, cfg, []Channel{{Link: dropLink{}, Config: pdu.DefaultSenderConfig()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.tick {
			p.Tick(it.m.TimeNs)
		} else {
			p.Packet(it.data, it.m)
		}
	}
	updates := func() uint64 { return p.Senders()[0].Stats().Records[pdu.TypeFlowUpdate] }
	before, flows := updates(), p.flows.Len()
	p.Close()
	if n := updates() - before; flows == 0 || n != uint64(flows) {
		t.Errorf("Close built %d flow updates for the %d flows of the table, want one each", n, flows)
	}
}
