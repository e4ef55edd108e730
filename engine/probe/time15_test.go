package probe_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// ftpLogin returns the frames of one failed FTP login (a brute-force
// attempt) from client port cport, starting at t0 (Unix ns), one packet
// every 10 ms: handshake, 220, USER, 331, PASS, 530, QUIT, 221, FINs.
func ftpLogin(cport uint16, t0 int64, pass string) []capgen.Frame {
	c := capgen.AP(fmt.Sprintf("192.0.2.66:%d", cport))
	s := capgen.AP("198.51.100.21:21")
	ic, is := uint32(cport)*100000, uint32(900000)+uint32(cport)
	var out []capgen.Frame
	at := t0
	add := func(fromClient bool, flags string, data string) {
		seg := capgen.TCP{Src: s, Dst: c, Flags: flags, Seq: is, Ack: ic, Win: 509, Payload: []byte(data)}
		if fromClient {
			seg = capgen.TCP{Src: c, Dst: s, Flags: flags, Seq: ic, Ack: is, Win: 502, Payload: []byte(data)}
		}
		if strings.Contains(flags, "S") {
			seg.Ack = 0
			if !fromClient {
				seg.Ack = ic + 1
			}
		}
		out = append(out, capgen.Frame{TimeNs: at, Data: seg.Seg()})
		at += 10e6
		n := uint32(len(data))
		if strings.ContainsAny(flags, "SF") {
			n++
		}
		if fromClient {
			ic += n
		} else {
			is += n
		}
	}
	add(true, "S", "")
	add(false, "SA", "")
	add(true, "A", "")
	add(false, "PA", "220 FTP server ready\r\n")
	add(true, "PA", "USER admin\r\n")
	add(false, "PA", "331 Password required for admin\r\n")
	add(true, "PA", "PASS "+pass+"\r\n")
	add(false, "PA", "530 Login incorrect.\r\n")
	add(true, "PA", "QUIT\r\n")
	add(false, "PA", "221 Goodbye.\r\n")
	add(false, "FA", "")
	add(true, "FA", "")
	add(false, "A", "")
	return out
}

