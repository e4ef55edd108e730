package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestTeardropReassembledBadUDPLength: in lwerdna_teardrop.pcap, frames 8
// and 9 are the fragments of one UDP datagram (id 0x00f2, 10.1.1.1 >
// 129.111.30.27) whose UDP length, 36, exceeds the reassembled IP
// payload, 28: tshark flags frame 9 "Bad length value 36 > IP payload
// length", an Error (`tshark -r lwerdna_teardrop.pcap -T fields -e
// frame.number -e udp.length -e _ws.expert.message -e
// _ws.expert.severity`: 9, 36, that message, 8388608). The check ran on
// single packets only, which no fragment alone fails: no packet_anomalies
// event, no anomaly counted. Now one packet_anomalies event of severity
// error (as udp_bad_length and the *_beyond_ip_length kinds are) says 1
// reassembled datagram with udp_bad_length, and the probe counts it in
// Anomalies, alone and with 2 workers.
func TestTeardropReassembledBadUDPLength(t *testing.T) {
	capture := filepath.Join(samplesDir(t), "pcap", "ipv4-fragments", "lwerdna_teardrop.pcap")
	for _, workers := range []int{0, 2} {
		res := runVM(t, config.Default(), capture, workers, 0)
		var found []string
		for _, e := range res.Batch.Events {
			if e.Kind == "packet_anomalies" && strings.Contains(e.Message, "reassembled") {
				found = append(found, e.Severity+" "+e.Message)
				if e.Count != 1 {
					t.Errorf("workers %d: count %d, want 1", workers, e.Count)
				}
			}
		}
		want := "error 1 reassembled datagram with udp_bad_length in the interval: the UDP length disagrees with the reassembled IP payload (counted at IP level)"
		if len(found) != 1 || found[0] != want {
			t.Errorf("workers %d: reassembled anomaly events %q, want [%q]", workers, found, want)
		}
		if n := res.ProbeTotals().Anomalies; n != 1 {
			t.Errorf("workers %d: %d anomalies, want 1 (tshark's expert info names frame 9 alone in the capture; 0 before)", workers, n)
		}
	}
}
