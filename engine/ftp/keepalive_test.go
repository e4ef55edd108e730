package ftp

import "testing"

// TestKeepAliveDuringTransfer: keep-alive commands sent on the control
// connection during long transfers (FluentFTP's NoopInterval, Cyberduck's
// FTP keep-alive, basic-ftp#16: NOOP, STAT or PWD) and answered by the
// server while the data still flow. tshark -Y ftp on
// testdata/noop-during-transfer.pcap (written by testdata/make-noop.py
// with the edge samples' pcapgen.py):
//
//	13 RETR, 17 150, 20 NOOP, 21 200, 24 PWD, 25 257, 32 226
//	35 STOR, 39 150, 42 NOOP, 43 200, 46 451
//
// RFC 959 §5.4 gives RETR and STOR 226 or 250, 4xx or 5xx as final
// replies: the 200 and 257 answer the NOOP and the PWD, the transfers'
// final replies are 226 and 451. Before, the 200 was taken as each
// transfer's final reply (RETR 200, STOR 200 complete instead of 451
// failed), and the 226 and 451 went to the NOOPs.
func TestKeepAliveDuringTransfer(t *testing.T) {
	res := run(t, "testdata/noop-during-transfer.pcap", DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"RETR", "big", DirServerToClient, ModePassive, "PASV", 4000, StatusComplete, 226, "192.0.2.10:51001", "198.51.100.20:40001"},
		{"STOR", "up", DirClientToServer, ModePassive, "PASV", 1500, StatusFailed, 451, "192.0.2.10:51002", "198.51.100.20:40002"},
	})
	// The RETR ends at its 226 (frame 32, 1.618 s after frame 1).
	if x := res.transfers[0]; x.EndTime != 1700000000_001000000+1_618000000 {
		t.Errorf("RETR end %d", x.EndTime)
	}
	if len(res.sessions) != 1 {
		t.Fatalf("%d sessions", len(res.sessions))
	}
	// USER PASS TYPE PASV RETR NOOP PWD PASV STOR NOOP QUIT
	if s := res.sessions[0]; s.Commands != 11 || s.Transfers != 2 || s.BytesDown != 4000 || s.BytesUp != 1500 || s.LastReply != 221 {
		t.Errorf("session %+v", s)
	}
	if st := res.stats; st.UnpairedReplies != 0 {
		t.Errorf("%d unpaired replies", st.UnpairedReplies)
	}
}
