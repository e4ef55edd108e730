package queries

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// The named-query goldens (testdata/*.golden) are made from hand-made rows
// and rewritten by -update: they catch a change, not a wrong number. The
// tests below run each named query (tcp, rtt, ftp, oneway) over a real
// replay of a lab capture and compare its values with the lab's ground
// truth (testdata/lab, made by tshark and the lab's own oracles at capture
// time, see testdata/SOURCES.md), so a regenerated golden cannot hide a
// wrong value.

func TestMain(m *testing.M) { os.Exit(testout.Main(m)) }

// namedRows replays args, runs the named query and returns its rows keyed
// by column name.
func namedRows(t *testing.T, name string, args ...string) []map[string]any {
	t.Helper()
	out := testout.Replay(t, args...)
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, db, q.Wide)
	rows := make([]map[string]any, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = map[string]any{}
		for j, c := range res.Columns {
			rows[i][c] = r[j]
		}
	}
	return rows
}

// num converts a numeric query value to float64.
func num(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint16:
		return float64(x)
	case uint8:
		return float64(x)
	case nil:
		return math.NaN()
	}
	t.Fatalf("%T %v is not a number", v, v)
	return 0
}

// r3 rounds as the named queries do (round(x, 3)).
func r3(x float64) float64 { return math.Round(x*1000) / 1000 }

// quantileCont is DuckDB's quantile_cont: linear interpolation between
// the closest ranks of the sorted values.
func quantileCont(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := math.Floor(pos)
	hi := math.Ceil(pos)
	return sorted[int(lo)] + (pos-lo)*(sorted[int(hi)]-sorted[int(lo)])
}

