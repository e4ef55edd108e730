package probe_test

import (
	"slices"
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
