package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/probe"
)

// TestUnackedSaysUnsent: a probe whose channel could not send its queue
// before the linger ended said "N PDUs still unacknowledged ... (is the
// collector running ...?)" although the collector had acknowledged every
// PDU it was sent (the live helper's probe -i under a ping flood: 2,083
// "unacknowledged", 0 retransmissions). The PDUs never sent are now told
// apart (probe.RunResult.Unsent, pdu.Sender.Unsent).
func TestUnackedSaysUnsent(t *testing.T) {
	var stderr bytes.Buffer
	r := &probeRunner{linger: 5 * time.Second, stderr: &stderr}
	for _, tc := range []struct {
		res        probe.RunResult
		want, lack string
	}{
		{probe.RunResult{Unacked: 2083, Unsent: 2083}, "probe: 2083 PDUs never sent after --linger 5s: the channel's regulation (one PDU per min_gap_ms) could not carry them in time", "collector running"},
		{probe.RunResult{Unacked: 300, Unsent: 28}, "probe: 300 PDUs still unacknowledged after --linger 5s, 28 of them never sent (the channel's regulation, one PDU per min_gap_ms, could not carry them in time) (is the collector running", ""},
		{probe.RunResult{Unacked: 5}, "probe: 5 PDUs still unacknowledged after --linger 5s (is the collector running", "never sent"},
	} {
		err := r.unacked(context.Background(), tc.res)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || (tc.lack != "" && strings.Contains(err.Error(), tc.lack)) {
			t.Errorf("%+v: %v\nwant it to start %q", tc.res, err, tc.want)
		}
	}
	if err := r.unacked(context.Background(), probe.RunResult{}); err != nil {
		t.Errorf("nothing unacknowledged: %v", err)
	}
}
