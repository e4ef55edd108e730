package rtt

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// TestTimestampEchoAhead: an ACK whose TSecr is not a TSval the other side
// sent (here 0, as some stacks and middleboxes put in an ACK) must not
// pass the pending TSvals. With TSvals at or above 2^31 (Linux's random
// per-connection offsets), 0 is ahead of them in RFC 1982 order, and it
// used to discard the client's pending TSval 0x90000015, whose real echo
// came 10 ms later: 3 samples instead of 4. An echo is TS.Recent, a TSval
// the echoing side received (RFC 7323 §4.3), so it is never beyond the
// other side's latest TSval. Right values (RFC 7323 §4 RTTM from the
// probe): client TSval 0x90000000 (SYN, 0 ms) echoed by the SYN-ACK at 10
// ms; server 0x10000000 (10 ms) echoed at 20 ms; client 0x90000015 (21
// ms) echoed at 31 ms; server 0x1000001f (31 ms) echoed at 40 ms: 10, 10,
// 10, 9 ms.
func TestTimestampEchoAhead(t *testing.T) {
	tr := New(Config{Kinds: []string{"tcp_ts"}})
	var c collector
	const cv, sv = uint32(0x90000000), uint32(0x10000000)
	seg := func(fromCli bool, flags uint16, tsval, tsecr uint32, at int64) {
		d := tcpSeg(cli, 40000, srv, 80, flags, 1, 1, nil, at)
		if !fromCli {
			d = tcpSeg(srv, 80, cli, 40000, flags, 1, 1, nil, at)
		}
		d.Flags |= dissect.HasTCPTS
		d.TSVal, d.TSEcr = tsval, tsecr
		tr.Packet(d, 1, c.emit)
	}
	const A, S = dissect.TCPAck, dissect.TCPSyn
	seg(true, S, cv, 0, 0)
	seg(false, S|A, sv, cv, 10*ms)
	seg(true, A, cv+20, sv, 20*ms)
	seg(true, A, cv+21, sv, 21*ms)
	seg(false, A, sv+25, 0, 25*ms) // TSecr 0: echoes nothing the client sent
	seg(false, A, sv+31, cv+21, 31*ms)
	seg(true, A, cv+40, sv+31, 40*ms)
	var got []float64
	var details []string
	for _, s := range c.samples {
		got = append(got, s.RTTMs)
		details = append(details, s.Detail)
	}
	want := []string{"tsval 2415919104", "tsval 268435456", "tsval 2415919125", "tsval 268435487"}
	if !reflect.DeepEqual(got, []float64{10, 10, 10, 9}) || !reflect.DeepEqual(details, want) {
		t.Errorf("samples %v %q, want [10 10 10 9] %q", got, details, want)
	}
}
