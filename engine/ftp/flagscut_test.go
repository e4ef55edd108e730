package ftp

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestFlagsCutNoSegment: a control connection packet whose TCP flags were
// not captured (dissect.TCPFlagsCut: a "USER anonymous" segment to port 21
// with 13 bytes of its header captured) is no segment of the control
// stream: no session is created from it, no command parsed.
func TestFlagsCutNoSegment(t *testing.T) {
	cmd := capgen.TCP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.21:21"), Flags: "PA", Seq: 1001, Ack: 5001,
		Win: 502, Payload: []byte("USER anonymous\r\n")}.Seg()
	var d dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(0), CapLen: 47, WireLen: uint32(len(cmd))}
	if err := dissect.New().Dissect(cmd[:47], m, &d); err != nil || d.Flags&dissect.TCPFlagsCut == 0 {
		t.Fatalf("cut command: %v, flags %#x", err, d.Flags)
	}
	tr := New(DefaultConfig())
	tr.Control(&d)
	if st := tr.Stats(); st.Sessions != 0 || st.Commands != 0 || len(tr.sessions) != 0 {
		t.Errorf("stats %+v, %d sessions; want none", st, len(tr.sessions))
	}
}
