package ftp

import (
	"path/filepath"
	"testing"
)

func samplePath(t *testing.T, rel string) string {
	return filepath.Join(samplesDir(t), "pcap", rel)
}

// Expected values below come from tshark 4.0 on the samples
// (samples/pcap/SOURCES.md rows):
//
//	tshark -r F -Y ftp.request.command -T fields -e ftp.request.command -e ftp.request.arg
//	tshark -r F -Y ftp.response.code -T fields -e ftp.response.code -e ftp.response.arg
//	tshark -r F -q -z conv,tcp
//	tshark -r F -T fields -e tcp.stream -e tcp.srcport -e tcp.seq -e tcp.len -Y 'tcp.stream==N'
//
// bytes = highest relative sequence number + length in the sending
// direction (= the sum of tcp.len when nothing is retransmitted).

// TestZeekIPv4: PASV LIST + RETR, then PORT LIST + RETR; the NetBSD server
// opens its active data connections from ports 61920 and 61918, not 20.
func TestZeekIPv4(t *testing.T) {
	res := run(t, samplePath(t, "ftp-active/zeek_ftp_ipv4.pcap"), DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 342, StatusComplete, 226, "141.142.220.235:37604", "199.233.217.249:56666"},
		{"RETR", "robots.txt", DirServerToClient, ModePassive, "PASV", 77, StatusComplete, 226, "141.142.220.235:59378", "199.233.217.249:56667"},
		{"LIST", "", DirServerToClient, ModeActive, "PORT", 342, StatusComplete, 226, "199.233.217.249:61920", "141.142.220.235:33582"},
		{"RETR", "robots.txt", DirServerToClient, ModeActive, "PORT", 77, StatusComplete, 226, "199.233.217.249:61918", "141.142.220.235:37835"},
	})
	if len(res.sessions) != 1 {
		t.Fatalf("%d sessions", len(res.sessions))
	}
	// USER PASS SYST PASV LIST TYPE PASV RETR TYPE PORT LIST TYPE PORT RETR QUIT
	s := res.sessions[0]
	if s.User != "anonymous" || !s.LoggedIn || !s.SawStart || s.Commands != 15 || s.Transfers != 4 ||
		s.BytesDown != 838 || s.BytesUp != 0 || s.LastReply != 221 || s.ClientPort != 50003 || s.ServerPort != 21 {
		t.Errorf("session %+v", s)
	}
	// -z conv,tcp: 4 data connections of 8 frames each.
	if len(res.dataFTP) != 32 {
		t.Errorf("%d data packets, want 32", len(res.dataFTP))
	}
	// First transfer: SYN at 1329843175.736107 (frame 21), 226 at
	// 1329843175.903843 (frame 32).
	if x := res.transfers[0]; x.StartTime != 1329843175736107000 || x.EndTime != 1329843175903843000 {
		t.Errorf("LIST times %d..%d", x.StartTime, x.EndTime)
	}
}

// TestZeekIPv6: EPSV LIST, NLST, RETR, then EPRT |2| RETR and LIST.
func TestZeekIPv6(t *testing.T) {
	res := run(t, samplePath(t, "ftp-active/zeek_ftp_ipv6.pcap"), DefaultConfig())
	const c, srv = "2001:470:1f11:81f:c999:d94:aa7c:2e3e", "2001:470:4867:99::21"
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "EPSV", 342, StatusComplete, 226, c + ":49186", srv + ":57086"},
		{"NLST", "", DirServerToClient, ModePassive, "EPSV", 43, StatusComplete, 226, c + ":49187", srv + ":57087"},
		{"RETR", "robots.txt", DirServerToClient, ModePassive, "EPSV", 77, StatusComplete, 226, c + ":49188", srv + ":57088"},
		{"RETR", "robots.txt", DirServerToClient, ModeActive, "EPRT", 77, StatusComplete, 226, srv + ":55785", c + ":49189"},
		{"LIST", "", DirServerToClient, ModeActive, "EPRT", 342, StatusComplete, 226, srv + ":55647", c + ":49190"},
	})
	// USER PASS SYST FEAT PWD EPSV LIST EPSV NLST TYPE SIZE EPSV RETR MDTM
	// SIZE EPRT RETR MDTM TYPE EPRT LIST QUIT
	s := res.sessions[0]
	if len(res.sessions) != 1 || s.ClientAddr != c || s.ServerAddr != srv || s.Commands != 22 || s.Transfers != 5 ||
		s.BytesDown != 881 || !s.LoggedIn {
		t.Errorf("sessions %+v", res.sessions)
	}
	if len(res.dataFTP) != 45 { // 5 connections of 9 frames
		t.Errorf("%d data packets, want 45", len(res.dataFTP))
	}
}

