package tcpconn

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// Expected values below come from tshark 4.0.17:
//
//	tshark -n -q -z conv,tcp -r FILE                     (connections, frames per side)
//	tshark -n -r FILE -Y tcp -T fields -e tcp.stream -e ip.src -e tcp.srcport \
//	  -e tcp.flags -e tcp.seq -e tcp.len -e tcp.options.wscale.shift \
//	  -e tcp.options.mss_val -e tcp.options.sack_perm -e tcp.analysis.retransmission \
//	  -e tcp.analysis.out_of_order -e tcp.analysis.zero_window
//
// summarised per connection and side as the lab generator does
// (../shared/lab/make-lab-captures.sh, tcp_connections()): payload bytes =
// highest relative sequence number reached minus 1, packets, options of the
// SYN, handshake times from the first SYN and the first SYN-ACK. conn_state
// and history follow Zeek's rules (zeek.go); where a Zeek baseline exists
// it is cited.
type wantConn struct {
	client, server string
	state, history string
	sawStart       bool
	sawEnd         bool
	pay, miss      [2]uint64 // client, server
	pkts, rtx, ooo [2]uint64
	ws             [2]int16  // -2: NULL (the side's SYN not seen)
	mss            [2]uint16 // 0: NULL
	sack           bool
	synSynackUs    float64 // -1: NULL
	synackAckUs    float64 // -1: NULL
}

func checkConn(t *testing.T, r *observe.TCPConnection, w wantConn) {
	t.Helper()
	got := endpoint(r.ClientAddr, r.ClientPort) + " " + endpoint(r.ServerAddr, r.ServerPort)
	if got != w.client+" "+w.server {
		t.Errorf("endpoints %s, want %s %s", got, w.client, w.server)
		return
	}
	eq := func(what string, g, w any) {
		if g != w {
			t.Errorf("%s: %s %v, want %v", got, what, g, w)
		}
	}
	eq("conn_state", r.ConnState, w.state)
	eq("history", r.History, w.history)
	eq("saw_start", r.SawStart, w.sawStart)
	eq("saw_end", r.SawEnd, w.sawEnd)
	eq("payload", [2]uint64{r.ClientPayloadBytes, r.ServerPayloadBytes}, w.pay)
	eq("missing", [2]uint64{r.ClientMissingBytes, r.ServerMissingBytes}, w.miss)
	eq("packets", [2]uint64{r.ClientPackets, r.ServerPackets}, w.pkts)
	eq("retransmissions", [2]uint64{r.ClientRetransmissions, r.ServerRetransmissions}, w.rtx)
	eq("out_of_order", [2]uint64{r.ClientOutOfOrder, r.ServerOutOfOrder}, w.ooo)
	eq("wscale", [2]int16{wsOf(r.ClientWScale), wsOf(r.ServerWScale)}, w.ws)
	eq("mss", [2]uint16{mssOf(r.ClientMSS), mssOf(r.ServerMSS)}, w.mss)
	eq("sack_permitted", r.SACKPermitted, w.sack)
	checkUs(t, got+" SYN to SYN-ACK", r.HandshakeSynSynackMs, w.synSynackUs)
	checkUs(t, got+" SYN-ACK to ACK", r.HandshakeSynackAckMs, w.synackAckUs)
	if r.BoundaryOnly || r.EndTime < r.StartTime || r.DurationS != float64(r.EndTime-r.StartTime)/1e9 {
		t.Errorf("%s: boundary %v times %d..%d duration %v", got, r.BoundaryOnly, r.StartTime, r.EndTime, r.DurationS)
	}
}

// wsOf returns a window scale column, -2 for NULL.
func wsOf(p *int16) int16 {
	if p == nil {
		return -2
	}
	return *p
}

// mssOf returns an MSS column, 0 for NULL (never a real MSS).
func mssOf(p *uint16) uint16 {
	if p == nil {
		return 0
	}
	return *p
}

func checkUs(t *testing.T, what string, got *float64, wantUs float64) {
	t.Helper()
	if wantUs < 0 {
		if got != nil {
			t.Errorf("%s: %v ms, want NULL", what, *got)
		}
		return
	}
	if !msEq(got, wantUs, 1) {
		t.Errorf("%s: %v ms, want %v us", what, fmtMs(got), wantUs)
	}
}

