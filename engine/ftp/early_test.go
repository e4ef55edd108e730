package ftp

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// sortFrames orders frames by capture time (stable: equal times keep
// their order).
func sortFrames(fr []capgen.Frame) []capgen.Frame {
	slices.SortStableFunc(fr, func(a, b capgen.Frame) int { return cmp.Compare(a.TimeNs, b.TimeNs) })
	return fr
}

// segConv builds the frames of one TCP connection, keeping each side's
// sequence number (SYN and FIN count one).
type segConv struct {
	c, s   capgen.TCP // templates: Src, Dst of each side
	ic, is uint32
	fr     *[]capgen.Frame
}

func newSegConv(fr *[]capgen.Frame, client, server string, ic, is uint32) *segConv {
	c, s := capgen.AP(client), capgen.AP(server)
	return &segConv{c: capgen.TCP{Src: c, Dst: s, Win: 502}, s: capgen.TCP{Src: s, Dst: c, Win: 509}, ic: ic, is: is, fr: fr}
}

// add appends one segment at ms, from the client when fromClient.
func (v *segConv) add(ms float64, fromClient bool, flags, data string) {
	seg, seq, ack := v.s, &v.is, v.ic
	if fromClient {
		seg, seq, ack = v.c, &v.ic, v.is
	}
	seg.Flags, seg.Seq, seg.Payload = flags, *seq, []byte(data)
	if flags != "S" {
		seg.Ack = ack
	}
	*v.fr = append(*v.fr, capgen.Frame{TimeNs: capgen.Ms(ms), Data: seg.Seg()})
	*seq += uint32(len(data))
	if strings.ContainsAny(flags, "SF") {
		*seq++
	}
}

// TestDataSYNBeforeAnnouncement: a passive data connection whose SYN is
// captured before the 227 (or 229) reply announcing its port (the client's
// SYN seen leaving before the server's reply arrives: directions captured
// on different interfaces, or an eager client) starts its transfer at the
// SYN, as ftp_transfers start_time is documented (doc.go: "Start is the
// data connection's first packet (its SYN)"); before, it started at the
// SYN-ACK (its bytes were right). Generated capture (capgen, committed as
// testdata/data-syn-first.pcap): one session 192.0.2.10:50000 ->
// 198.51.100.20:21; transfer 1: PASV, the data SYN 50700 -> 40300 at
// 49.5 ms, the 227 (198,51,100,20,157,108 = port 40300) at 50 ms, SYN-ACK
// at 51 ms, RETR a.bin, 1000 B, FIN at 60 ms: start 49.5 ms (tcpdump -r
// shows the SYN as frame 10, the 227 as 11), end at the 226 (70 ms).
// Transfer 2: EPSV, SYN 50701 -> 40301 at 100.5 ms, 229 (|||40301|) at
// 101 ms, RETR b.bin 500 B: start 100.5 ms. Transfer 3: 8 SYNs between the
// peers to ports never announced, from 199 ms, then the data SYN 50702 ->
// 40302 at 199.95 ms: the 8 slots (two freed by transfers 1 and 2) hold
// it and 7 of the others, so when its 227 comes at 200 ms it starts there;
// the other SYN overwritten within its window is counted dropped (1).
// Transfer 4: a SYN at 2300 ms, 3 s before its 227 (beyond the 2 s
// window): it starts at its SYN-ACK (5301 ms).
func TestDataSYNBeforeAnnouncement(t *testing.T) {
	var fr []capgen.Frame
	ctl := newSegConv(&fr, "192.0.2.10:50000", "198.51.100.20:21", 1000, 5000)
	ctl.add(0, true, "S", "")
	ctl.add(1, false, "SA", "")
	ctl.add(2, true, "A", "")
	ctl.add(10, false, "PA", "220 ready\r\n")
	ctl.add(20, true, "PA", "USER anonymous\r\n")
	ctl.add(21, false, "PA", "331 Password required\r\n")
	ctl.add(30, true, "PA", "PASS x\r\n")
	ctl.add(31, false, "PA", "230 Logged in\r\n")
	transfer := func(at float64, cmd, reply string, port int, synAt float64, file string, size int) {
		ctl.add(at, true, "PA", cmd+"\r\n")
		d := newSegConv(&fr, fmt.Sprintf("192.0.2.10:%d", 50700+port-40300), fmt.Sprintf("198.51.100.20:%d", port), 700000, 900000)
		d.add(synAt, true, "S", "")
		ctl.add(at+10, false, "PA", reply+"\r\n")
		d.add(at+11, false, "SA", "")
		d.add(at+12, true, "A", "")
		ctl.add(at+13, true, "PA", "RETR "+file+"\r\n")
		ctl.add(at+14, false, "PA", "150 Opening\r\n")
		d.add(at+15, false, "PA", strings.Repeat("x", size))
		d.add(at+20, false, "FA", "")
		d.add(at+21, true, "FA", "")
		d.add(at+22, false, "A", "")
		ctl.add(at+30, false, "PA", "226 Done\r\n")
	}
	transfer(40, "PASV", "227 Entering Passive Mode (198,51,100,20,157,108)", 40300, 49.5, "a.bin", 1000)
	transfer(91, "EPSV", "229 Entering Extended Passive Mode (|||40301|)", 40301, 100.5, "b.bin", 500)
	for i := range 8 {
		other := newSegConv(&fr, fmt.Sprintf("192.0.2.10:%d", 51000+i), fmt.Sprintf("198.51.100.20:%d", 8000+i), 1, 1)
		other.add(199+float64(i)*0.1, true, "S", "")
	}
	transfer(190, "PASV", "227 Entering Passive Mode (198,51,100,20,157,110)", 40302, 199.95, "c.bin", 300)
	transfer(5290, "PASV", "227 Entering Passive Mode (198,51,100,20,157,111)", 40303, 2300, "d.bin", 200)
	path := capgen.Golden(t, "testdata/data-syn-first.pcap", capgen.PCAP(sortFrames(fr), true))
	res := run(t, path, DefaultConfig())
	checkTransfers(t, res.transfers, []xfer{
		{"RETR", "a.bin", DirServerToClient, ModePassive, "PASV", 1000, StatusComplete, 226, "192.0.2.10:50700", "198.51.100.20:40300"},
		{"RETR", "b.bin", DirServerToClient, ModePassive, "EPSV", 500, StatusComplete, 226, "192.0.2.10:50701", "198.51.100.20:40301"},
		{"RETR", "c.bin", DirServerToClient, ModePassive, "PASV", 300, StatusComplete, 226, "192.0.2.10:50702", "198.51.100.20:40302"},
		{"RETR", "d.bin", DirServerToClient, ModePassive, "PASV", 200, StatusComplete, 226, "192.0.2.10:50703", "198.51.100.20:40303"},
	})
	for i, w := range []struct{ start, end float64 }{{49.5, 70}, {100.5, 121}, {199.95, 220}, {5301, 5320}} {
		if r := res.transfers[i]; r.StartTime != capgen.Ms(w.start) || r.EndTime != capgen.Ms(w.end) {
			t.Errorf("transfer %d: %d..%d, want %d..%d (%v..%v ms)", i+1, r.StartTime, r.EndTime, capgen.Ms(w.start), capgen.Ms(w.end), w.start, w.end)
		}
	}
	if s := res.stats; s.EarlySYNs != 3 || s.EarlySYNsDropped != 1 || s.DataConns != 4 {
		t.Errorf("early SYNs %d, dropped %d, data connections %d; want 3, 1, 4", s.EarlySYNs, s.EarlySYNsDropped, s.DataConns)
	}
}