// TestChrisSandersIncomplete: PASV RETR Music.mp3 (4,980,924 B announced);
// the capture stops after 5,808 B of data with no 226.
func TestChrisSandersIncomplete(t *testing.T) {
	res := run(t, samplePath(t, "ftp-passive/chrissanders_ppa1e_ftp.pcap"), DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"RETR", "Music.mp3", DirServerToClient, ModePassive, "PASV", 5808, StatusIncomplete, 0, "192.168.0.114:1140", "192.168.0.193:7254"},
	})
	// USER PASS SYST FEAT CLNT CWD PWD TYPE SIZE PASV RETR; last reply 150.
	s := res.sessions[0]
	if len(res.sessions) != 1 || s.User != "csanders" || !s.LoggedIn || s.Commands != 11 || s.LastReply != 150 || s.BytesDown != 5808 {
		t.Errorf("sessions %+v", res.sessions)
	}
	// 8 frames of the data connection; the stray HTTP frames
	// (192.168.0.114:4844 <-> 63.245.209.21:80) are not FTP.
	if len(res.dataFTP) != 8 {
		t.Errorf("%d data packets, want 8", len(res.dataFTP))
	}
}

// TestZeekNumbersInFilename: the control capture starts mid-session (no
// SYN, no USER, no 220): PASV LIST x3 and RETR with a path argument.
func TestZeekNumbersInFilename(t *testing.T) {
	res := run(t, samplePath(t, "ftp-passive/zeek_ftp-with-numbers-in-filename.pcap"), DefaultConfig())
	const c, srv = "192.168.21.95", "164.107.123.6"
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 127, StatusComplete, 226, c + ":54092", srv + ":47035"},
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 134, StatusComplete, 226, c + ":54093", srv + ":47079"},
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 530096, StatusComplete, 226, c + ":54094", srv + ":47059"},
		{"RETR", "/mirror/internic/rfc/rfc1001.txt", DirServerToClient, ModePassive, "PASV", 154427, StatusComplete, 226, c + ":54095", srv + ":47045"},
	})
	// PASV CWD LIST x3, PASV SIZE MDTM RETR: 13 commands.
	s := res.sessions[0]
	if len(res.sessions) != 1 || s.ClientAddr != c || s.ClientPort != 54089 || s.ServerPort != 21 || s.User != "" ||
		s.LoggedIn || s.SawStart || s.Commands != 13 || s.LastReply != 226 {
		t.Errorf("sessions %+v", res.sessions)
	}
	if len(res.dataFTP) != 741 { // 556 + 167 + 9 + 9 frames
		t.Errorf("%d data packets, want 741", len(res.dataFTP))
	}
}

// TestZeekBigTransfer: RETR rand.txt of 5,416,666,670 B (SIZE reply, frame
// 40); only 12 packets (23,822 B of payload) of its data connection are in
// the capture, whose sequence numbers wrap past 2^32 twice. ISN 3914442133
// (frame 46, SYN-ACK), FIN at seq 741173030 + 1182 (frame 69): 741174212 -
// 3914442134 + 2*2^32 = 5416666670 B.
func TestZeekBigTransfer(t *testing.T) {
	res := run(t, samplePath(t, "ftp-passive/zeek_ftp_bigtransfer.pcap"), DefaultConfig())
	const c, srv = "192.168.56.1", "192.168.56.101"
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "EPSV", 270, StatusComplete, 226, c + ":59763", srv + ":63988"},
		{"RETR", "rand.txt", DirServerToClient, ModePassive, "EPSV", 5416666670, StatusComplete, 226, c + ":59764", srv + ":37150"},
	})
	// USER SYST FEAT PWD EPSV LIST TYPE SIZE EPSV RETR MDTM QUIT; Pure-FTPd
	// answers USER ftp with 230.
	s := res.sessions[0]
	if len(res.sessions) != 1 || s.User != "ftp" || !s.LoggedIn || s.Commands != 12 || s.BytesDown != 5416666940 {
		t.Errorf("sessions %+v", res.sessions)
	}
	// SYN 1395939411.361078 (frame 45) to 226 1395939561.890652 (frame 73).
	x := res.transfers[1]
	if x.StartTime != 1395939411361078000 || x.EndTime != 1395939561890652000 {
		t.Errorf("RETR times %d..%d", x.StartTime, x.EndTime)
	}
	if len(res.dataFTP) != 34 {
		t.Errorf("%d data packets, want 34", len(res.dataFTP))
	}
}