// TestCaptureTimeSteps (issue 15.6; tcpreplay#549, #87, a repeated section
// of a real brute-force capture). Generated capture (testdata/
// time-steps.pcap), in capture order:
//
//   - 15 failed FTP logins, one every 1.5 s; the section holding logins 8
//     to 10 is repeated after them (time steps back 3.12 s: the first of
//     them ended 3 s before, within TCP's 5 s close delay but beyond the
//     FTP tracker's former 2 s linger, which made the two disagree); 5
//     more logins; the section holding the first four is repeated (time
//     steps back 21.12 s: their connections ended long ago);
//   - a 16th login whose capture clock jumps 3 hours forward between USER
//     and PASS;
//   - a TCP handshake whose SYN-ACK is stamped 18 hours before its SYN
//     (then time jumps back forward), and an ICMP echo whose reply is
//     stamped 0.5 ms before its request.
//
// Right values: TCP and FTP agree on the sessions, 20 = 16 logins + the 4
// repeated long after their connections ended (the 3 repeated within the
// close delay join their connections as retransmissions, in both); the
// jump splits nothing (one row, one session for login 16); no negative
// RTT or handshake time is written (the SYN to SYN-ACK time is NULL, the
// echo gives no sample); every step back beyond a second and every jump
// is an event with its frame number and size.
func TestCaptureTimeSteps(t *testing.T) {
	var fr []capgen.Frame
	start := capgen.Base
	logins := make([][]capgen.Frame, 16)
	for i := range 15 {
		at := start + int64(i)*1500e6
		if i >= 10 {
			at = start + 15e9 + int64(i-10)*1500e6
		}
		logins[i] = ftpLogin(uint16(40000+i), at, fmt.Sprintf("guess%d", i))
	}
	for i := range 10 {
		fr = append(fr, logins[i]...)
	}
	for i := 7; i < 10; i++ { // repeated section: time steps back 3.12 s
		fr = append(fr, logins[i]...)
	}
	for i := 10; i < 15; i++ {
		fr = append(fr, logins[i]...)
	}
	for i := range 4 { // repeated section: time steps back 21 s
		fr = append(fr, logins[i]...)
	}
	jumpFrame := len(fr) + 7 // PASS of login 16 (its 7th packet), 3 h after its USER
	l16 := ftpLogin(40015, start+30e9, "guess15")
	for i := range l16 {
		if i >= 6 {
			l16[i].TimeNs += int64(3 * time.Hour)
		}
	}
	fr = append(fr, l16...)
	// a handshake whose SYN-ACK is stamped 18 h before its SYN
	c, s := capgen.AP("192.0.2.77:45000"), capgen.AP("198.51.100.80:80")
	synAt := start + int64(3*time.Hour) + 40e9
	backAt := synAt - int64(18*time.Hour)
	fr = append(fr,
		capgen.Frame{TimeNs: synAt, Data: capgen.TCP{Src: c, Dst: s, Flags: "S", Seq: 100, Win: 64240}.Seg()},
		capgen.Frame{TimeNs: backAt, Data: capgen.TCP{Src: s, Dst: c, Flags: "SA", Seq: 700, Ack: 101, Win: 65160}.Seg()},
		capgen.Frame{TimeNs: backAt + 0.2e6, Data: capgen.TCP{Src: c, Dst: s, Flags: "A", Seq: 101, Ack: 701, Win: 502}.Seg()},
		capgen.Frame{TimeNs: synAt + 1e9, Data: capgen.TCP{Src: c, Dst: s, Flags: "RA", Seq: 101, Ack: 701}.Seg()},
	)
	backFrame := len(fr) - 2 // frame number of the SYN-ACK
	// an echo reply stamped 0.5 ms before its request (reordering)
	echoAt := synAt + 2e9
	fr = append(fr,
		capgen.Frame{TimeNs: echoAt, Data: capgen.ICMPEcho{Src: c.Addr(), Dst: s.Addr(), ID: 9, Seq: 1}.Frame()},
		capgen.Frame{TimeNs: echoAt - 0.5e6, Data: capgen.ICMPEcho{Src: s.Addr(), Dst: c.Addr(), Reply: true, ID: 9, Seq: 1}.Frame()},
	)

	b := runFrames(t, string(config.DefaultYAML()), "time-steps.pcap", fr)
	var ftpConns []observe.TCPConnection
	for _, r := range b.TCPConnections {
		if r.ServerPort == 21 {
			ftpConns = append(ftpConns, r)
		}
		for _, v := range []*float64{r.HandshakeSynSynackMs, r.HandshakeSynackAckMs, r.HandshakeRTTMs} {
			if v != nil && *v < 0 {
				t.Errorf("negative handshake time %v in %+v", *v, r)
			}
		}
		if r.DurationS < 0 {
			t.Errorf("negative duration %+v", r)
		}
		if r.ServerPort == 80 && (r.HandshakeSynSynackMs != nil || r.HandshakeSynackAckMs == nil || *r.HandshakeSynackAckMs != 0.2) {
			t.Errorf("handshake across the 18 h step: SYN to SYN-ACK %v, SYN-ACK to ACK %v; want NULL, 0.2 ms",
				r.HandshakeSynSynackMs, r.HandshakeSynackAckMs)
		}
	}
	if len(ftpConns) != 20 || len(b.FTPSessions) != 20 {
		t.Errorf("%d TCP connections to port 21, %d FTP sessions; want 20 and 20", len(ftpConns), len(b.FTPSessions))
	}
	n16 := 0
	for _, r := range ftpConns {
		if r.ClientPort == 40015 {
			n16++
			if r.History != "ShADadFfA" && r.ConnState != "SF" {
				t.Errorf("login 16 across the jump: %s %s", r.ConnState, r.History)
			}
		}
	}
	if n16 != 1 {
		t.Errorf("login 16 (3 h clock jump inside): %d rows, want 1", n16)
	}
	for _, x := range b.RTTSamples {
		if x.RTTMs < 0 {
			t.Errorf("negative RTT %+v", x)
		}
		if x.Kind == "icmp_echo" {
			t.Errorf("echo reply stamped before its request gave a sample: %+v", x)
		}
	}
	want := map[string][]string{
		// frame 131: the first repeat (login 8 at 10.5 s after login 10's
		// last packet at 13.62 s); frame 235: the second (login 1 at 0 s
		// after login 15's last packet at 21.12 s)
		"capture_time_backwards": {"frame 131:", "by 3.12s", "frame 235:", "by 21.12s", fmt.Sprintf("frame %d:", backFrame), "by 18h0m0s"},
		"capture_time_jump":      {fmt.Sprintf("frame %d:", jumpFrame), "by 3h0m0.01s", fmt.Sprintf("frame %d:", backFrame+2), "by 18h0m0.9998s"},
	}
	for kind, parts := range want {
		var msgs []string
		for _, e := range b.Events {
			if e.Kind == kind && e.Severity == observe.SevWarning {
				msgs = append(msgs, e.Message)
			}
		}
		all := strings.Join(msgs, "\n")
		for _, p := range parts {
			if !strings.Contains(all, p) {
				t.Errorf("%s events %q: no %q", kind, msgs, p)
			}
		}
	}
	info := false
	count := map[string]uint64{}
	for _, e := range b.Events {
		if e.Kind == "capture_time_backwards" && e.Severity == observe.SevInfo && strings.Contains(e.Message, "1 packet stamped") {
			info = info || e.Count == 1
		}
		count[e.Kind] += e.Count
	}
	if !info {
		t.Error("no reordering summary with count 1 for the echo reply")
	}
	// events.count: sum(count) over a kind is the things it reports (the
	// steps above, 3 back and the reordering; 2 jumps), not 0
	if count["capture_time_backwards"] != 4 || count["capture_time_jump"] != 2 {
		t.Errorf("sum(count): capture_time_backwards %d, capture_time_jump %d; want 4 and 2", count["capture_time_backwards"], count["capture_time_jump"])
	}
}

