package probe_test

import (
	"path/filepath"
	"testing"
)

// TestBeyondIPLengthFlows: the TCP and UDP headers the IP length cuts of
// ../dissect/testdata/transport-beyond-ip-length.pcap (built and checked
// against tcpdump and tshark by engine/dissect's
// TestTransportBeyondIPLength: frames 1 to 3 TCP, 4 and 5 UDP, their
// ports in the frame past the IP datagram's end; 6 a sound SYN 40017 >
// 21999, 7 a sound UDP datagram) count in the flows of their ports, as
// libpcap's `tcp port` and `udp port` read them: class web (`tcp port
// 80`) counts frame 2 (tcpdump's `tcp port 80` selects it), and no TCP or
// UDP flow of class all is port-less. The TCP ones count in no tcp_syn
// (only frame 6's SYN) and open no connection (one row: frame 6), nor
// count any l4_payload_bytes. Before, frames 1 to 5 went to port-less
// flows and class web saw none.
func TestBeyondIPLengthFlows(t *testing.T) {
	path, err := filepath.Abs("../dissect/testdata/transport-beyond-ip-length.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, cutCfg, path)
	var web uint64
	for _, f := range b.Flows {
		if f.Class == "web" {
			web += f.Packets
		}
		if f.Class == "all" && (f.Protocol == 6 || f.Protocol == 17) && (f.SrcPort == 0 || f.DstPort == 0) {
			t.Errorf("port-less flow proto %d %s > %s of %d packets", f.Protocol, f.SrcAddr, f.DstAddr, f.Packets)
		}
	}
	if web != 1 {
		t.Errorf("class web: %d packets, want 1 (tcpdump's `tcp port 80`: frame 2)", web)
	}
	for _, c := range []struct {
		proto  uint8
		sp, dp uint16
		syn    uint64
	}{
		{6, 40010, 21999, 0}, {6, 40011, 80, 0}, {6, 40012, 21999, 0}, {6, 40017, 21999, 1},
		{17, 40013, 53, 0}, {17, 40014, 53, 0},
	} {
		f := classFlow(b, "all", c.proto, c.sp, c.dp)
		if f == nil {
			t.Errorf("class all: no flow proto %d %d > %d", c.proto, c.sp, c.dp)
			continue
		}
		if c.proto != 6 {
			continue
		}
		syn, _ := metric(b, f.FlowID, "tcp_syn")
		_, l4 := metric(b, f.FlowID, "l4_payload_bytes")
		if syn != c.syn || l4 != 0 {
			t.Errorf("flow %d > %d: tcp_syn %d, l4_payload_bytes %v; want %d, 0", c.sp, c.dp, syn, l4, c.syn)
		}
	}
	if len(b.TCPConnections) != 1 || b.TCPConnections[0].ClientPort != 40017 {
		t.Errorf("%d connection rows, want 1 (40017 > 21999)", len(b.TCPConnections))
	}
}
