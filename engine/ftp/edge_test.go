package ftp

import (
	"path/filepath"
	"slices"
	"testing"
)

func edgePath(t *testing.T, name string) string {
	return filepath.Join(samplesDir(t), "edge", name, "input.pcap")
}

// TestEdge02Variants227: 227 without parentheses, with a trailing period,
// with a NAT'ed address, and "227 Logout." (samples/edge/02-ftp-227-variants
// expected.md).
func TestEdge02Variants227(t *testing.T) {
	res := run(t, edgePath(t, "02-ftp-227-variants"), DefaultConfig())
	if len(res.sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(res.sessions))
	}
	s := res.sessions[0]
	if s.ClientAddr != "192.0.2.10" || s.ClientPort != 50200 || s.ServerAddr != "198.51.100.20" || s.ServerPort != 21 {
		t.Errorf("session %s:%d -> %s:%d", s.ClientAddr, s.ClientPort, s.ServerAddr, s.ServerPort)
	}
	// The last reply is "227 Logout." (frame 55) and the session ends by
	// FIN both ways; frame 55 announces nothing.
	if s.LastReply != 227 || !s.LoggedIn || !s.SawStart || s.User != "anonymous" || s.Transfers != 3 {
		t.Errorf("session %+v", s)
	}
	// Announcements: ports 40001, 40002, 40003; frame 41's 203.0.113.5
	// differs from the control server address (NAT mismatch).
	if res.stats.Announcements != 3 || res.stats.AddrMismatch != 1 || res.stats.BadAnnouncement != 0 {
		t.Errorf("stats %+v", res.stats)
	}
	// tshark -r input.pcap -q -z conv,tcp: 300, 2000 and 700 B of payload
	// on 40001, 40002 and 40003 (the third on 198.51.100.20, not on the
	// announced 203.0.113.5).
	checkTransfers(t, res.transfers, []xfer{
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 300, StatusComplete, 226, "192.0.2.10:50201", "198.51.100.20:40001"},
		{"RETR", "a.txt", DirServerToClient, ModePassive, "PASV", 2000, StatusComplete, 226, "192.0.2.10:50202", "198.51.100.20:40002"},
		{"RETR", "b.txt", DirServerToClient, ModePassive, "PASV", 700, StatusComplete, 226, "192.0.2.10:50203", "198.51.100.20:40003"},
	})
	// Every data packet counts as FTP: frames 12-21, 28-38 and 43-52 but
	// the control frames 15, 31 and 46 among them (tshark -r input.pcap
	// -Y 'tcp.port != 21' | wc -l -> 28).
	for _, r := range [][2]uint64{{12, 21}, {28, 38}, {43, 52}} {
		for f := r[0]; f <= r[1]; f++ {
			if f != 15 && f != 31 && f != 46 && res.dataFTP[f] != 1 {
				t.Errorf("frame %d not counted as FTP data", f)
			}
		}
	}
	if len(res.dataFTP) != 28 {
		t.Errorf("%d data packets, want 28", len(res.dataFTP))
	}
	// Times: first transfer from its SYN (frame 12, .066) to its 226
	// (frame 22, .094).
	x := res.transfers[0]
	if x.StartTime != 1700000000066000000 || x.EndTime != 1700000000094000000 {
		t.Errorf("LIST times %d..%d", x.StartTime, x.EndTime)
	}
}

// TestEdge03SplitLines: lines split over segments and two replies in one
// segment (samples/edge/03-ftp-split-lines expected.md).
func TestEdge03SplitLines(t *testing.T) {
	res := run(t, edgePath(t, "03-ftp-split-lines"), DefaultConfig())
	if len(res.sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(res.sessions))
	}
	id := res.sessions[0].SessionID
	wantCmds := []string{"USER", "PASS", "TYPE", "PASV", "RETR", "PORT", "RETR", "QUIT"}
	if got := res.commands(id); !slices.Equal(got, wantCmds) {
		t.Errorf("commands %v, want %v", got, wantCmds)
	}
	wantReplies := []int{220, 331, 230, 200, 227, 150, 226, 200, 150, 226, 221}
	if got := res.replies(id); !slices.Equal(got, wantReplies) {
		t.Errorf("replies %v, want %v", got, wantReplies)
	}
	if res.stats.Announcements != 2 || res.stats.BadLines != 0 || res.stats.UnpairedReplies != 0 {
		t.Errorf("stats %+v", res.stats)
	}
	checkTransfers(t, res.transfers, []xfer{
		{"RETR", "one.bin", DirServerToClient, ModePassive, "PASV", 1200, StatusComplete, 226, "192.0.2.10:50301", "198.51.100.20:40001"},
		{"RETR", "two.bin", DirServerToClient, ModeActive, "PORT", 800, StatusComplete, 226, "198.51.100.20:20", "192.0.2.10:50120"},
	})
}

// TestEdge04MultilineReplies: multi-line 220, 230, 150 and 226 replies, the
// 226 split over two segments 0.2 s apart (samples/edge/04-ftp-multiline-
// replies expected.md).
func TestEdge04MultilineReplies(t *testing.T) {
	res := run(t, edgePath(t, "04-ftp-multiline-replies"), DefaultConfig())
	if len(res.sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(res.sessions))
	}
	id := res.sessions[0].SessionID
	wantCmds := []string{"USER", "PASS", "TYPE", "PASV", "STOR", "PASV", "LIST", "QUIT"}
	if got := res.commands(id); !slices.Equal(got, wantCmds) {
		t.Errorf("commands %v, want %v", got, wantCmds)
	}
	var codes, lines []int
	for _, ev := range res.trace {
		if ev.Reply {
			codes = append(codes, ev.Code)
			lines = append(lines, ev.Lines)
		}
	}
	wantCodes := []int{220, 331, 230, 200, 227, 150, 226, 227, 150, 226, 221}
	wantLines := []int{3, 1, 3, 1, 1, 2, 3, 1, 1, 1, 1}
	if !slices.Equal(codes, wantCodes) || !slices.Equal(lines, wantLines) {
		t.Errorf("replies %v lines %v, want %v %v", codes, lines, wantCodes, wantLines)
	}
	if res.stats.UnpairedReplies != 0 || res.stats.Replies != 11 {
		t.Errorf("stats %+v", res.stats)
	}
	checkTransfers(t, res.transfers, []xfer{
		{"STOR", "up.dat", DirClientToServer, ModePassive, "PASV", 2500, StatusComplete, 226, "192.0.2.10:50401", "198.51.100.20:40001"},
		{"LIST", "", DirServerToClient, ModePassive, "PASV", 120, StatusComplete, 226, "192.0.2.10:50402", "198.51.100.20:40002"},
	})
	// The STOR ends with the last line of its 226 (frame 27, .298), after
	// the data connection's last packet (frame 24, .093); it starts at the
	// SYN (frame 14, .080).
	x := res.transfers[0]
	if x.StartTime != 1700000000080000000 || x.EndTime != 1700000000298000000 {
		t.Errorf("STOR times %d..%d", x.StartTime, x.EndTime)
	}
	if x.DurationS != 0.218 || x.ThroughputMbps != 2500*8/0.218/1e6 {
		t.Errorf("STOR duration %v throughput %v", x.DurationS, x.ThroughputMbps)
	}
	s := res.sessions[0]
	if s.BytesUp != 2500 || s.BytesDown != 120 || s.Commands != 8 || s.LastReply != 221 {
		t.Errorf("session %+v", s)
	}
}
