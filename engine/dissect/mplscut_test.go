package dissect_test

import (
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// mplsCutFrames are the 3 frames of testdata/mpls-cut.pcap, written by
// TestMPLSStackCut with internal/capgen (go test -update rewrites it): one
// Ethernet frame (EtherType 0x8847) with labels 100 and 200 (bottom of
// stack) before an IPv4 TCP segment 192.0.2.1:40000 > 198.51.100.2:80,
// captured with snap lengths of 18 (cut inside the stack), 22 (cut right
// after it) and in full.
func mplsCutFrames() []capgen.Frame {
	seg := capgen.TCP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:80"), Flags: "PA", Seq: 1, Ack: 1, Win: 502, Payload: []byte("m")}.Seg()
	f := append([]byte(nil), seg[:12]...)
	f = binary.BigEndian.AppendUint16(f, 0x8847)
	f = binary.BigEndian.AppendUint32(f, 100<<12|64)      // label 100, TTL 64
	f = binary.BigEndian.AppendUint32(f, 200<<12|1<<8|64) // label 200, bottom of stack
	f = append(f, seg[14:]...)
	return []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: f[:18], WireLen: len(f)},
		{TimeNs: capgen.Ms(1), Data: f[:22], WireLen: len(f)},
		{TimeNs: capgen.Ms(2), Data: f},
	}
}

// TestMPLSStackCut: an MPLS label stack the snap length cuts before its
// bottom entry, or right after it, is a truncated link header
// (link_truncated, malformed), as a cut VLAN tag is and as tcpdump 4.99.3
// prints both ("MPLS (label 100, ...) [|mpls]", -r
// testdata/mpls-cut.pcap); the whole frame is IPv4 TCP 40000 > 80. Before,
// the two cut frames counted as "not IP".
func TestMPLSStackCut(t *testing.T) {
	path := capgen.Golden(t, "testdata/mpls-cut.pcap", capgen.PCAP(mplsCutFrames(), false))
	var errs []error
	var lastPort uint16
	d := dissectEach(t, path, 3, func(_ int, _ pkt.Meta, err error, x *dissect.Dissection) {
		errs, lastPort = append(errs, err), x.DstPort
	})
	if len(errs) != 3 || errs[0] != dissect.ErrMalformed || errs[1] != dissect.ErrMalformed || errs[2] != nil || lastPort != 80 {
		t.Errorf("results %v, last port %d; want malformed, malformed, nil, 80", errs, lastPort)
	}
	if s := d.Stats; s.Malformed != 2 || s.NotIP != 0 || s.IP != 1 || s.Kinds[dissect.KindLinkTruncated] != 2 {
		t.Errorf("stats %+v, want 2 malformed (link_truncated), 0 not IP, 1 IP", s)
	}
}