// TestImpossibleTimestamps (issue 15.7): a packet stamped near the end of
// int64 nanoseconds (year 2262) made the PDU sender's arithmetic overflow
// and replay spin forever. The probe takes a capture time before the
// epoch or after pkt.MaxTimeNs (2^62 ns, year 2116) as impossible: an
// event capture_time_invalid naming the frame, and the packet counted at
// the previous packet's time (dropped when it is the first packet). The
// replay ends and no row carries an impossible time. Generated pcapng
// (ns resolution): testdata/time-impossible.pcapng.
func TestImpossibleTimestamps(t *testing.T) {
	u := func(port uint16) []byte {
		return capgen.UDP{Src: capgen.AP(fmt.Sprintf("192.0.2.1:%d", port)), Dst: capgen.AP("198.51.100.2:9"), Payload: payload(10)}.Frame()
	}
	const year2262 = 9_223_372_036_000_000_000
	fr := []capgen.Frame{
		{TimeNs: year2262, Data: u(1000)}, // first packet: no earlier time to take
		{TimeNs: capgen.Base, Data: u(1001)},
		{TimeNs: year2262 - 5, Data: u(1002)},
		{TimeNs: capgen.Base + 1e6, Data: u(1003)},
	}
	path, err := filepath.Abs(capgen.Golden(t, "testdata/time-impossible.pcapng", capgen.PCAPNG([][]string{{"eth0"}}, fr)))
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, "", path)
	var msgs []string
	for _, e := range eventsOf(b, "capture_time_invalid") {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	// the UTC date beside the nanoseconds: date -u -d @9223372036
	// (2262-04-11T23:47:16Z), 5 ns earlier for frame 3
	if len(msgs) != 2 || !strings.Contains(all, "frame 1: capture time 9223372036000000000 ns (2262-04-11T23:47:16Z) is before 1970 or after 2116") ||
		!strings.Contains(all, "dropped") || !strings.Contains(all, "frame 3: capture time 9223372035999999995 ns (2262-04-11T23:47:15.999999995Z) is") {
		t.Errorf("capture_time_invalid events %q, want frame 1 dropped and frame 3 taken at the previous time", msgs)
	}
	var packets uint64
	for _, f := range b.Flows {
		if f.Class == "all" {
			packets += f.Packets
			if f.LastSeen > capgen.Base+1e6 || f.FirstSeen < capgen.Base {
				t.Errorf("flow %s seen %d..%d", f.Name, f.FirstSeen, f.LastSeen)
			}
		}
	}
	if packets != 3 {
		t.Errorf("%d packets in flows, want 3", packets)
	}
	for _, e := range b.Events {
		if e.Time > capgen.Base+1e9 {
			t.Errorf("event at an impossible time: %+v", e)
		}
	}
}

