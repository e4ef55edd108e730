package tui

import (
	"net/netip"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestLiveFlowNameAsFlowsTable checks that the live Flows screen names a
// flow exactly as the flows table's name column (collector.FlowName), so
// that L (live/written rows) shows the same flow under the same name. The
// IPv6 case is what `tmonbench live` on a veth pair showed: the flows
// table's fe80::e4dc:9dff:fe70:4936>ff02::2/icmp6 (a router solicitation,
// no port) was [fe80::e4dc:9dff:fe70:4936]>[ff02::2]/icmp6 on the live
// screen; an IGMP flow was .../proto 2 there and .../igmp in the table.
func TestLiveFlowNameAsFlowsTable(t *testing.T) {
	ports := uint8(pdu.FieldProtocol | pdu.FieldSrcAddr | pdu.FieldDstAddr | pdu.FieldSrcPort | pdu.FieldDstPort)
	addrs := uint8(pdu.FieldProtocol | pdu.FieldSrcAddr | pdu.FieldDstAddr)
	a := netip.MustParseAddr
	cases := []struct {
		def  pdu.FlowDef
		want string
	}{
		{pdu.FlowDef{Fields: ports, Protocol: 6, SrcAddr: a("10.0.0.1"), DstAddr: a("10.0.0.2"), SrcPort: 40000, DstPort: 21}, "10.0.0.1:40000>10.0.0.2:21/tcp"},
		{pdu.FlowDef{Fields: ports, Protocol: 17, SrcAddr: a("2001:db8::1"), DstAddr: a("2001:db8::2"), SrcPort: 53, DstPort: 33000}, "[2001:db8::1]:53>[2001:db8::2]:33000/udp"},
		{pdu.FlowDef{Fields: ports, Protocol: 58, SrcAddr: a("fe80::e4dc:9dff:fe70:4936"), DstAddr: a("ff02::2")}, "fe80::e4dc:9dff:fe70:4936>ff02::2/icmp6"},
		{pdu.FlowDef{Fields: addrs, Protocol: 2, SrcAddr: a("10.0.0.1"), DstAddr: a("224.0.0.22")}, "10.0.0.1>224.0.0.22/igmp"},
		{pdu.FlowDef{Fields: addrs, Protocol: 41, SrcAddr: a("10.0.0.1"), DstAddr: a("10.0.0.2")}, "10.0.0.1>10.0.0.2/41"},
		{pdu.FlowDef{Fields: pdu.FieldProtocol | pdu.FieldDstAddr | pdu.FieldDstPort, Protocol: 17, DstAddr: a("10.26.0.2"), DstPort: 53}, "*>10.26.0.2:53/udp"},
		// a class that does not split by protocol: no suffix (it was /proto 0)
		{pdu.FlowDef{Fields: pdu.FieldSrcAddr | pdu.FieldDstAddr, SrcAddr: a("10.0.0.1"), DstAddr: a("10.0.0.2")}, "10.0.0.1>10.0.0.2"},
	}
	for _, c := range cases {
		d := c.def
		if got := collector.FlowName(&d); got != c.want {
			t.Fatalf("collector.FlowName = %q, the test expects %q", got, c.want)
		}
		f := LiveFlow{Protocol: d.Protocol, SrcPort: d.SrcPort, DstPort: d.DstPort}
		if d.Fields&pdu.FieldSrcAddr != 0 {
			f.SrcAddr = d.SrcAddr.String()
		}
		if d.Fields&pdu.FieldDstAddr != 0 {
			f.DstAddr = d.DstAddr.String()
		}
		if got := f.name(); got != c.want {
			t.Errorf("live flow name %q, the flows table's %q", got, c.want)
		}
	}
}

// TestLiveProbeNamesElided: two probes named alike but for their end
// (brussels-core-router-uplink-A and -B, --probe NAME=PCAP) on an 80-column
// live overview, and on the live Flows screen: the probe column is 10
// columns wide and cut them from the end, both rows reading
// "brussels-…". They are elided in the middle, so the rows say which
// probe they are ("bruss…nk-A", 10 columns as elideMiddle draws it; on the
// Flows screen "brussels…uplink-A", its probe column fitted to the window).
func TestLiveProbeNamesElided(t *testing.T) {
	s := liveSnaps()[1]
	names := []string{"brussels-core-router-uplink-A", "brussels-core-router-uplink-B"}
	s.Ifaces = []LiveIface{{Probe: names[0], Iface: "if0", Packets: 10}, {Probe: names[1], Iface: "if0", Packets: 20}}
	s.Probes = []LiveProbe{{Name: names[0], Packets: 10}, {Name: names[1], Packets: 20}}
	s.Channels = nil
	for i := range s.Flows {
		s.Flows[i].Probe = names[i%2]
	}
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24}, liveMsg{st: &s})
	want := []string{elideMiddle(names[0], 10), elideMiddle(names[1], 10)}
	if want[0] != "bruss…nk-A" || want[1] != "bruss…nk-B" {
		t.Fatalf("elideMiddle gives %q", want)
	}
	v := plain(m)
	for i, w := range want {
		if l := lineWith(v, w+" if0"); !strings.Contains(l, []string{" 10 ", " 20 "}[i]) {
			t.Errorf("live panel: no row of %s (%q) with its packets:\n%s", names[i], w, v)
		}
	}
	// the Flows screen fits its columns as a written table does
	// (TestLiveFlowsFit): the probe column shrinks, before the flow's
	// name, to what leaves room for the packets at 80 columns: 17
	drive(t, m, keyMsg("2"))
	v = plain(m)
	for _, name := range names {
		if w := elideMiddle(name, 17); lineWith(v, w+" if0") == "" {
			t.Errorf("live Flows: no row of %q:\n%s", w, v)
		}
	}
}
