package ftp

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestBadOffsetNoSegment: a control connection SYN whose data offset is
// bogus (4 words, below the 5 of a header, RFC 9293 §3.1:
// dissect.TCPBadOffset; tcpdump "[bad hdr length 16 - too short, < 20]")
// is no segment of the control stream: no session is created from it.
// Before the check its flags, read, opened one.
func TestBadOffsetNoSegment(t *testing.T) {
	syn := capgen.TCP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.21:21"), Flags: "S", Seq: 1000, Win: 64240}.Seg()
	syn[34+12] = 4<<4 | syn[34+12]&0x0f
	var d dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(0), CapLen: uint32(len(syn)), WireLen: uint32(len(syn))}
	if err := dissect.New().Dissect(syn, m, &d); err != nil || d.Flags&dissect.TCPBadOffset == 0 {
		t.Fatalf("bogus SYN: %v, flags %#x", err, d.Flags)
	}
	tr := New(DefaultConfig())
	tr.Control(&d)
	if st := tr.Stats(); st.Sessions != 0 || len(tr.sessions) != 0 {
		t.Errorf("stats %+v, %d sessions; want none", st, len(tr.sessions))
	}
}