func readCSVFile(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for i, h := range head {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
}

// TestFTPQueryTruth: the ftp query over lab/ftp at probe A lists the 16
// transfers of ftp_transfers.csv (the lab's record of what lftp and curl
// did, checked against vsftpd's xferlog), in order, with the same command,
// file, direction, data mode, mode command, bytes, final reply and status.
func TestFTPQueryTruth(t *testing.T) {
	rows := namedRows(t, "ftp", testsamples.Path(t, "lab", "ftp", "A.pcap"))
	truth := readCSVFile(t, testsamples.Path(t, "lab", "ftp", "ftp_transfers.csv"))
	if len(rows) != len(truth) || len(truth) != 16 {
		t.Fatalf("%d transfers, ftp_transfers.csv has %d (16)", len(rows), len(truth))
	}
	for i, w := range truth {
		r := rows[i]
		got := fmt.Sprint(r["command"], " ", r["file_name"], " ", r["direction"], " ", r["data_mode"], " ", r["mode_command"], " ", r["bytes"], " ", r["reply_code"], " ", r["status"])
		want := fmt.Sprint(w["command"], " ", w["file_name"], " ", w["direction"], " ", w["data_mode"], " ", w["mode_command"], " ", w["bytes"], " ", w["final_reply"], " ", w["status"])
		if got != want {
			t.Errorf("transfer %d: %s\n              want %s", i+1, got, want)
		}
	}
}

// TestRTTQueryTruth: the rtt query over lab/dns-snmp-ntp at probe A gives,
// per kind, the sample count, min, p50, max and mean of the pairs tshark
// made (rtt_pairs.csv: dns.time, snmp.time, ntp.delta_time; summary.json
// says no response at A was left unpaired by tshark), and for
// tcp_handshake the count, min, max and mean of summary.json's
// tcp_handshake_syn_to_synack_us (its p50 of 8 values is a nearest rank,
// the query's interpolates: not comparable).
func TestRTTQueryTruth(t *testing.T) {
	rows := namedRows(t, "rtt", testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap"))
	byKind := map[string]map[string]any{}
	for _, r := range rows {
		byKind[r["kind"].(string)] = r
	}
	ms := map[string][]float64{}
	for _, p := range readCSVFile(t, testsamples.Path(t, "lab", "dns-snmp-ntp", "rtt_pairs.csv")) {
		if p["point"] != "A" {
			continue
		}
		ns, err := strconv.ParseInt(p["rtt_ns"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ms[p["protocol"]] = append(ms[p["protocol"]], float64(ns)/1e6)
	}
	for _, kind := range []string{"dns", "snmp", "ntp"} {
		v := ms[kind]
		slices.Sort(v)
		r := byKind[kind]
		if r == nil {
			t.Errorf("%s: no row", kind)
			continue
		}
		var sum float64
		for _, x := range v {
			sum += x
		}
		want := []float64{float64(len(v)), r3(v[0]), r3(quantileCont(v, 0.5)), r3(v[len(v)-1]), r3(sum / float64(len(v)))}
		got := []float64{num(t, r["samples"]), num(t, r["min_ms"]), num(t, r["p50_ms"]), num(t, r["max_ms"]), num(t, r["mean_ms"])}
		for i, name := range []string{"samples", "min_ms", "p50_ms", "max_ms", "mean_ms"} {
			if math.Abs(got[i]-want[i]) > 0.0011 { // RTTs within 1 µs of tshark's, then rounded to µs
				t.Errorf("%s %s = %v, rtt_pairs.csv gives %v", kind, name, got[i], want[i])
			}
		}
	}
	var sum struct {
		PerPoint map[string]struct {
			Handshake struct{ N, Min, P50, Max, Mean float64 } `json:"tcp_handshake_syn_to_synack_us"`
		} `json:"per_point"`
	}
	b, err := os.ReadFile(testsamples.Path(t, "lab", "dns-snmp-ntp", "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	h := sum.PerPoint["A"].Handshake
	r := byKind["tcp_handshake"]
	if r == nil {
		t.Fatal("tcp_handshake: no row")
	}
	got := []float64{num(t, r["samples"]), num(t, r["min_ms"]), num(t, r["max_ms"]), num(t, r["mean_ms"])}
	want := []float64{h.N, h.Min / 1e3, h.Max / 1e3, h.Mean / 1e3}
	for i, name := range []string{"samples", "min_ms", "max_ms", "mean_ms"} {
		if math.Abs(got[i]-want[i]) > 0.0011 {
			t.Errorf("tcp_handshake %s = %v, summary.json gives %v", name, got[i], want[i])
		}
	}
}

// labTCPConn is one connection of lab/tcp-mix/ground_truth.json at a
// probe (tshark-derived: tcp.stream, relative sequence numbers,
// tcp.analysis.retransmission).
type labTCPConn struct {
	Client        string   `json:"client"`
	Server        string   `json:"server"`
	SynTsNs       int64    `json:"syn_ts_ns"`
	LastTsNs      int64    `json:"last_ts_ns"`
	SynToSynackUs *float64 `json:"handshake_syn_to_synack_us"`
	ClientPayload uint64   `json:"client_payload_bytes"`
	ServerPayload uint64   `json:"server_payload_bytes"`
	Analysis      struct {
		Client, Server struct {
			Retransmission int `json:"retransmission"`
		}
	} `json:"tshark_analysis"`
}

// TestTCPQueryTruth: the tcp query over lab/tcp-mix at probe A has one row
// per conversation of tshark's `-z conv,tcp` (meta/conv_tcp_A.txt) and,
// for every connection of ground_truth.json, the same client and server,
// start time (the SYN's, to the ns), duration (SYN to last packet),
// payload bytes each way, handshake SYN to SYN/ACK time, and in total
// retransmissions within 5 % of tshark's.
func TestTCPQueryTruth(t *testing.T) {
	rows := namedRows(t, "tcp", testsamples.Path(t, "lab", "tcp-mix", "A.pcap"))
	conv, err := os.ReadFile(testsamples.Path(t, "lab", "tcp-mix", "meta", "conv_tcp_A.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(conv), "<->"); len(rows) != n {
		t.Errorf("%d rows, tshark conv,tcp lists %d conversations", len(rows), n)
	}
	var gt struct {
		Connections []struct {
			At map[string]labTCPConn `json:"at"`
		} `json:"connections"`
	}
	b, err := os.ReadFile(testsamples.Path(t, "lab", "tcp-mix", "ground_truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &gt); err != nil {
		t.Fatal(err)
	}
	byClient := map[string]map[string]any{}
	for _, r := range rows {
		byClient[r["client"].(string)] = r
	}
	var retrans, wantRetrans float64
	checked := 0
	for i, c := range gt.Connections {
		w, ok := c.At["A"]
		if !ok {
			continue
		}
		r := byClient[w.Client]
		if r == nil {
			t.Errorf("connection %d: client %s not in the tcp query", i+1, w.Client)
			continue
		}
		checked++
		start, _ := r["start_time"].(time.Time)
		if r["server"] != w.Server || start.UnixNano() != w.SynTsNs ||
			num(t, r["client_payload_bytes"]) != float64(w.ClientPayload) || num(t, r["server_payload_bytes"]) != float64(w.ServerPayload) ||
			math.Abs(num(t, r["duration_s"])-r3(float64(w.LastTsNs-w.SynTsNs)/1e9)) > 0.0011 {
			t.Errorf("connection %d: %v\n  truth %+v", i+1, r, w)
		}
		if w.SynToSynackUs != nil && math.Abs(num(t, r["handshake_ms"])-*w.SynToSynackUs/1e3) > 0.0011 {
			t.Errorf("connection %d: handshake_ms %v, truth %v µs", i+1, r["handshake_ms"], *w.SynToSynackUs)
		}
		retrans += num(t, r["retransmissions"])
		wantRetrans += float64(w.Analysis.Client.Retransmission + w.Analysis.Server.Retransmission)
	}
	if checked == 0 {
		t.Fatal("no connection of ground_truth.json at A")
	}
	if math.Abs(retrans-wantRetrans) > 0.05*wantRetrans {
		t.Errorf("retransmissions %v, tshark %v: more than 5 %% apart", retrans, wantRetrans)
	}
}

// TestOnewayQueryTruth: the oneway query over lab/oneway-udp at A and B
// (samples/oneway-lab.yaml, 10 s intervals) gives, per interval of the
// send time at A, the datagrams sent, delivered and lost of
// ground_truth.csv (sequence numbers in the payload, seen or not at B), and
// the minimum, maximum and mean one-way delay of the delivered ones (B's
// time minus A's) within 1 µs, and p50/p90/p99 within the histogram's
// resolution (HdrHistogram, 2 significant digits: the nearest-rank value
// of the truth, at most 1 % + 1 µs above it).
func TestOnewayQueryTruth(t *testing.T) {
	cfg := filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml")
	rows := namedRows(t, "oneway", "--config", cfg,
		"--probe", "A="+testsamples.Path(t, "lab", "oneway-udp", "A.pcap"), "--probe", "B="+testsamples.Path(t, "lab", "oneway-udp", "B.pcap"))
	type agg struct {
		sent, delivered int
		min, max, sum   float64
		delays          []float64
	}
	const intervalNs = 10e9
	truth := map[int64]*agg{}
	for _, x := range labUDPTruth(t) {
		k := x.a / intervalNs * intervalNs
		g := truth[k]
		if g == nil {
			g = &agg{min: math.Inf(1), max: math.Inf(-1)}
			truth[k] = g
		}
		g.sent++
		if !x.delivered {
			continue
		}
		us := float64(x.b-x.a) / 1e3
		g.delivered++
		g.min, g.max, g.sum = math.Min(g.min, us), math.Max(g.max, us), g.sum+us
		g.delays = append(g.delays, us)
	}
	if len(rows) != len(truth) {
		t.Fatalf("%d rows, the truth has %d intervals", len(rows), len(truth))
	}
	for _, r := range rows {
		start, _ := r["interval_start"].(time.Time)
		g := truth[start.UnixNano()]
		if g == nil {
			t.Errorf("interval %v not in the truth", start)
			continue
		}
		if r["from_hop"] != "A" || r["to_hop"] != "B" || num(t, r["sent"]) != float64(g.sent) || num(t, r["delivered"]) != float64(g.delivered) || num(t, r["lost"]) != float64(g.sent-g.delivered) {
			t.Errorf("interval %v: %v>%v sent %v delivered %v lost %v; truth sent %d delivered %d", start, r["from_hop"], r["to_hop"], r["sent"], r["delivered"], r["lost"], g.sent, g.delivered)
		}
		mean := g.sum / float64(g.delivered)
		for _, c := range []struct {
			col  string
			want float64
		}{{"min_us", g.min}, {"max_us", g.max}, {"mean_us", mean}} {
			if got := num(t, r[c.col]); math.Abs(got-c.want) > 1 {
				t.Errorf("interval %v: %s %v, truth %.3f", start, c.col, got, c.want)
			}
		}
		slices.Sort(g.delays)
		for _, c := range []struct {
			col string
			q   float64
		}{{"p50_us", 50}, {"p90_us", 90}, {"p99_us", 99}} {
			rank := max(int(c.q/100*float64(len(g.delays))+0.5), 1) // HdrHistogram's ValueAtQuantile
			want := g.delays[rank-1]
			if got := num(t, r[c.col]); got < math.Floor(want)-1 || got > want*1.01+1 {
				t.Errorf("interval %v: %s %v, truth %.3f (nearest rank %d of %d)", start, c.col, got, want, rank, len(g.delays))
			}
		}
	}
}

// labDatagram is one datagram of lab/oneway-udp/ground_truth.csv: its
// sequence number (the send order), its capture times at A and B, ns
// since the epoch, and whether B saw it (lost otherwise; b is 0 then).
type labDatagram struct {
	seq       int
	a, b      int64
	delivered bool
}

// labUDPTruth reads lab/oneway-udp/ground_truth.csv in its order (the
// sequence numbers').
func labUDPTruth(t *testing.T) []labDatagram {
	t.Helper()
	var out []labDatagram
	for _, r := range readCSVFile(t, testsamples.Path(t, "lab", "oneway-udp", "ground_truth.csv")) {
		seq, errS := strconv.Atoi(r["seq"])
		a, errA := strconv.ParseInt(r["ts_a_ns"], 10, 64)
		d := labDatagram{seq: seq, a: a, delivered: r["ts_b_ns"] != ""}
		var errB error
		if d.delivered {
			d.b, errB = strconv.ParseInt(r["ts_b_ns"], 10, 64)
		}
		if errS != nil || errA != nil || errB != nil {
			t.Fatalf("ground_truth.csv row %v", r)
		}
		out = append(out, d)
	}
	return out
}

// TestTCPQueryIRTT: the tcp query's irtt_ms is tshark's iRTT
// (tcp.analysis.initial_rtt: the SYN to the ACK completing the
// handshake), the round trip wherever the probe sits, where SYN to SYN/ACK
// (handshake_ms) is one only beside the client. testdata/irtt-*.pcap hold
// the handshake of one HTTP connection (10.77.2.2:53094 to 10.77.1.1:8000)
// captured with tcpdump on both sides of a router (Linux network
// namespaces, veth): at the server (irtt-server-side.pcap) SYN to SYN/ACK
// is the server's 20 µs, at the client 55 µs; `tshark -T fields -e
// tcp.analysis.initial_rtt` gives 0.000043 and 0.000071 s. The compact
// query showed SYN to SYN/ACK as rtt_ms: 0.02 at the server.
func TestTCPQueryIRTT(t *testing.T) {
	q, err := Get("tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file                string
		handshakeMs, irttMs float64
	}{
		{"irtt-server-side.pcap", 0.02, 0.043},
		{"irtt-client-side.pcap", 0.055, 0.071},
	} {
		db, err := Open(testout.Replay(t, filepath.Join("testdata", c.file)))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wide := run(t, db, "SELECT handshake_ms, irtt_ms FROM ("+q.Wide+")")
		compact := run(t, db, q.SQL)
		if got, want := fmt.Sprint(wide.Rows), fmt.Sprint([][]any{{c.handshakeMs, c.irttMs}}); got != want {
			t.Errorf("%s: --wide handshake_ms, irtt_ms = %s, want %s (SYN to SYN/ACK, tshark's initial_rtt)", c.file, got, want)
		}
		if n := len(compact.Columns); n != 9 || compact.Columns[n-1] != "irtt_ms" || len(compact.Rows) != 1 || fmt.Sprint(compact.Rows[0][n-1]) != fmt.Sprint(c.irttMs) {
			t.Errorf("%s: tcp shows %v %v, want irtt_ms %v last", c.file, compact.Columns, compact.Rows, c.irttMs)
		}
	}
}

// TestTCPQueryIPv6Endpoints: the tcp query writes an IPv6 endpoint as
// [address]:port (RFC 5952 §6), as the flows names do; unbracketed,
// 2001:db8:1:2::1002:35023 reads as an address of its own (eight groups
// with ::), not port 35023 of 2001:db8:1:2::1002. The capture holds one
// HTTP connection over IPv4 and one over IPv6; `tshark -q -z conv,tcp`:
// 172.16.16.140:53350 <-> 172.16.16.139:80 and 2001:db8:1:2::1002:35023
// <-> 2001:db8:1:2::1000:80.
func TestTCPQueryIPv6Endpoints(t *testing.T) {
	rows := namedRows(t, "tcp", testsamples.Path(t, "pcap", "ipv6", "chrissanders_http_ip4and6.pcapng"))
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r["client"], " ", r["server"]))
	}
	if want := []string{"172.16.16.140:53350 172.16.16.139:80", "[2001:db8:1:2::1002]:35023 [2001:db8:1:2::1000]:80"}; !slices.Equal(got, want) {
		t.Errorf("tcp client server = %q, want %q", got, want)
	}
}

// TestConversationsTwoProbesOnAPath: the lab's tcp-mix as captured by four
// probes, two on each side of its NAT router (A and RC on the client's
// link, B and RS on the server's: each two see the same packets). Each
// conversation has a row per probe with what that probe counted: no sum
// over probes, which would count the packets again. Truth: tshark's ip.len
// summed per direction (`tshark -r X.pcap -T fields -e ip.src -e ip.dst -e
// ip.len`): A.pcap and RC.pcap 2,934 packets and 192,010 bytes
// 10.10.1.100 → 198.51.100.10, 3,502 and 5,197,742 back; B.pcap and
// RS.pcap 2,920 and 191,126 bytes 198.51.100.1 → 198.51.100.10, 4,064
// and 6,035,718 back.
func TestConversationsTwoProbesOnAPath(t *testing.T) {
	var args []string
	for _, p := range []string{"A", "RC", "B", "RS"} {
		args = append(args, "--probe", p+"="+testsamples.Path(t, "lab", "tcp-mix", p+".pcap"))
	}
	rows := namedRows(t, "conversations", append(args, "--rollup")...)
	client, server := [3]float64{192010, 5197742, 2934 + 3502}, [3]float64{191126, 6035718, 2920 + 4064}
	want := map[string][3]float64{
		"A 10.10.1.100 198.51.100.10": client, "RC 10.10.1.100 198.51.100.10": client,
		"B 198.51.100.1 198.51.100.10": server, "RS 198.51.100.1 198.51.100.10": server,
	}
	for _, r := range rows {
		k := fmt.Sprint(r["probe"], " ", r["a"], " ", r["b"])
		w, ok := want[k]
		if !ok {
			t.Errorf("conversation %s: not in tshark's", k)
			continue
		}
		delete(want, k)
		if got := [3]float64{num(t, r["bytes_a_to_b"]), num(t, r["bytes_b_to_a"]), num(t, r["packets"])}; got != w {
			t.Errorf("%s: bytes each way and packets %v, tshark %v", k, got, w)
		}
	}
	for k := range want {
		t.Errorf("no conversation %s in %d rows", k, len(rows))
	}
}

// TestSummaryPerProbe: the summary of two probes on one path (the lab's
// tcp-mix at A, the client's side of its NAT router, and B, the server's)
// has a total per probe, each that capture's own, never one over both
// (which would count each packet twice). Truth: tshark's IP packets and
// ip.len sum (`tshark -r X.pcap -q -z io,stat,0,ip,"SUM(ip.len)ip.len"`:
// A 6,436 packets 5,389,752 bytes, B 6,984 and 6,226,844) and the span
// from the first to the last IP packet (`tshark -Y ip -T fields -e
// frame.time_epoch`: A 1795964319.922139688 to .830935628 (+11 s), B
// .922407155 to .828137436).
func TestSummaryPerProbe(t *testing.T) {
	var args []string
	for _, p := range []string{"A", "B"} {
		args = append(args, "--probe", p+"="+testsamples.Path(t, "lab", "tcp-mix", p+".pcap"))
	}
	rows := namedRows(t, "summary", args...)
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r["probe"], " ", r["protocol"], " ", r["flows"], " ", r["packets"], " ", r["bytes"], " ", r["duration_s"]))
	}
	want := []string{
		"A tcp 16 6436 5389752 10.908796", "A total 16 6436 5389752 10.908796",
		"B tcp 16 6984 6226844 10.90573", "B total 16 6984 6226844 10.90573",
	}
	if !slices.Equal(got, want) {
		t.Errorf("summary rows\n%q\nwant (tshark)\n%q", got, want)
	}
}

// TestFTPDataNotCaptured: Zeek's ftp cwd-navigation capture holds one
// control connection with 687 RETR, each answered 226, and none of their
// data connections (tshark -q -z conv,tcp: the control connection only).
// The ftp query gives each transfer status data_not_captured and NULL
// bytes and throughput (unknown), not 0 bytes "incomplete" (a trial read
// 687 empty files).
func TestFTPDataNotCaptured(t *testing.T) {
	rows := namedRows(t, "ftp", testsamples.Path(t, "pcap", "ftp-edge", "zeek_ftp_cwd-navigation.pcap"))
	if len(rows) != 687 {
		t.Fatalf("%d transfers, want 687", len(rows))
	}
	for i, r := range rows {
		if r["status"] != "data_not_captured" || num(t, r["reply_code"]) != 226 || r["bytes"] != nil || r["throughput_mbps"] != nil {
			t.Fatalf("transfer %d: %v", i, r)
		}
	}
}