// TestCountersReachOutput (issue 15.13): anomalies the packages count
// become events with their first occurrence and their count in the
// interval, and every counter is in the totals events at the end. The
// generated capture (testdata/counters.pcap) holds an FTP session whose
// 227 reply announces a private address other than the server's (a NAT in
// the path, pure-ftpd#175), a DNS query sent twice before its answer (a
// retried query) and an IPv4 fragment captured twice.
func TestCountersReachOutput(t *testing.T) {
	c, s := capgen.AP("192.0.2.30:40100"), capgen.AP("198.51.100.21:21")
	ic, is := uint32(1000), uint32(5000)
	at := capgen.Base
	var fr []capgen.Frame
	add := func(fromClient bool, flags, data string) {
		seg := capgen.TCP{Src: s, Dst: c, Flags: flags, Seq: is, Ack: ic, Win: 509, Payload: []byte(data)}
		if fromClient {
			seg = capgen.TCP{Src: c, Dst: s, Flags: flags, Seq: ic, Ack: is, Win: 502, Payload: []byte(data)}
		}
		if flags == "S" {
			seg.Ack = 0
		}
		fr = append(fr, capgen.Frame{TimeNs: at, Data: seg.Seg()})
		at += 10e6
		n := uint32(len(data))
		if strings.ContainsAny(flags, "SF") {
			n++
		}
		if fromClient {
			ic += n
		} else {
			is += n
		}
	}
	add(true, "S", "")
	add(false, "SA", "")
	add(true, "A", "")
	add(false, "PA", "220 pure-ftpd\r\n")
	add(true, "PA", "PASV\r\n")
	mismatchAt := at
	add(false, "PA", "227 Entering Passive Mode (10,0,0,21,156,64)\r\n")
	add(true, "PA", "QUIT\r\n")
	add(false, "PA", "221 Bye\r\n")
	// a DNS query retried 1 s later, then answered
	q := capgen.UDP{Src: capgen.AP("192.0.2.30:5555"), Dst: capgen.AP("198.51.100.53:53"), Payload: dnsMsg(t, 7, "retry.example.org", 0)}.Frame()
	retryAt := at + 1e9
	fr = append(fr, capgen.Frame{TimeNs: at, Data: q}, capgen.Frame{TimeNs: retryAt, Data: q},
		capgen.Frame{TimeNs: retryAt + 5e6, Data: capgen.UDP{Src: capgen.AP("198.51.100.53:53"), Dst: capgen.AP("192.0.2.30:5555"), Payload: dnsMsg(t, 7, "retry.example.org", 1)}.Frame()})
	// an IPv4 fragment captured twice
	u := capgen.UDP{Src: capgen.AP("192.0.2.30:7000"), Dst: capgen.AP("198.51.100.9:7000"), IPID: 77, Payload: payload(2000)}.Frame()
	f := capgen.Fragment4(u, 1480)
	dupAt := retryAt + 10e6
	fr = append(fr, capgen.Frame{TimeNs: dupAt, Data: f[0]}, capgen.Frame{TimeNs: dupAt + 1e6, Data: f[0]}, capgen.Frame{TimeNs: dupAt + 2e6, Data: f[1]})

	b := runFrames(t, string(config.DefaultYAML()), "counters.pcap", fr)
	ev := func(kind string) *observe.Event {
		for i, e := range b.Events {
			if e.Kind == kind {
				return &b.Events[i]
			}
		}
		t.Errorf("no %s event", kind)
		return &observe.Event{}
	}
	// first occurrence: within the second of capture time the probe checks
	for _, c := range []struct {
		kind, count string
		at          int64
	}{
		{"ftp_announced_address_mismatch", "class ftp: 1 FTP data channel announced", mismatchAt},
		{"rtt_retransmitted_requests", "class dns: 1 request sent again", retryAt},
		{"ip_fragment_duplicates", "1 IP fragment repeating", dupAt + 1e6},
	} {
		e := ev(c.kind)
		if !strings.Contains(e.Message, c.count) || e.Time < c.at || e.Time > c.at+1e9 {
			t.Errorf("%s event %+v: want %q first seen within 1 s after %d", c.kind, e, c.count, c.at)
		}
	}
	for kind, want := range map[string][]string{
		"ftp_totals":   {"class ftp:", "addr_mismatch=1", "announcements=1", "sessions=1", "transfers_lost=0"},
		"rtt_totals":   {"class dns:", "retransmits_dns=1", "samples_dns=1"},
		"reasm_totals": {"duplicates=1", "datagrams=1", "oversize=0"},
		"tcp_totals":   {"class all:", "created=", "history_cut=0"},
		"probe_totals": {"packets=14", "clock_steps_back=0", "frags_not_held=0"},
	} {
		var msgs []string
		for _, e := range b.Events {
			if e.Kind == kind {
				msgs = append(msgs, e.Message)
			}
		}
		all := strings.Join(msgs, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("%s %q: no %q", kind, msgs, w)
			}
		}
	}
}

