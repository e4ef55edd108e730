package rtt

import (
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// ntpPkt is a 48-byte NTPv4 header (RFC 5905 §7.3) of mode, stratum,
// reference ID and origin, receive and transmit timestamps.
func ntpPkt(mode, stratum uint8, refID string, org, rec, xmt uint64) []byte {
	b := make([]byte, 48)
	b[0], b[1] = 4<<3|mode, stratum
	copy(b[12:16], refID)
	binary.BigEndian.PutUint64(b[24:], org)
	binary.BigEndian.PutUint64(b[32:], rec)
	binary.BigEndian.PutUint64(b[40:], xmt)
	return b
}

// TestNTPModes: the capture testdata/ntp-modes.pcap (generated here with
// capgen; -update rewrites it) holds
//   - two client requests answered by Kiss-o'-Death replies (stratum 0,
//     kiss code RATE and DENY in the reference ID: RFC 5905 §7.4): timed
//     (`tshark -2 -r testdata/ntp-modes.pcap -T fields -e frame.number
//     -e ntp.refid -e ntp.delta_time`, tshark 4.0.17: frames 2 and 4,
//     0.003 and 0.002 s, refid 52415445 "RATE", 44454e59 "DENY") with
//     the kiss code in the detail, "v4 stratum 0 kiss RATE"; before the
//     fix the detail was "v4 stratum 0";
//   - a symmetric active packet (mode 1) and the passive peer's packet
//     (mode 2) whose origin is its transmit timestamp, and a broadcast
//     (mode 5): not timed (tshark gives none of frames 5-7 an
//     ntp.delta_time), not unanswered, not orphans; NTPNotTimed 3;
//   - a basic exchange (2 ms) then an interleaved one (RFC 9769 §2,
//     chrony's xleave): the second request's origin is the server's
//     receive timestamp of the first exchange and its receive the
//     client's, and the reply's origin echoes that receive timestamp:
//     paired, 3 ms, "v4 stratum 2 interleaved", NTPInterleaved 1 (tshark:
//     frame 11 ntp.delta_time 0.003; tshark 4.0 pairs a reply with the
//     conversation's last request whatever its timestamps). Before the
//     fix it was an orphan response and an unanswered request.
func TestNTPModes(t *testing.T) {
	cli, srv := capgen.AP("192.0.2.10:40123"), capgen.AP("198.51.100.123:123")
	cli2 := capgen.AP("192.0.2.11:40124")
	peerA, peerB := capgen.AP("192.0.2.20:123"), capgen.AP("198.51.100.20:123")
	bcast := capgen.AP("192.0.2.255:123")
	const sec = 1 << 32 // one second in the NTP timestamp format
	t0 := uint64(3_900_000_000) * sec
	fr := func(ms float64, s, d string, p []byte) capgen.Frame {
		return capgen.Frame{TimeNs: capgen.Ms(ms), Data: capgen.UDP{Src: capgen.AP(s), Dst: capgen.AP(d), Payload: p}.Frame()}
	}
	c, s, c2 := cli.String(), srv.String(), cli2.String()
	frames := []capgen.Frame{
		fr(0, c, s, ntpPkt(3, 0, "", 0, 0, t0+1)),
		fr(3, s, c, ntpPkt(4, 0, "RATE", t0+1, 0, 0)),
		fr(10, c2, s, ntpPkt(3, 0, "", 0, 0, t0+2)),
		fr(12, s, c2, ntpPkt(4, 0, "DENY", t0+2, 0, 0)),
		fr(20, peerA.String(), peerB.String(), ntpPkt(1, 2, "GPS", 0, 0, t0+3)),
		fr(25, peerB.String(), peerA.String(), ntpPkt(2, 3, "\xc0\x00\x02\x14", t0+3, t0+4, t0+5)),
		fr(30, peerA.String(), bcast.String(), ntpPkt(5, 2, "GPS", 0, 0, t0+6)),
		// Basic exchange: T1 t0+10, the server's T2 t0+11, T3 t0+12.
		fr(40, c, s, ntpPkt(3, 0, "", 0, 0, t0+10)),
		fr(42, s, c, ntpPkt(4, 2, "GPS", t0+10, t0+11, t0+12)),
		// Interleaved: origin = the server's T2 of the last exchange,
		// receive = the client's T4 of it (t0+13), transmit t0+20; the
		// reply's origin = t0+13, its transmit the previous reply's
		// precise T3.
		fr(50, c, s, ntpPkt(3, 0, "", t0+11, t0+13, t0+20)),
		fr(53, s, c, ntpPkt(4, 2, "GPS", t0+13, t0+21, t0+12)),
	}
	path := golden(t, "testdata/ntp-modes.pcap", frames)
	r := run(t, DefaultConfig(), readCapture(t, path))
	want := []struct {
		port   uint16
		ms     float64
		detail string
	}{{40123, 3, "v4 stratum 0 kiss RATE"}, {40124, 2, "v4 stratum 0 kiss DENY"}, {40123, 2, "v4 stratum 2"}, {40123, 3, "v4 stratum 2 interleaved"}}
	got := r.byKind("ntp")
	if len(got) != len(want) {
		t.Fatalf("%d ntp samples %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if g := got[i]; g.ClientPort != w.port || g.RTTMs != w.ms || g.Detail != w.detail {
			t.Errorf("sample %d: port %d %v ms %q, want %d %v ms %q", i, g.ClientPort, g.RTTMs, g.Detail, w.port, w.ms, w.detail)
		}
	}
	st := r.tr.Stats()
	if r.unanswered["ntp"] != 0 || st.Orphans[KindNTP] != 0 || st.Requests[KindNTP] != 4 || st.Responses[KindNTP] != 4 {
		t.Errorf("unanswered %d orphans %d requests %d responses %d, want 0 0 4 4",
			r.unanswered["ntp"], st.Orphans[KindNTP], st.Requests[KindNTP], st.Responses[KindNTP])
	}
	if st.NTPNotTimed != 3 || st.NTPInterleaved != 1 {
		t.Errorf("NTPNotTimed %d NTPInterleaved %d, want 3 and 1", st.NTPNotTimed, st.NTPInterleaved)
	}
}
