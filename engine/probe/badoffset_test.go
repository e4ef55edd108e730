package probe_test

import (
	"path/filepath"
	"testing"
)

// TestBadOffsetFlows: the TCP headers of a bogus data offset of
// ../dissect/testdata/tcp-bad-offset.pcap (built and checked against
// tcpdump and tshark by engine/dissect's TestTCPBadOffset: frames 1 to 6
// bogus, 7 a sound SYN 40005 > 21999) count in the flows of their ports,
// as tcpdump reads them: class web (`tcp port 80`) counts frames 3 and 5
// (tcpdump's `tcp port 80` selects those 2), and no TCP flow of class all
// is port-less. Their flags count in no tcp_syn (only frame 7's SYN, in
// flow 40005 > 21999) and they open no connection (one row: frame 7),
// nor count any l4_payload_bytes: where their header ends is unknown.
// Before, the 6 went to the port-less TCP flows 0 > 0 (IPv4 and IPv6) and
// class web saw none.
func TestBadOffsetFlows(t *testing.T) {
	path, err := filepath.Abs("../dissect/testdata/tcp-bad-offset.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, cutCfg, path)
	var web uint64
	for _, f := range b.Flows {
		if f.Class == "web" {
			web += f.Packets
		}
		if f.Class == "all" && f.Protocol == 6 && (f.SrcPort == 0 || f.DstPort == 0) {
			t.Errorf("port-less TCP flow %s > %s of %d packets", f.SrcAddr, f.DstAddr, f.Packets)
		}
	}
	if web != 2 {
		t.Errorf("class web: %d packets, want 2 (tcpdump's `tcp port 80`: frames 3 and 5)", web)
	}
	for _, sp := range []uint16{40000, 40001, 40002, 40003, 40004, 40005, 40006} {
		dp := uint16(21999)
		if sp == 40002 || sp == 40004 {
			dp = 80
		}
		f := classFlow(b, "all", 6, sp, dp)
		if f == nil {
			t.Errorf("class all: no flow %d > %d", sp, dp)
			continue
		}
		syn, _ := metric(b, f.FlowID, "tcp_syn")
		_, l4 := metric(b, f.FlowID, "l4_payload_bytes")
		want := uint64(0)
		if sp == 40005 {
			want = 1
		}
		if syn != want || l4 != 0 {
			t.Errorf("flow %d > %d: tcp_syn %d, l4_payload_bytes %v; want %d, 0", sp, dp, syn, l4, want)
		}
	}
	if len(b.TCPConnections) != 1 || b.TCPConnections[0].ClientPort != 40005 {
		t.Errorf("%d connection rows, want 1 (40005 > 21999)", len(b.TCPConnections))
	}
}
