package tui

import (
	"strings"
	"testing"
)

// TestTCPScreenIRTT (the new-user trial's U7): the TCP screen's round trip
// is the tcp query's irtt_ms, tshark's tcp.analysis.initial_rtt (the last
// SYN to the handshake's ACK), not SYN to SYN-ACK from the first SYN. At
// lab/tcp-mix/B.pcap, beside the server, 12663's first SYN-ACK was lost
// beyond the probe: tshark -r B.pcap -Y 'tcp.port==12663 &&
// tcp.analysis.initial_rtt' -T fields -e tcp.analysis.initial_rtt gives
// 0.059502653 s, shown as 59.503 ms (to the µs, as the TUI draws a
// column in ms: TestColumnCells), where handshake_syn_synack_ms is
// 0.027832 (the screen showed that column). The screen shows 8
// connections (tshark -q -z conv,tcp: meta/conv_tcp_B.txt).
func TestTCPScreenIRTT(t *testing.T) {
	out := replayed(t, "lab/tcp-mix/B.pcap")
	v := stripANSI(goldenRun(t, out,
		step{keys: keys("3"), wait: []string{"row 1 of 8", "irtt_ms"}},
		step{keys: keys("/"), typed: "port 12663", wait: []string{"/port 12663"}},
		step{keys: keys("enter"), wait: []string{"row 1 of 1", "59.503 "}}))
	if strings.Contains(v, "handshake_syn_synack_ms") || strings.Contains(v, "0.027832") {
		t.Errorf("the TCP screen still shows SYN to SYN-ACK:\n%s", v)
	}
}