func TestSampleCaptures(t *testing.T) {
	none := [2]uint64{}
	for _, c := range []struct {
		file string
		want []wantConn
	}{
		// Connection refused: SYN answered by RST/ACK (REJ, Zeek "Sr").
		{"tcp-retrans-rst/chrissanders_tcp_refuseconnection.pcapng", []wantConn{{
			client: "192.168.100.138:3372", server: "192.168.100.1:80", state: "REJ", history: "Sr",
			sawStart: true, sawEnd: true, pkts: [2]uint64{1, 1},
			ws: [2]int16{-1, -2}, mss: [2]uint16{1460, 0}, synSynackUs: -1, synackAckUs: -1}}},
		// Mid-stream (no SYN): one 648-byte segment sent 6 times
		// (tcp.analysis.retransmission 5); only one direction captured.
		// The client is the side with the higher port.
		{"tcp-retrans-rst/chrissanders_tcp_retransmissions.pcapng", []wantConn{{
			client: "10.3.30.1:1048", server: "10.3.71.7:1043", state: "OTH", history: "DT",
			pay: [2]uint64{648, 0}, pkts: [2]uint64{6, 0}, rtx: [2]uint64{5, 0},
			ws: [2]int16{-2, -2}, synSynackUs: -1, synackAckUs: -1}}},
		// Same, both directions: the first packet comes from the lower
		// port, hence Zeek's '^' (direction flipped).
		{"tcp-retrans-rst/chrissanders_ppa1e_tcp-con-lost.pcap", []wantConn{{
			client: "10.3.30.1:1048", server: "10.3.71.7:1043", state: "OTH", history: "^aDT",
			pay: [2]uint64{648, 0}, pkts: [2]uint64{6, 3}, rtx: [2]uint64{5, 0},
			ws: [2]int16{-2, -2}, synSynackUs: -1, synackAckUs: -1}}},
		// Mid-stream download: 4 server segments of 1368 B (5472 B seen),
		// the last one a fast retransmission 10944 B below the first one
		// seen; sequence space 15048 B of which 9576 never captured.
		{"tcp-retrans-rst/chrissanders_tcp_dupack.pcapng", []wantConn{{
			client: "172.31.136.85:38760", server: "195.81.202.68:80", state: "OTH", history: "Adt",
			pay: [2]uint64{0, 15048}, miss: [2]uint64{0, 9576}, pkts: [2]uint64{5, 4}, rtx: [2]uint64{0, 1},
			ws: [2]int16{-2, -2}, synSynackUs: -1, synackAckUs: -1}}},
		// HTTP upload with loss: 17 + 3 retransmissions; 4332 B of the
		// client's 33208 never captured (union of tcp.seq + IP-announced
		// segment lengths; tshark's own tcp.len gives 4376 because 5
		// frames hold less than their IP total length).
		{"tcp-retrans-rst/zeek_tcp_reassembly.pcap", []wantConn{{
			client: "63.193.213.194:2564", server: "128.3.97.175:80", state: "SF", history: "ShADafTTF",
			sawStart: true, sawEnd: true, pay: [2]uint64{33208, 0}, miss: [2]uint64{4332, 0},
			pkts: [2]uint64{54, 63}, rtx: [2]uint64{17, 3},
			ws: [2]int16{-1, 0}, mss: [2]uint16{1460, 1460}, synSynackUs: 9542, synackAckUs: 30451}}},
		// RST injected before the SYN-ACK: Zeek's state machine leaves the
		// responder in RESET, hence REJ although data follows.
		{"tcp-retrans-rst/zeek_tcp_rst-inject-rae.pcap", []wantConn{{
			client: "1.2.0.2:2527", server: "1.2.0.3:6649", state: "REJ", history: "SrhADa",
			sawStart: true, sawEnd: true, pay: [2]uint64{175, 0}, pkts: [2]uint64{4, 5},
			ws: [2]int16{0, 2}, mss: [2]uint16{1372, 1440}, sack: true, synSynackUs: 1266240, synackAckUs: 1625}}},
		// 166 duplicated segments: tcp.analysis.retransmission 74 + 92.
		// History as Zeek's baseline testing/btest/Baseline/core.tcp.tcp-dups/out.
		{"tcp-retrans-rst/zeek_tcp_ssh-dups.pcap", []wantConn{{
			client: "192.168.0.102:53206", server: "192.168.0.112:22", state: "SF", history: "ShADTadtTtFf",
			sawStart: true, sawEnd: true, pay: [2]uint64{3705, 4273}, pkts: [2]uint64{225, 152}, rtx: [2]uint64{74, 92},
			ws: [2]int16{6, 7}, mss: [2]uint16{1460, 1460}, sack: true, synSynackUs: 40, synackAckUs: 158}}},
		// SYN-ACK captured before the SYN: the SYN-ACK's receiver is the
		// client ('^'), SYN to SYN-ACK is negative (-260 us) hence NULL.
		{"tcp-options/zeek_tcp_handshake-reorder.pcap", []wantConn{{
			client: "141.142.228.5:59856", server: "192.150.187.43:80", state: "SF", history: "^hSADadFf",
			sawStart: true, sawEnd: true, pay: [2]uint64{136, 5007}, pkts: [2]uint64{7, 7},
			ws: [2]int16{4, 7}, mss: [2]uint16{1460, 1460}, sack: true, synSynackUs: -1, synackAckUs: 294}}},
		{"tcp-options/zeek_tcp_options.pcap", []wantConn{{
			client: "192.168.1.102:36861", server: "193.1.193.64:80", state: "S1", history: "ShAD",
			sawStart: true, pay: [2]uint64{104, 0}, pkts: [2]uint64{3, 1},
			ws: [2]int16{6, 7}, mss: [2]uint16{1460, 1380}, sack: true, synSynackUs: 190688, synackAckUs: 202}}},
		// TCP Fast Open: the second SYN carries 86 B (tcp.len 86; the lab
		// formula seq+len-1 gives 85 because it ignores the SYN's own
		// sequence number). Zeek's rules mark that SYN's data 'T'.
		{"tcp-options/zeek_tcp_tcp-fast-open.pcap", []wantConn{{
			client: "10.99.99.1:55533", server: "10.99.99.45:80", state: "SF", history: "ShDadfF",
			sawStart: true, sawEnd: true, pay: [2]uint64{65, 200}, pkts: [2]uint64{3, 5},
			ws: [2]int16{7, 6}, mss: [2]uint16{1460, 1460}, sack: true, synSynackUs: 602, synackAckUs: 159}, {
			client: "10.99.99.1:55534", server: "10.99.99.45:80", state: "SF", history: "SThAdfFa",
			sawStart: true, sawEnd: true, pay: [2]uint64{86, 1307}, pkts: [2]uint64{4, 4},
			ws: [2]int16{7, 6}, mss: [2]uint16{1460, 1460}, sack: true, synSynackUs: 207, synackAckUs: 51}}},
		// Window scale shift 255 in the SYN, reported as sent (RFC 7323
		// §2.3: receivers use 14).
		{"tcp-options/zeek_tcp_window-scale-range.pcap", []wantConn{{
			client: "10.0.0.1:40000", server: "10.0.0.2:80", state: "S1", history: "ShADa",
			sawStart: true, pay: [2]uint64{5, 0}, pkts: [2]uint64{3, 2},
			ws: [2]int16{255, 7}, mss: [2]uint16{1460, 1460}, synSynackUs: 100000, synackAckUs: 100000}}},
		// snaplen 96: payload from sequence numbers, not captured bytes.
		{"truncated-snaplen/zeek_communityid_tcp.pcap", []wantConn{{
			client: "128.232.110.120:34855", server: "66.35.250.204:80", state: "SF", history: "ShADadfF",
			sawStart: true, sawEnd: true, pay: [2]uint64{496, 1731}, pkts: [2]uint64{6, 6},
			ws: [2]int16{0, 0}, mss: [2]uint16{1460, 1460}, sack: true, synSynackUs: 143656, synackAckUs: 147}}},
		{"truncated-snaplen/zeek_tcp_timestamp.pcap", []wantConn{{
			client: "192.168.1.10:60706", server: "192.168.2.20:12345", state: "SF", history: "ShAdfFa",
			sawStart: true, sawEnd: true, pay: [2]uint64{0, 1000000}, pkts: [2]uint64{185, 693},
			ws: [2]int16{7, 7}, mss: [2]uint16{1460, 1460}, synSynackUs: 50854, synackAckUs: 427}}},
		// snaplen 68: the SYN is cut inside its options (tshark's conv,tcp
		// leaves it out: 9 client frames; -Y tcp counts 10).
		{"truncated-snaplen/zeek_tcp_truncated-header.pcap", []wantConn{{
			client: "201.186.157.67:60827", server: "128.3.26.249:25", state: "SF", history: "ShAdDafF",
			sawStart: true, sawEnd: true, pay: [2]uint64{128, 477}, pkts: [2]uint64{10, 14},
			ws: [2]int16{-1, -1}, mss: [2]uint16{1460, 1460}, synSynackUs: 227, synackAckUs: 198527}}},
		// No TCP at all.
		{"truncated-snaplen/zeek_trunc_icmp-payload-trunc.pcap", nil},
		{"truncated-snaplen/zeek_trunc_trunc-hdr.pcap", nil},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			rows := runFile(t, filepath.Join("pcap", c.file))
			if len(rows) != len(c.want) {
				t.Fatalf("%d connections, tshark conv,tcp lists %d", len(rows), len(c.want))
			}
			for i := range rows {
				checkConn(t, &rows[i], c.want[i])
			}
			_ = none
		})
	}
}

