package probe_test

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/capgen"
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

// TestTinyFirstFragmentFlows: the 2 fragments of a TCP segment whose first
// fragment carries only 8 bytes of its header (RFC 1858 §3.1;
// ../dissect/testdata/tcp-tiny-fragment.pcap, built and checked against
// tshark and tcpdump by engine/dissect's TestTinyFirstFragment: tcpdump
// counts `tcp port 80` 2, the first fragment and a later SYN) count in
// the flow of its ports, 192.0.2.1:40000 > 198.51.100.2:80, in class all
// and in class web (the later fragment follows its first fragment's
// classes): 2 packets, 92 IP bytes (28 + 64), 2 ip_fragments, 1
// ip_reassembled, 32 l4_payload_bytes (tshark's tcp.len of the
// reassembled segment: the 12 header bytes the second fragment carries
// are no payload), no tcp_syn/fin/rst or tcp_zero_window from the first
// fragment's unknown flags; no port-less TCP flow. The same with the
// fragments in reverse order (written here to testdata/tcp-tiny-fragment-
// reversed.pcap: the later one held until the first comes). The
// reassembled segment is a connection (PSH-ACK, midstream). Before, both
// fragments went to the port-less flow 0 > 0 and class web saw neither.
func TestTinyFirstFragmentFlows(t *testing.T) {
	inOrder, err := filepath.Abs("../dissect/testdata/tcp-tiny-fragment.pcap")
	if err != nil {
		t.Fatal(err)
	}
	seg := capgen.TCP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:80"), Flags: "PA", Seq: 1000, Ack: 2000,
		Win: 502, IPID: 0x4242, Payload: make([]byte, 32)}.Seg()
	for name, b := range map[string]*observe.Batch{
		"in order": runPath(t, cutCfg, inOrder),
		"reversed": runFrames(t, cutCfg, "tcp-tiny-fragment-reversed.pcap",
			framesAt(0, capgen.Fragment4At(seg, 8, 44, false), capgen.Fragment4At(seg, 0, 8, true))),
	} {
		for _, class := range []string{"all", "web"} {
			f := classFlow(b, class, 6, 40000, 80)
			if f == nil {
				t.Errorf("%s: class %s: no flow 40000>80", name, class)
				continue
			}
			_, l4 := metric(b, f.FlowID, "l4_payload_bytes")
			nf, _ := metric(b, f.FlowID, "ip_fragments")
			re, _ := metric(b, f.FlowID, "ip_reassembled")
			if f.Packets != 2 || f.Bytes != 92 || nf != 2 || re != 1 || l4 != 32 {
				t.Errorf("%s: class %s flow 40000>80: %d packets %d bytes, ip_fragments %d, ip_reassembled %d, l4_payload_bytes %v; want 2 92 2 1 32",
					name, class, f.Packets, f.Bytes, nf, re, l4)
			}
			for _, m := range []string{"tcp_syn", "tcp_fin", "tcp_rst", "tcp_zero_window"} {
				if n, _ := metric(b, f.FlowID, m); n != 0 {
					t.Errorf("%s: class %s: %s %d from a fragment", name, class, m, n)
				}
			}
			if z := classFlow(b, class, 6, 0, 0); z != nil {
				t.Errorf("%s: class %s: port-less TCP flow of %d packets", name, class, z.Packets)
			}
		}
		conns := 0
		for _, c := range b.TCPConnections {
			if c.ServerPort == 80 && (c.ClientPort == 40000 || c.ServerPort == 40000) {
				conns++
			}
		}
		if conns != 1 {
			t.Errorf("%s: %d connection rows of 40000-80, want 1 (the reassembled segment)", name, conns)
		}
	}
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
