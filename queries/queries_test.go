package queries

import (
	"bytes"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Hand-made rows; every expected value below is computed from them.
var (
	testFlows = []observe.Flow{
		{FlowID: 1, Probe: "p1", Interface: "eth0", Class: "all", Name: "10.0.0.1:high>10.0.0.2:161/udp",
			IPVersion: 4, Protocol: 17, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 40000, DstPort: 161,
			FirstSeen: 1700000000123456789, LastSeen: 1700000001987654321, Packets: 3, Bytes: 240},
		{FlowID: 2, Probe: "p1", Interface: "eth0", Class: "all", Name: "[2001:db8::1]:high>[2001:db8::2]:443/tcp",
			IPVersion: 6, Protocol: 6, SrcAddr: "2001:db8::1", DstAddr: "2001:db8::2", SrcPort: 51515, DstPort: 443,
			FirstSeen: 1700000000000000001, LastSeen: 1700000009999999999, Packets: 10, Bytes: 7300},
		{FlowID: 3, Probe: "p1", Interface: "eth0", Class: "all", Name: "10.0.0.2:443>10.0.0.1:high/tcp",
			IPVersion: 4, Protocol: 6, SrcAddr: "10.0.0.2", DstAddr: "10.0.0.1", SrcPort: 443, DstPort: 51000,
			FirstSeen: 1700000000500000000, LastSeen: 1700000002500000000, Packets: 8, Bytes: 9000},
		{FlowID: 4, Probe: "p1", Interface: "eth0", Class: "all", Name: "10.0.0.1>10.0.0.3/icmp",
			IPVersion: 4, Protocol: 1, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.3",
			FirstSeen: 1700000003000000000, LastSeen: 1700000003000000000, Packets: 1, Bytes: 84},
	}
	testFlows2 = []observe.Flow{ // a second part file
		{FlowID: 5, Probe: "p1", Interface: "eth0", Class: "all", Name: "[fe80::1]>[ff02::1]/icmp6",
			IPVersion: 6, Protocol: 58, SrcAddr: "fe80::1", DstAddr: "ff02::1",
			FirstSeen: 1700000004000000007, LastSeen: 1700000005000000007, Packets: 2, Bytes: 208},
		{FlowID: 6, Probe: "p1", Interface: "eth0", Class: "web", Name: "10.0.0.2:443>10.0.0.1:high/tcp",
			IPVersion: 4, Protocol: 6, SrcAddr: "10.0.0.2", DstAddr: "10.0.0.1", SrcPort: 443, DstPort: 51000,
			FirstSeen: 1700000000500000000, LastSeen: 1700000002500000000, Packets: 8, Bytes: 99999},
		{FlowID: 7, Probe: "p1", Interface: "eth0", Class: "all", Name: "10.0.0.1>10.0.0.4/gre",
			IPVersion: 4, Protocol: 47, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.4",
			FirstSeen: 1700000006000000000, LastSeen: 1700000006000000000, Packets: 1, Bytes: 100},
	}
	// IP datagrams reassembled (issue 15.15): 2 in flow 1 over two
	// intervals, 5 in flow 6 (class web: not in the summary); a packets row
	// of flow 1 is another metric.
	testCounters = []observe.FlowCounter{
		{Probe: "p1", FlowID: 1, IntervalStart: 1700000000000000000, IntervalS: 1, Metric: "ip_reassembled", Unit: "datagrams", N: 1, Sum: 1, SumSq: 1, Min: 1, Max: 1},
		{Probe: "p1", FlowID: 1, IntervalStart: 1700000001000000000, IntervalS: 1, Metric: "ip_reassembled", Unit: "datagrams", N: 1, Sum: 1, SumSq: 1, Min: 1, Max: 1},
		{Probe: "p1", FlowID: 1, IntervalStart: 1700000000000000000, IntervalS: 1, Metric: "packets", Unit: "packets", N: 2, Sum: 2, SumSq: 2, Min: 1, Max: 1},
		{Probe: "p1", FlowID: 6, IntervalStart: 1700000000000000000, IntervalS: 1, Metric: "ip_reassembled", Unit: "datagrams", N: 5, Sum: 5, SumSq: 5, Min: 1, Max: 1},
	}
	testEvents = []observe.Event{
		{Time: 1700000002000000002, Source: "collector", Kind: "flow_evicted", Severity: observe.SevInfo, Message: "flow table full, evicted 1 flow"},
		{Time: 1700000001000000001, Source: "probe:p1", Kind: "capture_truncated", Severity: observe.SevWarning, Message: `frame 12: 60 of 1514 bytes, "snaplen"`},
	}
	testEvents2 = []observe.Event{
		{Time: 1700000000000000000, Source: "probe:p1", Kind: "probe_started", Severity: observe.SevInfo, Message: "interface eth0"},
	}
)

var (
	hs       = 0.25
	ws7      = int16(7)
	wsAbsent = int16(-1)
	testLoss = []observe.OnewayLoss{
		{OnewayKey: observe.OnewayKey{Class: "telemetry", FlowID: 1, Flow: "*>198.51.100.10:9000", FromHop: "A", ToHop: "B", ToHopIndex: 1, IntervalStart: 1700000000000000000, IntervalS: 10}, Sent: 100, Delivered: 98, Lost: 2},
		{OnewayKey: observe.OnewayKey{Class: "telemetry", FlowID: 1, Flow: "*>198.51.100.10:9000", FromHop: "A", ToHop: "B", ToHopIndex: 1, IntervalStart: 1700000010000000000, IntervalS: 10}, Sent: 50, Lost: 50},
		// the packets of flow 2 in testDelays (TestLossPatternSelection)
		{OnewayKey: observe.OnewayKey{Class: "telemetry", FlowID: 2, Flow: "*>198.51.100.20:9001", FromHop: "A", ToHop: "B", ToHopIndex: 1, IntervalStart: 1700000000000000000, IntervalS: 10}, Sent: 11, Delivered: 6, Lost: 4, Dropped: 1, Duplicates: 1},
	}
	testLatency = []observe.OnewayLatency{
		{OnewayKey: observe.OnewayKey{Class: "telemetry", FlowID: 1, Flow: "*>198.51.100.10:9000", FromHop: "A", ToHop: "B", ToHopIndex: 1, IntervalStart: 1700000000000000000, IntervalS: 10},
			N: 98, Sum: 9800, SumSq: 1e6, Min: 5.25, Max: 900, P50Us: 60, P90Us: 400, P99Us: 880, SlicesMs: []float64{1, 10}, SliceCounts: []uint64{98, 0, 0}},
	}
	// testDelays: interval 1 of testLoss's flow, in capture order but not
	// send order: D = 100, 110, lost, 90, 95, a copy, dropped, 80 µs, and
	// a packet missed at A (no send time). TestIPDVSelection says what
	// the ipdv query must make of them.
	testDelays = []observe.OnewayDelay{
		delay(2, 110, "delivered"), delay(1, 100, "delivered"), delay(3, 0, "lost"), delay(4, 90, "delivered"),
		delay(5, 95, "delivered"), delay(5, 140, "duplicate"), delay(6, 0, "dropped"), delay(7, 80, "delivered"),
		{Class: "telemetry", FlowID: 1, Flow: "*>198.51.100.10:9000", FromHop: "A", ToHop: "B", ToHopIndex: 1, RecvTime: ptr(int64(1700000009000000000)), Status: "missed"},
		// flow 2, sent 1 ms apart: 1 ok, 2-3 lost, 4 ok, 5 late (5 ms:
		// arrives after 6 and 8), a copy of 5 before 4, 6 ok, 7 lost, 8 ok,
		// 9 dropped, 10 lost, 11 ok; a packet missed at A
		flow2(1, 100, "delivered"), flow2(2, 0, "lost"), flow2(3, 0, "lost"), flow2(4, 100, "delivered"),
		flow2(5, 5000, "delivered"), flow2(5, 50, "duplicate"), flow2(6, 100, "delivered"), flow2(7, 0, "lost"),
		flow2(8, 100, "delivered"), flow2(9, 0, "dropped"), flow2(10, 0, "lost"), flow2(11, 100, "delivered"),
		{Class: "telemetry", FlowID: 2, Flow: "*>198.51.100.20:9001", FromHop: "A", ToHop: "B", ToHopIndex: 1, RecvTime: ptr(int64(1700000000003000000)), Status: "missed"},
	}
	testConns = []observe.TCPConnection{
		{Probe: "p1", Interface: "eth0", Class: "all", ConnID: 1, ClientAddr: "10.0.0.1", ClientPort: 51000, ServerAddr: "10.0.0.2", ServerPort: 443,
			StartTime: 1700000000500000000, EndTime: 1700000002500000000, DurationS: 2, HandshakeSynSynackMs: &hs, HandshakeRTTMs: &hs, HandshakeSynackAckMs: &hs,
			ClientPayloadBytes: 500, ServerPayloadBytes: 9000, ServerRetransmissions: 2, ClientWScale: &ws7, ServerWScale: &wsAbsent, ConnState: "SF", History: "ShADadFf", SawStart: true},
	}
	testRTT = []observe.RTTSample{
		{Probe: "p1", FlowID: 1, Kind: "dns", RequestTime: 1700000000000000000, RTTMs: 1.5, ClientAddr: "10.0.0.1", ClientPort: 40000, ServerAddr: "10.0.0.53", ServerPort: 53, Detail: "A www.example.com NOERROR"},
		{Probe: "p1", FlowID: 1, Kind: "dns", RequestTime: 1700000001000000000, RTTMs: 2.5, ClientAddr: "10.0.0.1", ClientPort: 40001, ServerAddr: "10.0.0.53", ServerPort: 53, Detail: "A www.example.com NXDOMAIN"},
		{Probe: "p1", FlowID: 4, Kind: "icmp_echo", RequestTime: 1700000003000000000, RTTMs: 0.25, ClientAddr: "10.0.0.1", ServerAddr: "10.0.0.3", Detail: "echo id 1 seq 1"},
	}
	testFTP = []observe.FTPTransfer{
		{Probe: "p1", Class: "ftp", SessionID: 1, Command: "RETR", FileName: "file-1M.bin", Direction: "server_to_client", DataMode: "passive", ModeCommand: "PASV",
			DataSrcAddr: "10.0.0.1", DataSrcPort: 40002, DataDstAddr: "10.0.0.2", DataDstPort: 30000,
			StartTime: 1700000004000000000, EndTime: 1700000005000000000, DurationS: 1, Bytes: 1048576, ThroughputMbps: 8.388608, ReplyCode: 226, Status: "complete"},
	}
)

// makeOut writes a committed run of the test rows under parent/name with
// engine/store and returns its path.
func makeOut(t *testing.T, parent, name string) string {
	t.Helper()
	out := filepath.Join(parent, name)
	r, err := store.BeginRun(out, store.Manifest{Version: "test", Command: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	for _, err := range []error{
		appendErr(store.Append(r, observe.TableFlows, testFlows)),
		appendErr(store.Append(r, observe.TableFlows, testFlows2)),
		appendErr(store.Append(r, observe.TableFlowCounters, testCounters)),
		appendErr(store.Append(r, observe.TableEvents, testEvents)),
		appendErr(store.Append(r, observe.TableEvents, testEvents2)),
		appendErr(store.Append(r, observe.TableOnewayLoss, testLoss)),
		appendErr(store.Append(r, observe.TableOnewayLatency, testLatency)),
		appendErr(store.Append(r, observe.TableOnewayDelays, testDelays)),
		appendErr(store.Append(r, observe.TableTCPConnections, testConns)),
		appendErr(store.Append(r, observe.TableRTTSamples, testRTT)),
		appendErr(store.Append(r, observe.TableFTPTransfers, testFTP)),
		r.Finish(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func appendErr(_ string, err error) error { return err }

func openTest(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(makeOut(t, t.TempDir(), "tmon-out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func run(t *testing.T, db *sql.DB, q string) *Result {
	t.Helper()
	res, err := Run(db, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

func TestViews(t *testing.T) {
	db := openTest(t)
	res := run(t, db, "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name")
	var views []string
	for _, r := range res.Rows {
		views = append(views, r[0].(string))
	}
	if want := []string{"events", "flow_counters", "flows", "ftp_transfers", "oneway_delays", "oneway_latency", "oneway_loss", "rtt_samples", "tcp_connections"}; !reflect.DeepEqual(views, want) {
		t.Errorf("views = %v, want %v", views, want)
	}
	// (That replay writes a folder, hence a view, for every table of
	// observe.Tables is checked in cmd/tmonbench.)
	res = run(t, db, "SELECT (SELECT count(*) FROM flows), (SELECT count(*) FROM flow_counters), (SELECT count(*) FROM events)")
	if got := res.Rows[0]; !reflect.DeepEqual(got, []any{int64(7), int64(4), int64(3)}) {
		t.Errorf("row counts = %v, want [7 4 3]", got)
	}
}

// TestTimestampNanoseconds is the check style.md asks for: first_seen is a
// TIMESTAMP_NS and an exact nanosecond value survives Parquet and DuckDB.
func TestTimestampNanoseconds(t *testing.T) {
	db := openTest(t)
	res := run(t, db, "SELECT typeof(first_seen), epoch_ns(first_seen), first_seen, flow_id, src_addr, dst_port, protocol FROM flows WHERE flow_id = 1")
	if len(res.Rows) != 1 {
		t.Fatalf("rows = %v", res.Rows)
	}
	r := res.Rows[0]
	if r[0] != "TIMESTAMP_NS" {
		t.Errorf("typeof(first_seen) = %v, want TIMESTAMP_NS", r[0])
	}
	if r[1] != int64(1700000000123456789) {
		t.Errorf("epoch_ns(first_seen) = %v, want 1700000000123456789", r[1])
	}
	ts, ok := r[2].(time.Time)
	if !ok || ts.UnixNano() != 1700000000123456789 || ts.Location() != time.UTC {
		t.Errorf("first_seen = %#v, want 1700000000123456789 ns UTC", r[2])
	}
	if got := text(r[2], res.Types[2]); got != "2023-11-14T22:13:20.123456789Z" {
		t.Errorf("printed first_seen = %s", got)
	}
	if res.Types[2] != "TIMESTAMP_NS" {
		t.Errorf("column type = %s", res.Types[2])
	}
	if !reflect.DeepEqual(r[3:], []any{uint64(1), "10.0.0.1", uint16(161), uint8(17)}) {
		t.Errorf("flow_id, src_addr, dst_port, protocol = %#v", r[3:])
	}
	// Every timestamp column of every table is TIMESTAMP_NS.
	res = run(t, db, "SELECT typeof(last_seen) FROM flows LIMIT 1")
	res2 := run(t, db, "SELECT typeof(time) FROM events LIMIT 1")
	res3 := run(t, db, "SELECT column_type FROM (DESCRIBE flow_counters) WHERE column_name = 'interval_start'")
	for _, got := range []any{res.Rows[0][0], res2.Rows[0][0], res3.Rows[0][0]} {
		if got != "TIMESTAMP_NS" {
			t.Errorf("timestamp column type = %v, want TIMESTAMP_NS", got)
		}
	}
}

// TestSummaryValues asserts the summary query against sums done by hand
// over testFlows and testFlows2 (class 'web' flow 6 excluded), with the
// datagrams reassembled from testCounters (issue 15.15: 2 in the udp
// flow). One probe (p1): a row per protocol and its total. last_seen is
// not a column: duration_s (last_seen - first_seen, rounded to the µs:
// 9.999999998 s is 10) takes its place, so that the probe column fits
// within 120 columns.
func TestSummaryValues(t *testing.T) {
	db := openTest(t)
	q, err := Get("summary")
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, db, q.SQL)
	if want := []string{"probe", "protocol", "flows", "packets", "bytes", "first_seen", "duration_s", "ip_reasm"}; !reflect.DeepEqual(res.Columns, want) {
		t.Fatalf("columns = %v", res.Columns)
	}
	ns := func(v int64) time.Time { return time.Unix(0, v).UTC() }
	want := [][]any{
		{"p1", "tcp", int64(2), uint64(18), uint64(16300), ns(1700000000000000001), 10.0, uint64(0)},
		{"p1", "udp", int64(1), uint64(3), uint64(240), ns(1700000000123456789), 1.864198, uint64(2)},
		{"p1", "icmp6", int64(1), uint64(2), uint64(208), ns(1700000004000000007), 1.0, uint64(0)},
		{"p1", "gre", int64(1), uint64(1), uint64(100), ns(1700000006000000000), 0.0, uint64(0)},
		{"p1", "icmp", int64(1), uint64(1), uint64(84), ns(1700000003000000000), 0.0, uint64(0)},
		{"p1", "total", int64(6), uint64(25), uint64(16932), ns(1700000000000000001), 10.0, uint64(2)},
	}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("summary\n%v\nwant\n%v", res.Rows, want)
	}
}

// TestProtocolNameOneSpelling: the SQL macro protocol_name, which the
// summary, operator and report queries name protocols by, gives every
// number 0-255 the name the flows table and the TUI give it
// (observe.ProtocolName); the summary wrote 'ip-proto-2' for the flows
// table's igmp, and the TUI's overview 'proto 2'.
func TestProtocolNameOneSpelling(t *testing.T) {
	db := openTest(t)
	res := run(t, db, `SELECT range::UTINYINT, protocol_name(range::UTINYINT) FROM range(256) ORDER BY 1`)
	if len(res.Rows) != 256 {
		t.Fatalf("%d rows", len(res.Rows))
	}
	for _, r := range res.Rows {
		p := r[0].(uint8)
		if want := observe.ProtocolName(p); r[1] != want {
			t.Errorf("protocol_name(%d) = %v, observe.ProtocolName %q", p, r[1], want)
		}
	}
}

func TestTopFlowsAndEventsOrder(t *testing.T) {
	db := openTest(t)
	q, _ := Get("top-flows")
	res := run(t, db, q.SQL)
	var ids []any
	for _, r := range res.Rows {
		ids = append(ids, r[1])
	}
	if want := []any{uint64(3), uint64(2), uint64(1), uint64(5), uint64(7), uint64(4)}; !reflect.DeepEqual(ids, want) {
		t.Errorf("top-flows ids = %v, want %v (by bytes, class all only)", ids, want)
	}
	q, _ = Get("events")
	res = run(t, db, q.SQL)
	var kinds []any
	for _, r := range res.Rows {
		kinds = append(kinds, r[2])
	}
	if want := []any{"probe_started", "capture_truncated", "flow_evicted"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("events kinds = %v, want %v", kinds, want)
	}
}

func TestNamedGolden(t *testing.T) {
	db := openTest(t)
	if len(List()) < 3 {
		t.Fatalf("List() = %v", List())
	}
	for _, q := range List() {
		if q.NeedsRollup {
			continue // golden and checked against the raw tables in queries/report, on a rolled-up output
		}
		t.Run(q.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := FormatCSV(&buf, run(t, db, q.SQL)); err != nil {
				t.Fatal(err)
			}
			golden(t, q.Name+".golden", buf.Bytes())
			if q.HasWide() {
				buf.Reset()
				if err := FormatCSV(&buf, run(t, db, q.Wide)); err != nil {
					t.Fatal(err)
				}
				golden(t, q.Name+".wide.golden", buf.Bytes())
			}
		})
	}
}

func TestFormatsGolden(t *testing.T) {
	db := openTest(t)
	q, _ := Get("summary")
	res := run(t, db, q.SQL)
	for _, f := range []string{"table", "json"} { // csv: TestNamedGolden
		var buf bytes.Buffer
		if err := Format(&buf, res, f); err != nil {
			t.Fatal(err)
		}
		golden(t, "summary."+f+".golden", buf.Bytes())
	}
	if err := Format(&bytes.Buffer{}, res, "xml"); !errors.Is(err, ErrFormat) {
		t.Errorf("Format xml: %v, want ErrFormat", err)
	}
}

// TestFormatValues covers the value kinds the named queries do not produce.
func TestFormatValues(t *testing.T) {
	db := openTest(t)
	res := run(t, db, `SELECT NULL::INTEGER AS n, 1.5::DOUBLE AS d, 'nan'::DOUBLE AS nan,
		170141183460469231731687303715884105727::HUGEINT AS h, 12.340::DECIMAL(10,3) AS dec,
		DATE '2024-02-29' AS day, INTERVAL 1 DAY + INTERVAL 90 MINUTE AS iv, [1, 2] AS l,
		{'a': 1, 'b': 'x'} AS s, '\x00\xff'::BLOB AS blob, 'a,"b"' AS quoted,
		TIMESTAMP '2024-01-02 03:04:05.123456' AS ts_us, true AS ok`)
	want := map[string][2]string{ // column: {CSV text, JSON}
		"n":      {"", "null"},
		"d":      {"1.5", "1.5"},
		"nan":    {"NaN", "null"},
		"h":      {"170141183460469231731687303715884105727", "170141183460469231731687303715884105727"},
		"dec":    {"12.34", "12.34"},
		"day":    {"2024-02-29", `"2024-02-29"`},
		"iv":     {"1 day 1h30m0s", `"1 day 1h30m0s"`},
		"l":      {"[1,2]", "[1,2]"},
		"s":      {`{"a":1,"b":"x"}`, `{"a":1,"b":"x"}`},
		"blob":   {`\x00\xFF`, `"\\x00\\xFF"`},
		"quoted": {`a,"b"`, `"a,\"b\""`},
		"ts_us":  {"2024-01-02T03:04:05.123456000Z", `"2024-01-02T03:04:05.123456000Z"`},
		"ok":     {"true", "true"},
	}
	var js bytes.Buffer
	if err := FormatJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	for i, c := range res.Columns {
		w, ok := want[c]
		if !ok {
			t.Errorf("unexpected column %s", c)
			continue
		}
		if got := text(res.Rows[0][i], res.Types[i]); got != w[0] {
			t.Errorf("%s (%s): text %q, want %q", c, res.Types[i], got, w[0])
		}
		if !strings.Contains(js.String(), `"`+c+`":`+w[1]) {
			t.Errorf("%s: JSON lacks %s in %s", c, `"`+c+`":`+w[1], js.String())
		}
	}
	var csvOut bytes.Buffer
	if err := FormatCSV(&csvOut, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvOut.String(), `"a,""b"""`) {
		t.Errorf("CSV quoting: %s", csvOut.String())
	}

	empty := &Result{Columns: []string{"a"}, Types: []string{"INTEGER"}}
	js.Reset()
	FormatJSON(&js, empty)
	if js.String() != "[]\n" {
		t.Errorf("empty JSON = %q", js.String())
	}
	var tb bytes.Buffer
	if err := FormatTable(&tb, empty); err != nil || !strings.HasSuffix(tb.String(), "(0 rows)\n") {
		t.Errorf("empty table = %q, %v", tb.String(), err)
	}
}

func TestOpenNoOutput(t *testing.T) {
	parent := t.TempDir()
	foreign := filepath.Join(parent, "foreign")
	os.MkdirAll(filepath.Join(foreign, "sub"), 0o755)
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("x"), 0o644)
	file := filepath.Join(parent, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, dir := range []string{filepath.Join(parent, "missing"), t.TempDir(), foreign, file} {
		_, err := Open(dir)
		if !errors.Is(err, ErrNoOutput) {
			t.Errorf("Open(%s) = %v, want ErrNoOutput", dir, err)
			continue
		}
		want := "no tmonbench output in " + dir + " (run `tmonbench replay` first)"
		if dir == file { // a file given for the folder is said so (a new user's --out afile)
			want = "no tmonbench output: " + file + " is a file; --out names the folder replay, live or collector wrote"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// run.json alone (a run that wrote no table) opens, with no views.
	runOnly := t.TempDir()
	os.WriteFile(filepath.Join(runOnly, ManifestName), []byte("{}"), 0o644)
	db, err := Open(runOnly)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// TestOpenOddPath: quotes and glob characters in the output path.
func TestOpenOddPath(t *testing.T) {
	for _, name := range []string{"it's out", "out [1] *?{a}"} {
		out := makeOut(t, t.TempDir(), name)
		// A crash leftover of engine/store must not be read.
		os.WriteFile(filepath.Join(out, "flows", ".part-00009.parquet.tmp"), []byte("half"), 0o644)
		db, err := Open(out)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		res := run(t, db, "SELECT count(*), sum(bytes)::UBIGINT FROM flows")
		if !reflect.DeepEqual(res.Rows[0], []any{int64(7), uint64(116931)}) {
			t.Errorf("%q: count, sum(bytes) = %v, want [7 116931]", name, res.Rows[0])
		}
		db.Close()
	}
}

func TestRunError(t *testing.T) {
	db := openTest(t)
	if _, err := Run(db, "SELECT * FROM no_such_table"); err == nil || !strings.HasPrefix(err.Error(), "queries: ") {
		t.Errorf("err = %v", err)
	}
}

// TestMissingTableHint: DuckDB's nearest name for a table that does not
// exist is often a system table ('Did you mean "pg_sequences"?', seen by
// the new user's walk of 2026-12-05): the error names the output's tables
// and views instead, and keeps DuckDB's own suggestion when it is one of
// them.
func TestMissingTableHint(t *testing.T) {
	db := openTest(t)
	_, err := Run(db, "select * from nosuch")
	if err == nil || strings.Contains(err.Error(), "pg_") || !strings.Contains(err.Error(), "Tables and views here: ") ||
		!strings.Contains(err.Error(), " flows, ") || !strings.Contains(err.Error(), "LINE 1: select * from nosuch") {
		t.Errorf("select * from nosuch: %v", err)
	}
	if _, err := Run(db, "select * from flow"); err == nil || !strings.Contains(err.Error(), `Did you mean "flows"?`) {
		t.Errorf("select * from flow: %v, want DuckDB's suggestion of flows", err)
	}
}

func TestNamedFiles(t *testing.T) {
	for _, want := range []string{"summary", "top-flows", "events"} {
		if _, err := Get(want); err != nil {
			t.Error(err)
		}
	}
	if _, err := Get("nope"); !errors.Is(err, ErrUnknownQuery) || !strings.Contains(err.Error(), "summary") {
		t.Errorf("Get(nope) = %v", err)
	}
	for _, q := range List() {
		if _, err := parseHeader(q.Name, q.SQL); err != nil {
			t.Error(err)
		}
		if q.Description == "" || strings.Contains(q.Description, "\n") {
			t.Errorf("%s: description %q", q.Name, q.Description)
		}
		if q.HasWide() {
			if _, err := parseHeader(q.Name+" --wide", q.Wide); err != nil {
				t.Error(err)
			}
			if !strings.Contains(q.SQL, "FROM wide") || strings.HasSuffix(q.WideDescription, "(needs tmonbench rollup)") != q.NeedsRollup {
				t.Errorf("%s: the default form must select FROM wide, and both forms say whether they need the rollups", q.Name)
			}
		}
		low := strings.ToLower(q.SQL + q.Wide)
		for _, bad := range []string{"read_parquet", "parquet_scan", ".parquet", "tmon-out"} {
			if strings.Contains(low, bad) {
				t.Errorf("%s.sql names a path or file (%s): name views only", q.Name, bad)
			}
		}
	}
	if _, err := parseHeader("x", "-- y: z\nSELECT 1"); err == nil {
		t.Error("mismatched header name accepted")
	}
	wide, _ := sqlFiles.ReadDir("wide")
	for _, e := range wide {
		if q, err := Get(strings.TrimSuffix(e.Name(), ".sql")); err != nil || !q.HasWide() {
			t.Errorf("wide/%s has no default form %s beside it", e.Name(), e.Name())
		}
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./queries -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./queries -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestViewSeesNewParts: the glob is read again by each query, so a part
// file written after Open (a live collector) is visible.
func TestViewSeesNewParts(t *testing.T) {
	out := makeOut(t, t.TempDir(), "tmon-out")
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.Write(out, observe.TableEvents, 2, testEvents2); err != nil {
		t.Fatal(err)
	}
	if got := run(t, db, "SELECT count(*) FROM events").Rows[0][0]; got != int64(4) {
		t.Errorf("events after a new part = %v, want 4", got)
	}
}

// TestSummaryNoCountersNull: where class 'all' kept no counters (its
// flows have no flow_counters row: the class has no counters analysis;
// here only flow 6 of class web has some), the summary's ip_reasm is NULL,
// not 0: it said 0 reassembled while the replay's summary counted 2
// (testCounters' ip_reassembled of flow 1, which a class without counters
// never writes).
func TestSummaryNoCountersNull(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	r, err := store.BeginRun(out, store.Manifest{Version: "test", Command: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	for _, err := range []error{
		appendErr(store.Append(r, observe.TableFlows, testFlows)),
		appendErr(store.Append(r, observe.TableFlows, testFlows2)),
		appendErr(store.Append(r, observe.TableFlowCounters, testCounters[3:])), // flow 6's, of class web
		r.Finish(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := Get("summary")
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, db, q.SQL)
	if len(res.Rows) != 6 {
		t.Fatalf("%d rows, want 6 (5 protocols and the total): %v", len(res.Rows), res.Rows)
	}
	for _, row := range res.Rows {
		if row[7] != nil {
			t.Errorf("%v: ip_reasm %v, want NULL (class all kept no counters)", row[:2], row[7])
		}
	}
}

// TestOnewayLossRow: the table macro oneway_loss_row(t) (OnewayLossMacro),
// where wide/oneway.sql and wide/oneway-hourly.sql take the loss columns
// of a one-way row, gives testLoss's rows with loss_pct = 100 lost / sent
// to 3 decimals: 2 of 100 (2), 50 of 50 (100), 4 of 11 (36.364).
func TestOnewayLossRow(t *testing.T) {
	db := openTest(t)
	res := run(t, db, "SELECT * FROM oneway_loss_row(oneway_loss) ORDER BY flow_id, interval_start")
	want := []string{"class", "flow_id", "flow", "from_hop", "to_hop", "from_hop_index", "to_hop_index", "interval_start", "sent", "delivered", "lost", "missed", "dropped", "duplicates", "loss_pct"}
	if !reflect.DeepEqual(res.Columns, want) || len(res.Rows) != 3 {
		t.Fatalf("columns %v, %d rows; want %v, 3 rows", res.Columns, len(res.Rows), want)
	}
	var pct []string
	for _, r := range res.Rows {
		pct = append(pct, text(r[14], res.Types[14]))
	}
	if got := strings.Join(pct, " "); got != "2 100 36.364" {
		t.Errorf("loss_pct %s, want 2 100 36.364", got)
	}
}