// sshConn is one connection of zeek_ssh_ssh.pcap: payload, packets and
// tcp.analysis.retransmission per side (same tshark fields as above).
type sshConn struct {
	client       string
	pay, pk, rtx [2]uint64
}

// TestSSHCapture checks the 23 connections of zeek_ssh_ssh.pcap (tshark
// conv,tcp: 23 conversations; 24 SYNs, one retransmitted), among them one
// mid-stream connection (no SYN, saw_start false) and one closed by the
// responder's RST (RSTR).
func TestSSHCapture(t *testing.T) {
	want := []sshConn{
		{"192.168.1.79:51880", [2]uint64{2669, 2501}, [2]uint64{25, 20}, [2]uint64{0, 0}},
		{"10.0.0.18:40184", [2]uint64{3813, 3633}, [2]uint64{22, 26}, [2]uint64{0, 0}},
		{"192.168.2.1:57189", [2]uint64{5253, 3489}, [2]uint64{38, 29}, [2]uint64{0, 0}},
		{"192.168.2.1:57191", [2]uint64{576, 813}, [2]uint64{23, 16}, [2]uint64{1, 0}},
		{"192.168.2.1:55179", [2]uint64{2757, 1721}, [2]uint64{37, 29}, [2]uint64{0, 0}},
		{"192.168.2.1:56594", [2]uint64{480, 537}, [2]uint64{17, 14}, [2]uint64{0, 0}},
		{"192.168.2.1:56821", [2]uint64{820, 1125}, [2]uint64{26, 20}, [2]uint64{1, 0}},
		{"192.168.2.1:56837", [2]uint64{692, 997}, [2]uint64{25, 19}, [2]uint64{0, 0}},
		{"192.168.2.1:56845", [2]uint64{660, 965}, [2]uint64{26, 20}, [2]uint64{1, 0}},
		{"192.168.2.1:56875", [2]uint64{588, 549}, [2]uint64{19, 16}, [2]uint64{0, 0}},
		{"192.168.2.1:56878", [2]uint64{684, 825}, [2]uint64{25, 19}, [2]uint64{1, 0}},
		{"192.168.2.1:56940", [2]uint64{500, 609}, [2]uint64{14, 10}, [2]uint64{0, 0}},
		{"192.168.2.1:57831", [2]uint64{576, 813}, [2]uint64{23, 18}, [2]uint64{1, 0}},
		{"192.168.2.1:59246", [2]uint64{3049, 4165}, [2]uint64{32, 23}, [2]uint64{0, 0}},
		{"192.168.1.32:41164", [2]uint64{6087, 3015}, [2]uint64{32, 33}, [2]uint64{0, 0}},
		{"192.168.1.32:33910", [2]uint64{6471, 6037}, [2]uint64{33, 29}, [2]uint64{0, 0}},
		{"192.168.1.32:41268", [2]uint64{5613, 2487}, [2]uint64{24, 20}, [2]uint64{0, 0}},
		{"192.168.1.31:52294", [2]uint64{3729, 2229}, [2]uint64{36, 24}, [2]uint64{1, 0}},
		{"192.168.1.31:51489", [2]uint64{4029, 2497}, [2]uint64{42, 27}, [2]uint64{3, 2}},
		// mid-stream: 45 + 31 B, FIN retransmitted twice
		{"192.168.1.31:51476", [2]uint64{76, 0}, [2]uint64{6, 5}, [2]uint64{2, 0}},
		{"192.168.1.32:58641", [2]uint64{2885, 2309}, [2]uint64{16, 13}, [2]uint64{0, 0}},
		{"192.168.1.32:58646", [2]uint64{4477, 535101}, [2]uint64{179, 226}, [2]uint64{0, 0}},
		{"192.168.1.32:58649", [2]uint64{4477, 534861}, [2]uint64{183, 236}, [2]uint64{0, 0}},
	}
	rows := runFile(t, "pcap/tcp-options/zeek_ssh_ssh.pcap")
	if len(rows) != len(want) {
		t.Fatalf("%d connections, tshark conv,tcp lists %d", len(rows), len(want))
	}
	by := map[string]*observe.TCPConnection{}
	for i := range rows {
		by[endpoint(rows[i].ClientAddr, rows[i].ClientPort)] = &rows[i]
	}
	for _, w := range want {
		r := by[w.client]
		if r == nil {
			t.Errorf("%s: not reported", w.client)
			continue
		}
		g := sshConn{w.client, [2]uint64{r.ClientPayloadBytes, r.ServerPayloadBytes},
			[2]uint64{r.ClientPackets, r.ServerPackets}, [2]uint64{r.ClientRetransmissions, r.ServerRetransmissions}}
		if g != w {
			t.Errorf("got %+v, want %+v", g, w)
		}
		switch w.client {
		case "192.168.1.31:51476":
			if r.SawStart || r.ConnState != StateSF {
				t.Errorf("%s: saw_start %v state %s, want false SF", w.client, r.SawStart, r.ConnState)
			}
		case "192.168.2.1:55179":
			if r.ConnState != StateRSTR || !r.SawEnd {
				t.Errorf("%s: state %s saw_end %v, want RSTR true", w.client, r.ConnState, r.SawEnd)
			}
		default:
			if !r.SawStart || r.ConnState != StateSF {
				t.Errorf("%s: saw_start %v state %s, want true SF", w.client, r.SawStart, r.ConnState)
			}
		}
	}
}

