package ftp

import "testing"

// The captures below were written by testdata/make-data-lost.py (python3
// make-data-lost.py ../shared/samples/edge testdata, with the edge
// samples' pcapgen.py). Their expected bytes are Wireshark's relative
// sequence numbers, from
//
//	tshark -r F -Y 'tcp.port!=21' -T fields -e tcp.stream -e tcp.srcport \
//	  -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len

// TestDataEdgesLost: data connections whose first or last bytes the
// capture missed. Their bytes come from the sequence space the peer's
// SYN-ACK and ACKs bound, as Wireshark takes it (relative sequence
// numbers from the SYN-ACK's ACK when the SYN is missed,
// tcp.analysis.ack_lost_segment), not only from the segments seen.
//
//   - STOR head: the client's SYN, handshake ACK and first 1000 bytes are
//     missing; tshark puts the data seen at relative seq 1001 and the FIN
//     at 2001: 2000 bytes (was 1000, from the first segment seen).
//   - RETR tail: the last 1000 bytes and the server's FIN are missing;
//     the client acknowledges 3001 (ack_lost_segment), then 3002 with
//     its FIN: 3000 bytes and the FIN (was 2000). RFC 959 §3.4.1: in
//     stream mode the sender closes the connection at end of file, so a
//     226 says the last acknowledged sequence number is its FIN.
//   - RETR oneway: nothing the server sent on the data connection is
//     captured; the client's ACKs go from 1 to 1502 (with its FIN):
//     1500 bytes (was 0).
//   - RETR abort: the last 700 bytes are missing, the client acknowledges
//     1701 and resets; 426, no FIN: 1700 bytes (was 1000).
func TestDataEdgesLost(t *testing.T) {
	res := run(t, "testdata/data-lost-edges.pcap", DefaultConfig())
	const c, s = "192.0.2.10", "198.51.100.20"
	checkTransfers(t, res.transfers, []xfer{
		{"STOR", "head", DirClientToServer, ModePassive, "PASV", 2000, StatusComplete, 226, c + ":51003", s + ":40003"},
		{"RETR", "tail", DirServerToClient, ModePassive, "PASV", 3000, StatusComplete, 226, c + ":51004", s + ":40004"},
		{"RETR", "oneway", DirServerToClient, ModePassive, "PASV", 1500, StatusComplete, 226, c + ":51005", s + ":40005"},
		{"RETR", "abort", DirServerToClient, ModePassive, "PASV", 1700, StatusAborted, 426, c + ":51006", s + ":40006"},
	})
	want := []struct{ down, up uint64 }{{0, 2000}, {3000, 0}, {1500, 0}, {1700, 0}}
	if len(res.sessions) != len(want) {
		t.Fatalf("%d sessions, want %d", len(res.sessions), len(want))
	}
	for i, w := range want {
		if s := res.sessions[i]; s.BytesDown != w.down || s.BytesUp != w.up {
			t.Errorf("session %d: bytes down %d up %d, want %d %d", i+1, s.BytesDown, s.BytesUp, w.down, w.up)
		}
	}
}

// TestDataAfter226: the server sends 226 once the file is in its socket
// buffer (frame 17, 0.086 s); the second 1000 bytes leave 3 s later, after
// a retransmission timeout (frame 18), then the FIN (19) and the last ACK
// (22, 3.099 s). tshark -z conv,tcp: the data connection 51007-40007
// carries 2000 bytes of payload from the server over 3.039 s. The transfer
// waits for its data connection to close: 2000 bytes, ending at frame 22.
// Before, it left LingerNs (2 s) after the 226 with 1000 bytes, and the
// rest of its data connection was no longer FTP.
func TestDataAfter226(t *testing.T) {
	res := run(t, "testdata/data-after-226.pcap", DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"RETR", "slow", DirServerToClient, ModePassive, "PASV", 2000, StatusComplete, 226, "192.0.2.10:51007", "198.51.100.20:40007"},
	})
	if x := res.transfers[0]; x.StartTime != 1700000000_060000000 || x.EndTime != 1700000003_099000000 {
		t.Errorf("times %d..%d, want the SYN (frame 12) to the last ACK (frame 22)", x.StartTime, x.EndTime)
	}
	if len(res.dataFTP) != 9 { // frames 12-14, 16 and 18-22
		t.Errorf("%d data packets taken as FTP, want 9", len(res.dataFTP))
	}
}

// TestSpanAcked: the peer's ACKs bound the bytes sent (RFC 9293 §3.4: an
// ACK is the next sequence number expected; a FIN takes one).
func TestSpanAcked(t *testing.T) {
	var sp span // SYN missed: the SYN-ACK acknowledges ISN 99, data 100..
	sp.acked(100)
	sp.add(1100, 500) // 100..1099 missed
	sp.acked(1600)
	if got := sp.sent(true); got != 1500 {
		t.Errorf("head missed: %d, want 1500", got)
	}
	sp.acked(1601) // the FIN, not seen
	if got, gotNoEOF := sp.sent(true), sp.sent(false); got != 1500 || gotNoEOF != 1501 {
		t.Errorf("FIN acknowledged: %d (eof) %d, want 1500 1501", got, gotNoEOF)
	}
	var f span // FIN seen: its position is the end, whatever eof says
	f.syn(99)
	f.fin(1100, 0)
	f.acked(1101)
	if f.sent(false) != 1000 || f.sent(true) != 1000 {
		t.Errorf("FIN seen: %d %d, want 1000", f.sent(false), f.sent(true))
	}
	var late span // an ACK beyond the data seen first, then earlier data
	late.acked(5000)
	late.add(4000, 1000)
	if late.sent(false) != 1000 {
		t.Errorf("late: %d, want 1000", late.sent(false))
	}
}
