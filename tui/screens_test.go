package tui

import (
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// The TCP, RTT and Events screens, driven by keys through Update as
// TestDrillDown does: the row count against a DuckDB count over the same
// output (queries.Open + queries.Run, not the screen's pager) and against
// the lab truth where the lab has one, a sort by a column (s) checked row
// by row, and enter drilling to the selected row's flow.

// sqlRows runs q over out with a database of its own.
func sqlRows(t *testing.T, out, q string) [][]any {
	t.Helper()
	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := queries.Run(db, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r.Rows
}

func sqlInt(t *testing.T, out, q string) int64 {
	t.Helper()
	rows := sqlRows(t, out, q)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: %d rows, want one value", q, len(rows))
	}
	return queries.Int64(rows[0][0])
}

// screenModel opens out at 120×40 and loads the overview.
func screenModel(t *testing.T, out string) (*Model, func(...string), func(string, ...string)) {
	t.Helper()
	m := newTestModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	press := func(k ...string) {
		t.Helper()
		for _, x := range k {
			drive(t, m, keyMsg(x))
		}
	}
	expect := func(step string, want ...string) {
		t.Helper()
		s := plain(m)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Fatalf("%s: screen lacks %q:\n%s", step, w, s)
			}
		}
		if m.e.errMsg != "" {
			t.Fatalf("%s: error %q", step, m.e.errMsg)
		}
	}
	return m, press, expect
}

// activeTable is the table screen shown, with every row of the window.
func activeTable(t *testing.T, m *Model) *pagedTable {
	t.Helper()
	plain(m) // View sets the page height
	tb, ok := m.active().(*pagedTable)
	if !ok {
		t.Fatalf("active screen is %T, not a table", m.active())
	}
	return tb
}

// column is the values of a column over the window's rows.
func column(t *testing.T, tb *pagedTable, name string) []any {
	t.Helper()
	for i, c := range tb.cols {
		if c.Name == name {
			var out []any
			for _, r := range tb.rows {
				out = append(out, r.Values[i])
			}
			return out
		}
	}
	t.Fatalf("table %s has no column %s", tb.spec.table, name)
	return nil
}

// activeDetail is the flow detail screen shown, loaded.
func activeDetail(t *testing.T, m *Model) *detail {
	t.Helper()
	d, ok := m.active().(*detail)
	if !ok || d.d == nil {
		t.Fatalf("active screen is %T (error %q), not a loaded flow detail", m.active(), m.e.errMsg)
	}
	return d
}

// sameConnection tells whether a flow row carries the connection a:ap-b:bp
// in either direction.
func sameConnection(f row, a string, ap int64, b string, bp int64) bool {
	s, d := toString(f["src_addr"]), toString(f["dst_addr"])
	sp, dp := queries.Int64(f["src_port"]), queries.Int64(f["dst_port"])
	return (s == a && sp == ap && d == b && dp == bp) || (s == b && sp == bp && d == a && dp == ap)
}