// TestClockJumpSetting: one UDP flow (a datagram every 10 s) with a silence
// of 660 s in the middle, the class's idle_timeout_s 300. By default a
// step of more than clock_jump_s 600 is a clock jump (issue 15.6): no time
// passes, the flow does not expire, one flow row and a capture_time_jump
// event. With clock_jump_s: 86400 the silence is time, as `live` (whose
// clock runs through silences) sees it: the flow expires after 300 s idle
// and its next datagram starts a second flow, no event. A 540 s silence is
// time with either (two flows).
func TestClockJumpSetting(t *testing.T) {
	frames := func(silenceS int64) []capgen.Frame {
		var out []capgen.Frame
		at := capgen.Base
		for i := range 6 {
			if i == 3 {
				at += silenceS * 1e9
			}
			u := capgen.UDP{Src: capgen.AP("192.0.2.7:5000"), Dst: capgen.AP("198.51.100.9:6000"), Payload: payload(32)}
			out = append(out, capgen.Frame{TimeNs: at, Data: u.Frame()})
			at += 10e9
		}
		return out
	}
	const classes = "classes:\n  - name: udp\n    filter: udp\n    idle_timeout_s: 300\n"
	for _, c := range []struct {
		silenceS  int64
		yaml      string
		wantFlows int
		wantJumps int
	}{
		{660, classes, 1, 1},
		{660, "clock_jump_s: 86400\n" + classes, 2, 0},
		{540, classes, 2, 0},
	} {
		b := runFrames(t, c.yaml, fmt.Sprintf("silence-%ds.pcap", c.silenceS), frames(c.silenceS))
		flows := 0
		for _, f := range b.Flows {
			if f.Class == "udp" {
				flows++
			}
		}
		if jumps := len(eventsOf(b, "capture_time_jump")); flows != c.wantFlows || jumps != c.wantJumps {
			t.Errorf("silence %d s, config %q: %d flows and %d capture_time_jump events, want %d and %d", c.silenceS, c.yaml, flows, jumps, c.wantFlows, c.wantJumps)
		}
	}
}

// TestLimitedSummarySeverity: 25 packets stamped in 2262 after a good one
// give 20 capture_time_invalid errors and a summary of the 5 more, an
// error too (a review found it written as a warning, so `where severity =
// 'error'` counted 20 of 25), and sum(count) is the 25 packets.
func TestLimitedSummarySeverity(t *testing.T) {
	const year2262 = 9_223_372_036_000_000_000
	u := capgen.UDP{Src: capgen.AP("192.0.2.1:1000"), Dst: capgen.AP("198.51.100.2:9"), Payload: payload(10)}.Frame()
	fr := []capgen.Frame{{TimeNs: capgen.Base, Data: u}}
	for i := range 25 {
		fr = append(fr, capgen.Frame{TimeNs: year2262 - int64(i), Data: u})
	}
	path, err := filepath.Abs(capgen.Golden(t, "testdata/time-invalid-25.pcapng", capgen.PCAPNG([][]string{{"eth0"}}, fr)))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	sev := map[string]int{}
	for _, e := range eventsOf(runPath(t, "", path), "capture_time_invalid") {
		n += e.Count
		sev[e.Severity]++
	}
	if n != 25 || sev[observe.SevError] != 21 || len(sev) != 1 {
		t.Errorf("capture_time_invalid: sum(count) %d, events by severity %v; want 25 and 21 errors (20 + the summary)", n, sev)
	}
}
