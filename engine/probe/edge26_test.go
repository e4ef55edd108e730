package probe_test

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// cutCfg follows TCP connections in class all and counts class web
// (`tcp port 80`).
const cutCfg = `
classes:
  - name: all
    analyses: [counters, tcp]
  - name: web
    filter: "tcp port 80"
    analyses: [counters]
`

// classFlow returns the flow of class with these ports and protocol, or nil.
func classFlow(b *observe.Batch, class string, proto uint8, sport, dport uint16) *observe.Flow {
	for i, f := range b.Flows {
		if f.Class == class && f.Protocol == proto && f.SrcPort == sport && f.DstPort == dport {
			return &b.Flows[i]
		}
	}
	return nil
}

// TestPPPoEFlows: the IP packets of PPPoE session frames count in flows
// (../dissect/testdata/pppoe.pcap, built and checked against tshark and
// tcpdump by engine/dissect's TestPPPoE): class web (`tcp port 80`) counts
// the 3 packets tcpdump selects with `pppoes and tcp port 80` (2) and
// `vlan and pppoes and tcp port 80` (1), class all the 5 IP packets (the
// SYN 40000>80 and its SYN-ACK, the IPv6 UDP 40001>53, the tagged ACK
// 40002>80, the SYN 40003>443), and the PADI, LCP and PADT frames none;
// the handshake 40000-80 is a connection. Before, the capture gave no
// flow: all 8 frames were not IP.
func TestPPPoEFlows(t *testing.T) {
	path, err := filepath.Abs("../dissect/testdata/pppoe.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, cutCfg, path)
	packets := map[string]uint64{}
	for _, f := range b.Flows {
		packets[f.Class] += f.Packets
	}
	if packets["all"] != 5 || packets["web"] != 3 {
		t.Errorf("packets per class %v, want all 5, web 3", packets)
	}
	for _, c := range []struct {
		proto        uint8
		sport, dport uint16
	}{{6, 40000, 80}, {17, 40001, 53}, {6, 40002, 80}, {6, 40003, 443}} {
		if classFlow(b, "all", c.proto, c.sport, c.dport) == nil {
			t.Errorf("class all: no flow %d>%d proto %d", c.sport, c.dport, c.proto)
		}
	}
	conns := 0
	for _, c := range b.TCPConnections {
		if c.ClientPort == 40000 && c.ServerPort == 80 && c.HandshakeSynSynackMs != nil && *c.HandshakeSynSynackMs == 10 {
			conns++
		}
	}
	if conns != 1 {
		t.Errorf("%d connections 40000>80 with a 10 ms SYN to SYN-ACK, want 1", conns)
	}
}
