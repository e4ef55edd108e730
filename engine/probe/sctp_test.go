package probe_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestSCTPFlowPorts: SCTP flows are split by their ports, as tshark's
// conversations and tcpdump (`tcpdump -nn -r input.pcap sctp`: 192.0.2.1.9
// > 192.0.2.2.5000 twice, the second cut by the snap length after its
// ports, ...) show them: the default class keeps ports, and the capture's
// six SCTP packets are five flows (testdata/edge/21-sctp-ports). Their
// ports were 0: the three IPv4 SCTP flows between 192.0.2.1 and 192.0.2.2
// were one flow "192.0.2.1:0>192.0.2.2:0/sctp".
func TestSCTPFlowPorts(t *testing.T) {
	b := runPath(t, "interval_s: 10\n", testsamples.Path(t, "edge", "21-sctp-ports", "input.pcap"))
	var got []string
	for _, f := range b.Flows {
		if f.Class == "all" {
			got = append(got, f.Name)
		}
	}
	slices.Sort(got)
	want := []string{
		"192.0.2.1:5000>192.0.2.2:9/sctp", "192.0.2.1:6001>192.0.2.2:9/tcp", "192.0.2.1:7000>192.0.2.2:7001/sctp",
		"192.0.2.1:9>192.0.2.2:5000/sctp", "192.0.2.1:9>192.0.2.2:6000/udp", "192.0.2.3:5000>192.0.2.2:9/sctp",
		"[2001:db8::1]:9>[2001:db8::2]:5001/sctp",
	}
	if !slices.Equal(got, want) {
		t.Errorf("flows of class all:\n%q\nwant\n%q", got, want)
	}
}

// TestSCTPPayloadBytes: l4_payload_bytes counts SCTP's payload, the bytes
// after its 12-byte common header (RFC 9260 §3.1: the chunks), as it
// counts TCP's and UDP's after theirs; SCTP flows had no such row. In
// testdata/edge/21-sctp-ports each SCTP packet carries one 20-byte DATA
// chunk (`tshark -r input.pcap -Y sctp -T fields -e ip.len -e ipv6.plen
// -e sctp.chunk_length`: IP length 52, header 20, or IPv6 payload length
// 32, and chunk length 20 = 32 - 12), frame 7 the same cut by the snap
// length 4 bytes into the SCTP header (its IP length 52 says 20, as a
// TCP or UDP header cut by the snap length counts the payload its IP
// length announces): flow 192.0.2.1:9>192.0.2.2:5000 2 packets, 40
// bytes, the four others 1 packet, 20 bytes.
func TestSCTPPayloadBytes(t *testing.T) {
	b := runPath(t, "interval_s: 10\n", testsamples.Path(t, "edge", "21-sctp-ports", "input.pcap"))
	got := map[string][2]float64{}
	for _, f := range b.Flows {
		if f.Class == "all" && strings.HasSuffix(f.Name, "/sctp") {
			n, sum := metric(b, f.FlowID, "l4_payload_bytes")
			got[f.Name] = [2]float64{float64(n), sum}
		}
	}
	want := map[string][2]float64{
		"192.0.2.1:9>192.0.2.2:5000/sctp": {2, 40}, "192.0.2.1:5000>192.0.2.2:9/sctp": {1, 20}, "192.0.2.1:7000>192.0.2.2:7001/sctp": {1, 20},
		"192.0.2.3:5000>192.0.2.2:9/sctp": {1, 20}, "[2001:db8::1]:9>[2001:db8::2]:5001/sctp": {1, 20},
	}
	if !maps.Equal(got, want) {
		t.Errorf("l4_payload_bytes (n, sum) of the SCTP flows:\n%v\nwant\n%v", got, want)
	}
}

// TestSCTPTruncatedAnomaly: an SCTP common header not all captured is a
// counted anomaly, as TCP's and UDP's are (engine/dissect
// TestAnomalySeverity: sctp_truncated when the snap length cut it, info,
// tshark "[Packet size limited during capture]"; sctp_beyond_ip_length
// when the IP length leaves it out, error, tshark "Malformed Packet").
// testdata/edge/21-sctp-ports frame 7 is cut 4 bytes into it (tcpdump -nn
// -r input.pcap: caplen 38 of 66): one packet_anomalies event, info,
// count 1, where there was none.
func TestSCTPTruncatedAnomaly(t *testing.T) {
	b := runPath(t, "interval_s: 10\n", testsamples.Path(t, "edge", "21-sctp-ports", "input.pcap"))
	ev := eventsOf(b, "packet_anomalies")
	if len(ev) != 1 || ev[0].Count != 1 || ev[0].Severity != "info" || !strings.Contains(ev[0].Message, "1 packet with sctp_truncated ") {
		t.Errorf("packet_anomalies events %+v, want one: 1 packet with sctp_truncated, info", ev)
	}
}