// labConnections are the TCP connections of the FTP lab at probe A
// (testdata/lab/ftp/ground_truth.json, from tshark over A.pcap).
func labConnections(t *testing.T) []struct {
	Client, Server string
	SawSyn         bool    `json:"saw_syn"`
	HandshakeUs    float64 `json:"handshake_syn_to_synack_us"`
} {
	t.Helper()
	b, err := os.ReadFile(capture(t, "lab/ftp/ground_truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gt struct {
		TCP map[string][]struct {
			Client, Server string
			SawSyn         bool    `json:"saw_syn"`
			HandshakeUs    float64 `json:"handshake_syn_to_synack_us"`
		} `json:"tcp_connections"`
	}
	if err := json.Unmarshal(b, &gt); err != nil {
		t.Fatal(err)
	}
	if len(gt.TCP["A"]) == 0 {
		t.Fatal("ground_truth.json: no tcp_connections for A")
	}
	return gt.TCP["A"]
}

func TestTCPScreen(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	// truth: ground_truth.json lists 21 connections at A (5 control
	// sessions + 16 transfers of summary.json); the output holds as many
	n := sqlInt(t, out, "SELECT count(*) FROM tcp_connections")
	if lab := len(labConnections(t)); n != int64(lab) || n != 21 {
		t.Fatalf("tcp_connections: %d rows, lab truth %d connections (want 21)", n, lab)
	}
	press("3")
	expect("tcp", "row 1 of 21", "sorted by start_time ↑", "client", "orig_bytes")
	if m.cur != 2 {
		t.Fatalf("3 shows tab %d", m.cur)
	}
	tb := activeTable(t, m)
	if len(tb.rows) != 21 || tb.total != 21 {
		t.Fatalf("TCP screen: %d rows, total %d, want 21", len(tb.rows), tb.total)
	}

	// sort by duration_s (the 6th column: five steps right): descending
	press("right", "right", "right", "right", "right", "s")
	expect("sort", "sorted by duration_s ↓", "row 1 of 21")
	tb = activeTable(t, m)
	durs := column(t, tb, "duration_s")
	if len(durs) != 21 {
		t.Fatalf("after sort: %d rows", len(durs))
	}
	for i := 1; i < len(durs); i++ {
		if queries.Float64(durs[i]) > queries.Float64(durs[i-1]) {
			t.Fatalf("duration_s not descending at row %d: %v after %v", i+1, durs[i], durs[i-1])
		}
	}
	top := sqlRows(t, out, `SELECT client_addr, client_port, server_addr, server_port, duration_s FROM tcp_connections
ORDER BY duration_s DESC LIMIT 1`)[0]
	if queries.Float64(durs[0]) != queries.Float64(top[4]) {
		t.Fatalf("first row lasts %v s, DuckDB's longest %v s", durs[0], top[4])
	}
	r := tb.current()
	ca, cp, sa, sp := toString(r["client_addr"]), queries.Int64(r["client_port"]), toString(r["server_addr"]), queries.Int64(r["server_port"])
	if ca != toString(top[0]) || cp != queries.Int64(top[1]) || sa != toString(top[2]) || sp != queries.Int64(top[3]) {
		t.Fatalf("selected %s:%d > %s:%d, DuckDB's longest %v", ca, cp, sa, sp, top)
	}
	// toggles: ascending
	press("s")
	expect("sort toggled", "sorted by duration_s ↑")
	asc := column(t, activeTable(t, m), "duration_s")
	if !slices.IsSortedFunc(asc, func(a, b any) int { return cmpFloat(queries.Float64(a), queries.Float64(b)) }) {
		t.Fatalf("duration_s not ascending: %v", asc)
	}
	press("s") // back to the longest first

	// enter: the flow of the selected connection
	press("enter")
	d := activeDetail(t, m)
	if !sameConnection(d.d.flow, ca, cp, sa, sp) || queries.Int64(d.d.flow["protocol"]) != 6 {
		t.Fatalf("flow %v does not carry %s:%d > %s:%d", d.d.flow, ca, cp, sa, sp)
	}
	conn := fmt.Sprintf("%s:%d > %s:%d", ca, cp, sa, sp) // the detail's TCP connections section
	expect("detail", fmt.Sprintf("Flow A/%d", queries.Int64(d.d.flow["flow_id"])), "TCP connections", conn)
	press("esc")
	expect("back", "sorted by duration_s ↓")
}

func TestRTTScreen(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	// truth: one handshake sample per connection whose SYN the capture
	// holds (ground_truth.json saw_syn), the largest SYN→SYN/ACK there
	var withSyn int
	var maxUs float64
	for _, c := range labConnections(t) {
		if c.SawSyn {
			withSyn++
			maxUs = max(maxUs, c.HandshakeUs)
		}
	}
	n := sqlInt(t, out, "SELECT count(*) FROM rtt_samples")
	if n != int64(withSyn) {
		t.Fatalf("rtt_samples: %d rows, lab truth %d handshakes", n, withSyn)
	}
	press("5")
	expect("rtt", fmt.Sprintf("row 1 of %d", n), "sorted by rtt_ms ↓", "tcp_handshake")
	tb := activeTable(t, m)
	if int64(len(tb.rows)) != n || tb.total != n {
		t.Fatalf("RTT screen: %d rows, total %d, want %d", len(tb.rows), tb.total, n)
	}
	rtts := column(t, tb, "rtt_ms")
	// µs with three decimals in the truth, ms with six in the output
	if got := queries.Float64(rtts[0]) * 1000; got < maxUs-0.001 || got > maxUs+0.001 {
		t.Fatalf("largest RTT %v ms, lab truth %v µs", rtts[0], maxUs)
	}

	// sort by client_port (7th column: six steps right): descending
	press("right", "right", "right", "right", "right", "right", "s")
	expect("sort", "sorted by client_port ↓")
	tb = activeTable(t, m)
	ports := column(t, tb, "client_port")
	if int64(len(ports)) != n {
		t.Fatalf("after sort: %d rows", len(ports))
	}
	for i := 1; i < len(ports); i++ {
		if queries.Int64(ports[i]) > queries.Int64(ports[i-1]) {
			t.Fatalf("client_port not descending at row %d: %v after %v", i+1, ports[i], ports[i-1])
		}
	}
	if want := sqlInt(t, out, "SELECT max(client_port) FROM rtt_samples"); queries.Int64(ports[0]) != want {
		t.Fatalf("first client_port %v, DuckDB max %d", ports[0], want)
	}

	// enter: the sample's flow (flow_id)
	press("down")
	r := tb.current()
	press("enter")
	d := activeDetail(t, m)
	id := queries.Int64(r["flow_id"])
	if d.ref.flowID != id || d.ref.probe != toString(r["probe"]) {
		t.Fatalf("detail of %v, row's flow %s/%d", d.ref, r["probe"], id)
	}
	if !sameConnection(d.d.flow, toString(r["client_addr"]), queries.Int64(r["client_port"]), toString(r["server_addr"]), queries.Int64(r["server_port"])) {
		t.Fatalf("flow %v does not carry the sample's connection %v", d.d.flow, r)
	}
	expect("detail", fmt.Sprintf("Flow A/%d", id), "Round trips", "tcp_handshake")
}

func TestEventsScreen(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	n := sqlInt(t, out, "SELECT count(*) FROM events")
	press("7")
	expect("events", fmt.Sprintf("row 1 of %d", n), "sorted by time ↑", "probe_start")
	tb := activeTable(t, m)
	if int64(len(tb.rows)) != n || tb.total != n {
		t.Fatalf("Events screen: %d rows, total %d, want %d", len(tb.rows), tb.total, n)
	}

	// sort by kind (4th column: three steps right): text sorts ascending
	press("right", "right", "right", "s")
	expect("sort", "sorted by kind ↑")
	tb = activeTable(t, m)
	kinds := column(t, tb, "kind")
	var want []string
	for _, r := range sqlRows(t, out, "SELECT kind FROM events ORDER BY kind") {
		want = append(want, toString(r[0]))
	}
	var got []string
	for _, k := range kinds {
		got = append(got, toString(k))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("kinds sorted %v, DuckDB %v", got, want)
	}
	// the first kind, dissect_totals, counts the capture's packets: as many
	// as A.pcap holds (read here with pcapgo)
	if got[0] != "dissect_totals" {
		t.Fatalf("first kind %q", got[0])
	}
	pk := pcapCount(t, capture(t, ftpLab))
	msg := toString(tb.current()["message"])
	if !strings.HasPrefix(msg, fmt.Sprintf("packets=%d ", pk)) {
		t.Fatalf("dissect_totals says %q, A.pcap holds %d packets", msg, pk)
	}

	// enter: the flows around the event (a brush of ±5 s on the Flows tab)
	ts := queries.Int64(tb.current()["time"])
	press("enter")
	if m.cur != 1 || len(m.stack) != 0 {
		t.Fatalf("enter on an event shows tab %d (stack %d), not Flows", m.cur, len(m.stack))
	}
	lo, hi := ts-5e9, ts+5e9
	if m.e.brush != (brush{lo: lo, hi: hi}) {
		t.Fatalf("brush %v, want the event's time ±5 s", m.e.brush)
	}
	flows := sqlInt(t, out, fmt.Sprintf("SELECT count(*) FROM flows WHERE epoch_ns(first_seen) <= %d AND epoch_ns(last_seen) >= %d", hi, lo))
	expect("flows around the event", fmt.Sprintf("row 1 of %d", flows), "brush "+fmtTime(lo))
	if flows == 0 || flows >= 84 { // 84: every flow (TestGoldenFlowsByBytes)
		t.Fatalf("%d flows around the last event: the brush does not narrow", flows)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pcapCount counts the packets of a pcap file.
func pcapCount(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, err := r.ReadPacketData()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

func TestGoldenTCP(t *testing.T) {
	out := replayed(t, ftpLab)
	// 21 connections (TestTCPScreen)
	v := goldenRun(t, out, step{keys: keys("3"), wait: []string{"row 1 of 21", "sorted by start_time"}})
	golden.RequireEqual(t, []byte(v))
}

func TestGoldenRTT(t *testing.T) {
	out := replayed(t, ftpLab)
	v := goldenRun(t, out, step{keys: keys("5"), wait: []string{"row 1 of 21", "0.246 "}})
	golden.RequireEqual(t, []byte(v))
}

func TestGoldenEvents(t *testing.T) {
	out := replayed(t, ftpLab)
	v := goldenRun(t, out, step{keys: keys("7"), wait: []string{"row 1 of 11", "probe_start"}})
	golden.RequireEqual(t, []byte(v))
}

// TestOnewayScreen: the one-way lab (testdata/lab/oneway-udp at A and B,
// samples/oneway-lab.yaml, replayed here with the real binary), the
// One-way screen filtered to the lost datagrams, their count against the
// lab truth, and p on a lost record showing its packet at A.
func TestOnewayScreen(t *testing.T) {
	cfg := filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml")
	out := testout.Replay(t, "--config", cfg,
		"--probe", "A="+capture(t, "lab/oneway-udp/A.pcap"), "--probe", "B="+capture(t, "lab/oneway-udp/B.pcap"))

	// truth: summary.json's sent and received, and ground_truth.csv's
	// datagrams seen at A and never at B (the sequence number is the
	// payload's first 8 bytes)
	b, err := os.ReadFile(capture(t, "lab/oneway-udp/summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct{ Sent, Received, Lost int }
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	lostAt := map[int64]uint64{} // ts_a_ns → seq of the lost datagrams
	f, err := os.Open(capture(t, "lab/oneway-udp/ground_truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] { // seq,size,ts_a_ns,ts_b_ns,...
		if r[3] == "" {
			seq, _ := strconv.ParseUint(r[0], 10, 64)
			ts, _ := strconv.ParseInt(r[2], 10, 64)
			lostAt[ts] = seq
		}
	}
	if sum.Sent-sum.Received != 59 || sum.Lost != 59 || len(lostAt) != 59 {
		t.Fatalf("lab truth: sent %d received %d lost %d, %d lost in ground_truth.csv (want 59)", sum.Sent, sum.Received, sum.Lost, len(lostAt))
	}

	m, press, expect := screenModel(t, out)
	press("6")
	// a row per datagram sent at A (hop pair A→B): delivered or lost
	expect("one-way", "row 1 of "+human(int64(sum.Sent)), "sorted by send_time ↑")
	press("/")
	for _, r := range "where status = 'lost'" {
		press(string(r))
	}
	press("enter")
	expect("lost", "row 1 of 59", "filter: where status = 'lost'")
	tb := activeTable(t, m)
	if tb.total != int64(sum.Sent-sum.Received) || len(tb.rows) != 59 {
		t.Fatalf("lost: total %d, %d rows; lab truth %d", tb.total, len(tb.rows), sum.Sent-sum.Received)
	}
	for i, s := range column(t, tb, "status") {
		if toString(s) != "lost" {
			t.Fatalf("row %d: status %v", i+1, s)
		}
	}

	// p on the third lost record: its packet at A
	press("down", "down")
	r := tb.current()
	sent := queries.Int64(r["send_time"])
	press("p")
	ps, ok := m.active().(*packetsScreen)
	if !ok || ps.d == nil {
		t.Fatalf("p shows %T (error %q), not packets", m.active(), m.e.errMsg)
	}
	if len(ps.d.pkts) != 1 {
		t.Fatalf("%d packets for one lost record:\n%s", len(ps.d.pkts), plain(m))
	}
	pk := ps.d.pkts[0]
	ts := pk.ci.Timestamp.UnixNano()
	seq, lost := lostAt[ts]
	if !lost {
		t.Fatalf("packet at %d: not a lost datagram of ground_truth.csv", ts)
	}
	if ts/1000 != sent/1000 { // times travel in whole µs (time_unit_ns 1000)
		t.Fatalf("packet at %d, record sent at %d", ts, sent)
	}
	udp, _ := pk.pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
	ip, _ := pk.pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if udp == nil || ip == nil || udp.DstPort != 9000 || ip.DstIP.String() != "198.51.100.10" || len(udp.Payload) < 8 {
		t.Fatalf("not a datagram to 198.51.100.10:9000: %v", pk.pkt)
	}
	if got := binary.BigEndian.Uint64(udp.Payload); got != seq {
		t.Fatalf("payload sequence %d, ground_truth.csv %d", got, seq)
	}
	if int64(ip.Length) != queries.Int64(r["size_bytes"]) {
		t.Fatalf("IP length %d, record's size_bytes %v", ip.Length, r["size_bytes"])
	}
	expect("packet", "at A  1 packet · ", "1 packet from A.pcap", "packet of *>198.51.100.10:9000 at A", "198.51.100.10.9000: UDP") // "1 packets" before (trial3 D4)

	// enter on the record: its flow at the sending hop
	press("esc", "enter")
	d := activeDetail(t, m)
	if d.ref.probe != "A" || toString(d.d.flow["dst_addr"]) != "198.51.100.10" || queries.Int64(d.d.flow["dst_port"]) != 9000 {
		t.Fatalf("enter opens %v", d.d.flow)
	}
	plain(m) // View gives the viewport its content: then it scrolls
	press("pgdown")
	expect("flow", "One-way latency", "One-way loss")
	if s := plain(m); strings.Contains(s, "Error") {
		t.Errorf("flow detail shows an error:\n%s", s)
	}
	// its one-way latency per interval (the section read "Binder Error:
	// Referenced column "min" not found": the table's columns are min_us
	// and max_us): delivered per 10 s interval and the extremes, from
	// ground_truth.csv (ts_b_ns - ts_a_ns of the datagrams with a ts_b_ns;
	// times in whole µs, time_unit_ns 1000): 3723 then 1218 delivered,
	// 5 µs and 176,644 µs in the first interval
	lat := d.d.latency
	if lat == nil || len(lat.Rows) != 2 || lat.Columns[0] == "error" {
		t.Fatalf("one-way latency section: %+v", lat)
	}
	if n0, n1 := queries.Int64(lat.Rows[0][3]), queries.Int64(lat.Rows[1][3]); n0 != 3723 || n1 != 1218 {
		t.Errorf("delivered per interval %d, %d; lab truth 3723, 1218", n0, n1)
	}
	if lo, hi := queries.Float64(lat.Rows[0][4]), queries.Float64(lat.Rows[0][8]); lo != 5 || hi != 176644 {
		t.Errorf("first interval min %g max %g µs; lab truth 5, 176644", lo, hi)
	}
	// its delay variation and loss pattern per interval (the ipdv and
	// loss-pattern queries, checked against ground_truth.csv in queries:
	// TestIPDVQueryTruth, TestLossPatternQueryTruth): 3678 and 1205 pairs
	// of consecutive datagrams both delivered, 44 and 13 loss periods
	expect("flow", "One-way delay variation")
	v := d.d.variation
	if v == nil || len(v.Rows) != 2 || v.Columns[0] == "error" {
		t.Fatalf("one-way delay variation section: %+v", v)
	}
	for i, want := range [][2]int64{{3678, 44}, {1205, 13}} {
		if pairs, periods := queries.Int64(v.Rows[i][3]), queries.Int64(v.Rows[i][8]); pairs != want[0] || periods != want[1] {
			t.Errorf("interval %d: %d pairs, %d loss periods; lab truth %d, %d", i, pairs, periods, want[0], want[1])
		}
	}
}

// TestWritePcap: w on the Packets screen of the largest transfer's flow
// writes the packets listed as a pcap in the current folder (the status
// line names it): the file read back with pcapgo holds the same packets
// (count, every timestamp and byte), as many as flows.packets of the flow,
// and tcpdump reads it.
func TestWritePcap(t *testing.T) {
	out := replayed(t, ftpLab)
	truth, err := os.ReadFile(capture(t, "lab/ftp/ground_truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir) // w writes into the current folder (capture() finds testdata/ from the package folder: read before)
	m, press, expect := screenModel(t, out)
	press("4", "enter", "p")
	expect("packets", "3624 packets") // TestDrillDown: file-5M.bin's data flow, server to client
	ps, ok := m.active().(*packetsScreen)
	if !ok || ps.d == nil {
		t.Fatalf("active screen %T", m.active())
	}
	listed := ps.d.pkts
	flow := activeFlowOf(t, m)
	if want := sqlInt(t, out, fmt.Sprintf("SELECT packets FROM flows WHERE probe = 'A' AND flow_id = %d", flow)); int64(len(listed)) != want {
		t.Fatalf("screen lists %d packets, flows.packets %d", len(listed), want)
	}

	press("w")
	const prefix = "wrote 3624 packets to "
	if !strings.HasPrefix(m.e.status, prefix) {
		t.Fatalf("status after w: %q (error %q)", m.e.status, m.e.errMsg)
	}
	path := strings.TrimPrefix(m.e.status, prefix)
	if filepath.Dir(path) != dir || !strings.HasSuffix(path, ".pcap") {
		t.Fatalf("written to %s, not a .pcap in the current folder %s", path, dir)
	}
	expect("status", "wrote 3624 packets to ")

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet { // A.pcap's link type
		t.Fatalf("link type %v", r.LinkType())
	}
	n := 0
	for ; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(listed) {
			t.Fatalf("the file holds more than the %d packets listed", len(listed))
		}
		if !ci.Timestamp.Equal(listed[n].ci.Timestamp) || string(data) != string(listed[n].data) || ci.Length != listed[n].ci.Length {
			t.Fatalf("packet %d: %v (%d bytes), listed %v (%d bytes)", n+1, ci.Timestamp, len(data), listed[n].ci.Timestamp, len(listed[n].data))
		}
	}
	if n != len(listed) {
		t.Fatalf("the file holds %d packets, the screen listed %d", n, len(listed))
	}
	// the first packet: the SYN/ACK the screen shows first, at the time
	// the capture has (ground_truth.json: the data connection's synack_ts_ns)
	first := listed[0].ci.Timestamp.UnixNano()
	if want := labSynAck(t, truth, listed[0]); first != want {
		t.Fatalf("first packet at %d, lab SYN/ACK at %d", first, want)
	}

	// tcpdump reads it: as many lines, the first at the same nanosecond
	tcpdump := testenv.Tool(t, "tcpdump")
	cmd := exec.Command(tcpdump, "-n", "-tt", "--time-stamp-precision=nano", "-r", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcpdump -r %s: %v\n%s", path, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(listed) {
		t.Fatalf("tcpdump reads %d packets, want %d", len(lines), len(listed))
	}
	if want := fmt.Sprintf("%d.%09d ", first/1e9, first%1e9); !strings.HasPrefix(lines[0], want) {
		t.Fatalf("tcpdump's first line %q, want the time %s", lines[0], want)
	}
}

// activeFlowOf is the flow id of the detail screen under the packets.
func activeFlowOf(t *testing.T, m *Model) int64 {
	t.Helper()
	for i := len(m.stack) - 1; i >= 0; i-- {
		if d, ok := m.stack[i].(*detail); ok && d.d != nil {
			return d.ref.flowID
		}
	}
	t.Fatal("no flow detail under the packets")
	return 0
}

// labSynAck is the SYN/ACK time ground_truth.json (truth) gives for the
// connection of a packet (its server side is the packet's source).
func labSynAck(t *testing.T, truth []byte, p capPacket) int64 {
	t.Helper()
	ip, _ := p.pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	tcp, _ := p.pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if ip == nil || tcp == nil || !tcp.SYN || !tcp.ACK {
		t.Fatalf("first packet is not a SYN/ACK: %s", p.line)
	}
	var gt struct {
		TCP map[string][]struct {
			Client, Server string
			SynAck         int64 `json:"synack_ts_ns"`
		} `json:"tcp_connections"`
	}
	if err := json.Unmarshal(truth, &gt); err != nil {
		t.Fatal(err)
	}
	server := fmt.Sprintf("%s:%d", ip.SrcIP, tcp.SrcPort)
	client := fmt.Sprintf("%s:%d", ip.DstIP, tcp.DstPort)
	for _, c := range gt.TCP["A"] {
		if c.Server == server && c.Client == client {
			return c.SynAck
		}
	}
	t.Fatalf("ground_truth.json has no connection %s > %s", client, server)
	return 0
}