// TestZeekCWDNavigation: one long control connection (8,317 packets) with
// 687 RETR and no data connection in the file: the server answered 226 to
// every one, and every transfer is data_not_captured (0 bytes for
// unknown; a trial read them as 687 empty files marked "incomplete",
// which means no final reply). The capture
// misses 9 segments (tshark: "Previous segment(s) not captured"), one of
// them a RETR; the server sits behind a NAT (control 10.167.25.101, 227
// announces 205.167.25.101).
func TestZeekCWDNavigation(t *testing.T) {
	res := run(t, samplePath(t, "ftp-edge/zeek_ftp_cwd-navigation.pcap"), DefaultConfig())
	if len(res.transfers) != 687 {
		t.Fatalf("%d transfers, want 687", len(res.transfers))
	}
	for i, x := range res.transfers {
		if x.Command != "RETR" || x.Bytes != 0 || x.Status != StatusDataNotCaptured || x.ReplyCode != 226 ||
			x.DataMode != ModePassive || x.DataDstAddr != "205.167.25.101" || x.DataSrcAddr != "10.3.22.91" {
			t.Errorf("transfer %d: %+v", i, short(x))
		}
	}
	// Frame 38: 227 (205,167,25,101,243,251) -> port 62459, RETR
	// 720962-99999-2015.gz (frame 39).
	if x := short(res.transfers[0]); x.File != "720962-99999-2015.gz" || x.Dst != "205.167.25.101:62459" {
		t.Errorf("first transfer %+v", x)
	}
	// Last RETR: 722024-99999-1994.gz (frame 8309).
	if x := res.transfers[686]; x.FileName != "722024-99999-1994.gz" {
		t.Errorf("last transfer %+v", short(x))
	}
	// Commands: CWD 1379 + TYPE 689 + PASV 688 + RETR 687 + USER + PASS;
	// replies (tshark, one per frame): 250 1378, 227 689, 226 689, 150 688,
	// 200 688, 220, 230, 331 = 4135; 9 gaps.
	st := res.stats
	if st.Commands != 3445 || st.Replies != 4135 || st.Announcements != 689 || st.AddrMismatch != 689 ||
		st.Holes != 9 || st.DataConns != 0 || st.BadLines != 0 {
		t.Errorf("stats %+v", st)
	}
	s := res.sessions[0]
	if len(res.sessions) != 1 || s.User != "anonymous" || !s.LoggedIn || s.Transfers != 687 || s.ServerAddr != "10.167.25.101" {
		t.Errorf("sessions %+v", res.sessions)
	}
}

// TestChrisSandersCrack: an FTP password brute force, 714 control
// connections, no login. The file holds its 9,865 packets twice (frames
// 9866-19730 repeat 1-9865 with the same timestamps, 44 s back in time):
// replayed with Expire only at the end, every copy is dropped as bytes
// already seen. tshark on frames <= 9865: 702 USER (335 admin, 367
// administrator), 703 PASS, replies 220 x702, 331 x703, 530 x705, 3519
// segments with payload of which 4 retransmissions.
func TestChrisSandersCrack(t *testing.T) {
	res := runEvery(t, samplePath(t, "ftp-edge/chrissanders_ppa1e_ftp-crack.pcap"), DefaultConfig(), 0)
	if len(res.sessions) != 714 {
		t.Fatalf("%d sessions, want 714", len(res.sessions))
	}
	users := map[string]int{}
	var cmds uint64
	for _, s := range res.sessions {
		if s.LoggedIn || s.Transfers != 0 {
			t.Errorf("session %+v", s)
		}
		users[s.User]++
		cmds += s.Commands
	}
	if users["admin"] != 335 || users["administrator"] != 367 || users[""] != 12 {
		t.Errorf("users %v", users)
	}
	st := res.stats
	if cmds != 1405 || st.Commands != 1405 || st.Replies != 2110 || st.Retransmitted != 3519+4 || len(res.transfers) != 0 {
		t.Errorf("commands %d, stats %+v", cmds, st)
	}
}
