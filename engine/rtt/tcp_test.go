package rtt

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tcpMixConn is one connection of lab/tcp-mix/ground_truth.json at A.
type tcpMixConn struct {
	client, server string // "addr:port"
	synNs, lastNs  int64
	handshakeUs    float64
}

func readTCPMix(t *testing.T, dir string) []tcpMixConn {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "ground_truth.json"))
	if err != nil {
		t.Fatalf("tcp-mix truth: %v", err)
	}
	var g struct {
		Connections []struct {
			At map[string]struct {
				Client      string  `json:"client"`
				Server      string  `json:"server"`
				SynNs       int64   `json:"syn_ts_ns"`
				LastNs      int64   `json:"last_ts_ns"`
				HandshakeUs float64 `json:"handshake_syn_to_synack_us"`
			} `json:"at"`
		} `json:"connections"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var out []tcpMixConn
	for _, c := range g.Connections {
		a := c.At["A"]
		out = append(out, tcpMixConn{client: a.Client, server: a.Server, synNs: a.SynNs, lastNs: a.LastNs, handshakeUs: a.HandshakeUs})
	}
	return out
}

func endpoint(addr string, port uint16) string { return addr + ":" + strconv.Itoa(int(port)) }

// TestTCPMixHandshake compares tcp_handshake with ground_truth.json at A
// (syn_ts_ns, the first SYN, + handshake_syn_to_synack_us: the first
// SYN-ACK): 8 connections, each within 1 µs, timed from their SYN. Among
// them 60878 sent its SYN three times, which the truth times from the
// first (2085815.324 µs, the two retransmission timeouts): the sample is
// timed from the latest copy (Karn, RFC 6298 §3), 59462.257 µs from
// 1795964323128094148 (tshark -r A.pcap -Y 'tcp.port==60878 &&
// tcp.flags.syn==1' -T fields -e frame.number -e frame.time_epoch: SYNs
// 593, 1255 and 1912 at 1795964321.101741081, 1795964322.104112356 and
// 1795964323.128094148, SYN-ACK 1944 at 1795964323.187556405). The flow
// id is the SYN's.
func TestTCPMixHandshake(t *testing.T) {
	lastSyn := map[string]int64{"10.10.1.100:60878": 1795964323128094148}
	dir := filepath.Join(samplesDir(t), "lab", "tcp-mix")
	conns := readTCPMix(t, dir)
	r := run(t, Config{Kinds: []string{"tcp_handshake"}}, readCapture(t, filepath.Join(dir, "A.pcap")))
	hs := r.byKind("tcp_handshake")
	if len(hs) != len(conns) || len(conns) != 8 {
		t.Fatalf("%d handshakes, ground truth %d connections (8)", len(hs), len(conns))
	}
	for _, c := range conns {
		found := false
		for _, s := range hs {
			if endpoint(s.ClientAddr, s.ClientPort) != c.client || endpoint(s.ServerAddr, s.ServerPort) != c.server {
				continue
			}
			found = true
			synAckNs := c.synNs + int64(math.Round(c.handshakeUs*1000))
			synNs := c.synNs
			if ns, ok := lastSyn[c.client]; ok {
				synNs = ns
			}
			if wantUs := float64(synAckNs-synNs) / 1000; math.Abs(s.RTTMs*1000-wantUs) > 1 || s.RequestTime != synNs {
				t.Errorf("%s: %.3f µs from %d, want %.3f µs from %d", c.client, s.RTTMs*1000, s.RequestTime, wantUs, synNs)
			}
			if want := r.flows["6 "+c.client+">"+c.server]; s.FlowID != want {
				t.Errorf("%s: flow %d, want the SYN's flow %d", c.client, s.FlowID, want)
			}
		}
		if !found {
			t.Errorf("%s: no handshake sample", c.client)
		}
	}
	for _, s := range hs {
		if s.ClientPort == 60878 && s.Detail != "syn x3" {
			t.Errorf("60878: detail %q, want \"syn x3\" (two SYN retransmissions)", s.Detail)
		}
	}
	if st := r.tr.Stats(); st.Retransmits[KindTCPHandshake] != 2 || r.unanswered["tcp_handshake"] != 0 {
		t.Errorf("SYN retransmissions %d unanswered %d, want 2 and 0", st.Retransmits[KindTCPHandshake], r.unanswered["tcp_handshake"])
	}
}

// TestTCPMixTimestamps checks tcp_ts on lab/tcp-mix/A.pcap.
//
// Against the reference testdata/tshark/tcp-mix-A-tsrtt.tsv (the RTTM rule
// applied by gen_tcpts.py to tshark's decoding of every timestamps option,
// with no bound on remembered TSvals: 3245 samples) with MaxTSvals 4096:
// the same samples, same sender, request time and RTT to the ns.
//
// With the default MaxTSvals (32), samples are a subset of those and
// plausible: RTT positive and below the duration of their connection,
// both directions of every connection sampled, and the SYN's TSval echoed
// by the SYN-ACK giving the handshake time of ground_truth.json.
// (tshark -Y tcp.analysis.ack_rtt is a different estimator, by sequence
// numbers: 1328 ACKs from the client, p50 8.9 µs, 23 from the server, p50
// 162 µs.)
func TestTCPMixTimestamps(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "tcp-mix")
	conns := readTCPMix(t, dir)
	pkts := readCapture(t, filepath.Join(dir, "A.pcap"))

	type ref struct {
		sender      string
		reqNs, rtNs int64
	}
	f, err := os.Open(filepath.Join("testdata", "tshark", "tcp-mix-A-tsrtt.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []ref
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		a, _ := strconv.ParseInt(c[1], 10, 64)
		b, _ := strconv.ParseInt(c[2], 10, 64)
		want = append(want, ref{c[0], a, b})
	}
	full := run(t, Config{Kinds: []string{"tcp_ts"}, MaxTSvals: 4096}, pkts).byKind("tcp_ts")
	if len(full) != len(want) || len(want) != 3245 {
		t.Fatalf("MaxTSvals 4096: %d samples, reference %d (3245)", len(full), len(want))
	}
	for i, w := range want {
		s := full[i]
		if endpoint(s.ClientAddr, s.ClientPort) != w.sender || s.RequestTime != w.reqNs || absDiff(int64(math.Round(s.RTTMs*1e6)), w.rtNs) > 0 {
			t.Fatalf("sample %d: %s:%d %d %.6f ms, reference %s %d %d ns", i, s.ClientAddr, s.ClientPort, s.RequestTime, s.RTTMs, w.sender, w.reqNs, w.rtNs)
		}
	}

	r := run(t, Config{Kinds: []string{"tcp_ts"}}, pkts)
	ts := r.byKind("tcp_ts")
	if st := r.tr.Stats(); st.Samples[KindTCPTS] != uint64(len(ts)) || len(ts) == 0 || len(ts) > len(want) {
		t.Fatalf("%d samples (stats %d), want 1..%d", len(ts), st.Samples[KindTCPTS], len(want))
	}
	inRef := map[ref]bool{}
	for _, w := range want {
		inRef[w] = true
	}
	perDir := map[string]int{}
	synEchoes := 0
	for _, s := range ts {
		sender, echoer := endpoint(s.ClientAddr, s.ClientPort), endpoint(s.ServerAddr, s.ServerPort)
		if !inRef[ref{sender, s.RequestTime, int64(math.Round(s.RTTMs * 1e6))}] {
			t.Errorf("sample %s %d %.6f ms not in the reference", sender, s.RequestTime, s.RTTMs)
		}
		var c *tcpMixConn
		for i := range conns {
			if (conns[i].client == sender && conns[i].server == echoer) || (conns[i].client == echoer && conns[i].server == sender) {
				c = &conns[i]
			}
		}
		if c == nil {
			t.Fatalf("sample %s > %s: no such connection", sender, echoer)
		}
		dur := float64(c.lastNs-c.synNs) / 1e6
		if s.RTTMs <= 0 || s.RTTMs >= dur || s.RequestTime < c.synNs || s.RequestTime > c.lastNs {
			t.Errorf("sample %s > %s: %.6f ms at %d, connection %d..%d (%.3f ms)", sender, echoer, s.RTTMs, s.RequestTime, c.synNs, c.lastNs, dur)
		}
		perDir[sender+">"+echoer]++
		if sender == c.client && s.RequestTime == c.synNs {
			synEchoes++
			if math.Abs(s.RTTMs*1000-c.handshakeUs) > 1 {
				t.Errorf("%s: SYN TSval echoed after %.3f µs, handshake %.3f µs", c.client, s.RTTMs*1000, c.handshakeUs)
			}
		}
	}
	if synEchoes != len(conns) {
		t.Errorf("%d SYN TSvals echoed by the SYN-ACK, want one per connection (%d)", synEchoes, len(conns))
	}
	for _, c := range conns {
		if perDir[c.client+">"+c.server] == 0 || perDir[c.server+">"+c.client] == 0 {
			t.Errorf("%s: samples %d from the client, %d from the server, want both > 0",
				c.client, perDir[c.client+">"+c.server], perDir[c.server+">"+c.client])
		}
	}
}
