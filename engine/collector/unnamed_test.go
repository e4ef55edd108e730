package collector

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestUnnamedInterfaceName: a probe whose Hello names fewer interfaces
// than it captures on (pdu.Hello.Fit drops the names past 65,457 bytes: a
// pcapng of 40,000 interfaces without names gave a Hello of if0 to if9507)
// had its other interfaces named by the bare number in the rows, "39999",
// where a replay names an interface without a name "if39999"
// (pipeline.Assign), so the probe's own snapshot and the tables
// disagreed. The collector names them "if" and the index now, whether
// the Hello arrived before the flow's rows (ifaceName) or after
// (a placeholder resolved: lookupName).
func TestUnnamedInterfaceName(t *testing.T) {
	cfg, err := config.Parse([]byte("classes:\n  - {name: u, filter: udp, analyses: [counters]}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, helloFirst := range []bool{true, false} {
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		hello := testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "P", Interfaces: []string{"if0"}}).Append(e) })
		def := testFrame(pdu.TypeFlowDef, 2, func(e *pdu.Enc) {
			(&pdu.FlowDef{FlowID: 1, Iface: 39999, Class: "u", IPVersion: 4, Protocol: 17, SrcAddr: netip.MustParseAddr("10.0.0.1"), DstAddr: netip.MustParseAddr("10.0.0.2"), FirstSeenNs: 1e9}).Append(e)
		})
		upd := testFrame(pdu.TypeFlowUpdate, 3, func(e *pdu.Enc) {
			(&pdu.FlowUpdate{FlowID: 1, LastSeenNs: 1e9, Packets: 2, Bytes: 96, Ended: pdu.EndFinal}).Append(e)
		})
		frames := [][]byte{hello, def, upd}
		if !helloFirst {
			frames = [][]byte{def, upd, hello}
		}
		for _, f := range frames {
			c.Handle(f)
		}
		b := c.Drain()
		b.Append(c.Finish())
		if len(b.Flows) != 1 || b.Flows[0].Interface != "if39999" || b.Flows[0].Probe != "P" {
			t.Errorf("Hello first %v: flows %+v, want one of probe P on interface if39999", helloFirst, b.Flows)
		}
	}
}
