package ftp

import "testing"

// TestDataTupleReuse: the next transfer's data connection takes the ports
// of the previous one, a new incarnation of the TCP tuple (RFC 9293
// §3.4.1: a SYN with a new ISN). Passive: the server announces port 40192
// twice and the client connects from 50601 both times (LIST 700 B, then
// RETR r1.bin 1200 B). Active: the client sends PORT ...,197,10 (50442)
// twice and the server connects from port 20 both times (RETR r2.bin
// 500 B, RETR r3.bin 800 B). Each transfer has its own connection and
// bytes; before, the second SYN continued the first connection (its
// bytes were the ISN distance, 601200 and 3000000) and the second transfer
// had no data connection (incomplete, 0 B).
//
// testdata/data-tuple-reuse.pcap (66 packets) was written with the edge
// samples' pcapgen.py; tcpdump -r it 'tcp port 40192 or tcp port 50442'
// shows the four connections, each closed by FIN both ways, with ISNs
// 100000/200000, 900000/800000, 300000/400000, 3300000/4400000 and
// payloads 700, 1200, 500 and 800 B.
func TestDataTupleReuse(t *testing.T) {
	res := run(t, "testdata/data-tuple-reuse.pcap", DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 700, StatusComplete, 226, "192.0.2.10:50601", "198.51.100.20:40192"},
		{"RETR", "r1.bin", DirServerToClient, ModePassive, "PASV", 1200, StatusComplete, 226, "192.0.2.10:50601", "198.51.100.20:40192"},
		{"RETR", "r2.bin", DirServerToClient, ModeActive, "PORT", 500, StatusComplete, 226, "198.51.100.20:20", "192.0.2.10:50442"},
		{"RETR", "r3.bin", DirServerToClient, ModeActive, "PORT", 800, StatusComplete, 226, "198.51.100.20:20", "192.0.2.10:50442"},
	})
	if len(res.sessions) != 1 || res.sessions[0].BytesDown != 3200 {
		t.Errorf("sessions %+v, want one with 3200 bytes down", res.sessions)
	}
}

// TestPassiveListenerReuse: a server that keeps its passive listener open
// (RFC 959 §4.1.1 PASV: the server-DTP listens on the data port and
// waits; §3.3: it closes the data port only when the user changes the
// port specification) is connected to again for the next transfer
// without a new PASV. testdata/passive-listener-reuse.pcap
// (make-listener-reuse.py, with the edge samples' pcapgen.py): PASV
// announcing 198.51.100.20:40192, LIST (700 B from 51001), RETR a.bin
// without PASV (1200 B, the client connecting from 51002 to 40192 again),
// RETR missing (550, no data connection), PASV on 40193 and RETR b.bin
// (300 B from 51003). `tcpdump -nr` it shows the three data connections
// and their payloads. Before the fix RETR a.bin had no data connection
// (no mode, 0 B, incomplete although answered 226; its connection was
// not followed at all: DataConns 2); tshark
// 4.0.17 does not see it either (`tshark -r ... -Y ftp-data` lists only
// the LIST and RETR b.bin data frames 18 and 46). The 550 RETR shows no
// data channel, as before.
func TestPassiveListenerReuse(t *testing.T) {
	res := run(t, "testdata/passive-listener-reuse.pcap", DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 700, StatusComplete, 226, "192.0.2.10:51001", "198.51.100.20:40192"},
		{"RETR", "a.bin", DirServerToClient, ModePassive, "PASV", 1200, StatusComplete, 226, "192.0.2.10:51002", "198.51.100.20:40192"},
		{"RETR", "missing", DirServerToClient, "", "", 0, StatusFailed, 550, "", ""},
		{"RETR", "b.bin", DirServerToClient, ModePassive, "PASV", 300, StatusComplete, 226, "192.0.2.10:51003", "198.51.100.20:40193"},
	})
	if st := res.stats; st.ListenerReuses != 1 || st.DataConns != 3 || st.UnboundData != 0 {
		t.Errorf("ListenerReuses %d DataConns %d UnboundData %d, want 1, 3, 0", st.ListenerReuses, st.DataConns, st.UnboundData)
	}
}

// TestFXP: a third-party transfer (RFC 959 §2.3 and §5.2 figure 3, FXP)
// in testdata/fxp.pcap (make-fxp.py, with the edge samples' pcapgen.py):
// the client 192.0.2.10 sends PASV to server A 198.51.100.20 (227: port
// 40202) and PORT 198,51,100,20,157,10 to server B 203.0.113.30, then STOR
// f.bin to A and RETR f.bin to B; B connects from port 20 to A:40202 and
// sends 900 B. B's session sees the connection (active, as tshark 4.0.17:
// `tshark -r testdata/fxp.pcap -Y ftp-data -T fields -e ftp-data.setup-method
// -e ftp-data.command -e tcp.len` gives PORT, RETR f.bin, 900, and nothing
// for A's STOR). A's STOR now measures the same connection: 900 B up,
// from 203.0.113.30:20 (before the fix: no connection, 0 B,
// incomplete). B's PORT naming A's listener is no NAT: AddrMismatch stays
// 0 (it was 1); ThirdParty 1, DataConns 1.
func TestFXP(t *testing.T) {
	res := run(t, "testdata/fxp.pcap", DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"STOR", "f.bin", DirClientToServer, ModePassive, "PASV", 900, StatusComplete, 226, "203.0.113.30:20", "198.51.100.20:40202"},
		{"RETR", "f.bin", DirServerToClient, ModeActive, "PORT", 900, StatusComplete, 226, "203.0.113.30:20", "198.51.100.20:40202"},
	})
	if st := res.stats; st.ThirdParty != 1 || st.DataConns != 1 || st.AddrMismatch != 0 {
		t.Errorf("ThirdParty %d DataConns %d AddrMismatch %d, want 1, 1, 0", st.ThirdParty, st.DataConns, st.AddrMismatch)
	}
}