// TestEdgeSeqWrapHoles is edge case 06 (expected.md): client ISN
// 0xFFFFF000, the raw sequence number wraps in frame 5, then two capture
// holes of 2,147,000,000 B each.
func TestEdgeSeqWrapHoles(t *testing.T) {
	rows := runFile(t, "edge/06-tcp-seq-wrap-holes/input.pcap")
	if len(rows) != 1 {
		t.Fatalf("%d connections, want 1", len(rows))
	}
	r := &rows[0]
	checkConn(t, r, wantConn{
		client: "192.0.2.50:50600", server: "198.51.100.60:5001", state: "SF", history: "ShADaFf",
		sawStart: true, sawEnd: true,
		pay:  [2]uint64{4_294_008_144, 0}, // FIN relative seq 4,294,008,145 - 1
		miss: [2]uint64{4_294_000_000, 0}, // 2 gaps of 2,147,000,000
		pkts: [2]uint64{9, 6}, mss: [2]uint16{1460, 1460}, ws: [2]int16{-1, -1},
		synSynackUs: 1000, synackAckUs: 1000,
	})
	// captured payload 8144 = 6144 + 1000 + 1000
	if seen := r.ClientPayloadBytes - r.ClientMissingBytes; seen != 8144 {
		t.Errorf("captured payload %d, want 8144", seen)
	}
}

// TestEdgeCaplenOverSnaplen is edge case 19: records longer than the file's
// snaplen, two 8960 B segments and one of 100 B.
func TestEdgeCaplenOverSnaplen(t *testing.T) {
	rows := runFile(t, "edge/19-pcap-caplen-over-snaplen/input.pcap")
	if len(rows) != 1 {
		t.Fatalf("%d connections, want 1", len(rows))
	}
	checkConn(t, &rows[0], wantConn{
		client: "192.0.2.241:51900", server: "198.51.100.251:9000", state: "SF", history: "ShADaFf",
		sawStart: true, sawEnd: true, pay: [2]uint64{18020, 0}, pkts: [2]uint64{7, 6},
		mss: [2]uint16{1460, 1460}, ws: [2]int16{-1, -1}, synSynackUs: 100, synackAckUs: 100,
	})
}
