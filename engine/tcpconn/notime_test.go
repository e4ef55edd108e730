package tcpconn

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestHandshakeNoCaptureTime: a packet without a capture time of its own
// (a pcapng Simple Packet Block, pcapng §4.4: replay gives it the previous
// packet's time, pkt.Meta.TimeBorrowed) gives no handshake time, as rtt
// gives no round trip from it. Capture generated here with capgen.PCAPNG,
// committed as testdata/handshake-simple-packet-block.pcapng: connection
// 1 (client port 40001) SYN at 0 ms, SYN-ACK at 10 ms, ACK at 11 ms, all
// timed: 10, 1 and 10 ms; connection 2 (port 40002) SYN at 100 ms,
// SYN-ACK in an SPB (it takes 100 ms: before the fix 0 ms from SYN to
// SYN-ACK and 12 ms from SYN-ACK to ACK), ACK at 112 ms: no handshake
// time; connection 3 (port 40003) SYN in an SPB after the ACK at 112 ms,
// SYN-ACK at 130 ms, ACK at 131 ms: only SYN-ACK to ACK, 1 ms (before the
// fix 18 ms from SYN to SYN-ACK).
func TestHandshakeNoCaptureTime(t *testing.T) {
	srv := capgen.AP("198.51.100.80:80")
	cli := netip.MustParseAddr("192.0.2.10")
	seg := func(port uint16, flags string, fromClient bool, ms float64, simple bool) capgen.Frame {
		s := capgen.TCP{Src: netip.AddrPortFrom(cli, port), Dst: srv, Flags: flags, Seq: 1000, Win: 65535}
		switch flags {
		case "SA":
			s.Seq, s.Ack = 5000, 1001
		case "A":
			s.Seq, s.Ack = 1001, 5001
		}
		if !fromClient {
			s.Src, s.Dst = s.Dst, s.Src
		}
		f := capgen.Frame{TimeNs: capgen.Ms(ms), Simple: simple, Data: s.Seg()}
		if simple {
			f.TimeNs = 0 // not written
		}
		return f
	}
	frames := []capgen.Frame{
		seg(40001, "S", true, 0, false), seg(40001, "SA", false, 10, false), seg(40001, "A", true, 11, false),
		seg(40002, "S", true, 100, false), seg(40002, "SA", false, 0, true), seg(40002, "A", true, 112, false),
		seg(40003, "S", true, 0, true), seg(40003, "SA", false, 130, false), seg(40003, "A", true, 131, false),
	}
	data := capgen.PCAPNG([][]string{{"eth0"}}, frames)
	path, err := filepath.Abs(capgen.Golden(t, "testdata/handshake-simple-packet-block.pcapng", data))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := run(t, Config{}, readDissections(t, path), false)
	type want struct{ synSynack, synackAck, rtt any }
	wants := map[uint16]want{40001: {10.0, 1.0, 10.0}, 40002: {"NULL", "NULL", "NULL"}, 40003: {"NULL", 1.0, "NULL"}}
	if len(rows) != 3 {
		t.Fatalf("%d connections, want 3", len(rows))
	}
	for _, r := range rows {
		w, ok := wants[r.ClientPort]
		got := want{fmtMs(r.HandshakeSynSynackMs), fmtMs(r.HandshakeSynackAckMs), fmtMs(r.HandshakeRTTMs)}
		if !ok || got != w {
			t.Errorf("client port %d: handshake syn>synack %v, synack>ack %v, rtt %v; want %v", r.ClientPort, got.synSynack, got.synackAck, got.rtt, w)
		}
	}
}
