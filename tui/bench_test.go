package tui

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// millionFlows writes a generated output of n flows laid out as tmonbench
// replay writes one (Hive-partitioned by date and probe, in parts, plus
// run.json) with DuckDB: flows over one hour of capture time, each lasting
// up to 30 s, in two classes; flow_counters with the seven metrics a TCP
// flow of the default config gets (packets, ip_bytes, ttl, dscp,
// l4_payload_bytes, tcp_syn, tcp_fin) for every 60 s interval it spans
// (about 9.5 rows a flow); the probe's start and stop events.
func millionFlows(tb testing.TB, n int) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "tmon-out")
	for _, t := range []string{"flows", "flow_counters"} {
		if err := os.MkdirAll(filepath.Join(out, t, "date=2025-11-29", "probe=p1"), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(out, "events", "date=2025-11-29", "source=probe%3Ap1"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "run.json"), []byte(`{"tool":"tmonbench","mode":"replay","tables":{}}`), 0o644); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	const t0 = 1764428258000000000 // 2025-11-29T14:57:38Z
	stmts := []string{fmt.Sprintf(`CREATE TABLE f AS SELECT i::UBIGINT + 1 AS flow_id, 'p1' AS probe, 'if0' AS interface,
  CASE WHEN i %% 2 = 0 THEN 'all' ELSE 'web' END AS class,
  '10.' || (i // 65536 %% 256) || '.' || (i // 256 %% 256) || '.' || (i %% 256) || ':' || (1024 + i %% 60000) || '>192.0.2.' || (i %% 200) || ':443/tcp' AS name,
  4::UTINYINT AS ip_version, (CASE WHEN i %% 5 = 0 THEN 17 ELSE 6 END)::UTINYINT AS protocol,
  '10.' || (i // 65536 %% 256) || '.' || (i // 256 %% 256) || '.' || (i %% 256) AS src_addr, '192.0.2.' || (i %% 200) AS dst_addr,
  (1024 + i %% 60000)::USMALLINT AS src_port, 443::USMALLINT AS dst_port,
  make_timestamp_ns(%[2]d + i * (3600000000000 // %[1]d)) AS first_seen,
  make_timestamp_ns(%[2]d + i * (3600000000000 // %[1]d) + (hash(i) %% 30000000000)::BIGINT) AS last_seen,
  (1 + hash(i) %% 1000)::UBIGINT AS packets, (60 + hash(i * 7) %% 1500000)::UBIGINT AS bytes
FROM range(%[1]d) t(i)`, n, t0),
		`CREATE TABLE c AS SELECT f.probe, f.flow_id, make_timestamp_ns(iv * 60000000000) AS interval_start, 60.0::DOUBLE AS interval_s,
  m.metric, m.unit, (f.packets // (sb - sa + 1))::UBIGINT AS n,
  CASE m.metric WHEN 'ip_bytes' THEN f.bytes / (sb - sa + 1) WHEN 'packets' THEN f.packets / (sb - sa + 1) ELSE 64.0 END AS sum,
  0.0::DOUBLE AS sumsq, 0.0::DOUBLE AS min, 1500.0::DOUBLE AS max
FROM (SELECT *, epoch_ns(first_seen) // 60000000000 AS sa, epoch_ns(last_seen) // 60000000000 AS sb FROM f) f,
  (VALUES ('packets', 'packets'), ('ip_bytes', 'bytes'), ('ttl', 'hops'), ('dscp', 'code point'), ('l4_payload_bytes', 'bytes'),
   ('tcp_syn', 'segments'), ('tcp_fin', 'segments')) m(metric, unit),
  generate_series(sa, sb) g(iv)`,
		fmt.Sprintf(`CREATE TABLE e AS SELECT make_timestamp_ns(%d) AS time, 'probe:p1' AS source, 'probe_start' AS kind, 'info' AS severity,
  'probe p1 started with 2 classes, interval 60s' AS message, 0::UBIGINT AS count
UNION ALL SELECT max(last_seen), 'probe:p1', 'probe_stop', 'info', 'probe p1: ' || sum(packets) || ' packets, ' || sum(packets) || ' IP, 0 not IP, 0 malformed, ' || count(*) || ' flows', 0 FROM f`, t0),
	}
	// parts of about 100,000 flows, as replay writes them every 5 s
	parts := max(n/100_000, 1)
	for p := range parts {
		dir := func(t string) string {
			return filepath.Join(out, t, "date=2025-11-29", "probe=p1", fmt.Sprintf("part-%05d.parquet", p))
		}
		stmts = append(stmts,
			fmt.Sprintf(`COPY (SELECT * EXCLUDE (probe) FROM f WHERE flow_id %% %d = %d ORDER BY flow_id) TO '%s' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)`, parts, p, dir("flows")),
			fmt.Sprintf(`COPY (SELECT * EXCLUDE (probe) FROM c WHERE flow_id %% %d = %d) TO '%s' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)`, parts, p, dir("flow_counters")))
	}
	stmts = append(stmts, fmt.Sprintf(`COPY (SELECT * EXCLUDE (source) FROM e) TO '%s' (FORMAT parquet, COMPRESSION zstd)`,
		filepath.Join(out, "events", "date=2025-11-29", "source=probe%3Ap1", "part-00000.parquet")))
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// BenchmarkMillionFlows opens a generated one-million-flow output
// (millionFlows: 1,000,000 flows, 9.5 million flow_counters rows, in ten
// parts) and reports the time to the first screen (the overview drawn with
// its per-interface table, protocol and class mixes and events: what the
// TUI shows while the throughput strip is still being added up), to the
// complete overview (with its strip, from flow_counters), to the flows
// screen's first page (sorted by bytes, with its count), and per page down
// (PgDn, keyset pages). The queries run one after the other here, as
// Cmds; the program runs them concurrently.
//
//	go test ./tui -run '^$' -bench MillionFlows -benchtime 3x
func BenchmarkMillionFlows(b *testing.B) {
	out := millionFlows(b, 1_000_000)
	var first, full, flows, page time.Duration
	const pages = 30
	for b.Loop() {
		start := time.Now()
		m, err := New(Options{Out: out, Renderer: testRenderer()})
		if err != nil {
			b.Fatal(err)
		}
		o := m.tabs[0].(*overview)
		first += driveUntil(b, m, start, func() bool { return o.d != nil }, append([]tea.Msg{tea.WindowSizeMsg{Width: 120, Height: 40}}, runCmd(m.Init())...)...)
		full += time.Since(start)
		if o.d == nil || len(o.d.probes) != 1 || o.d.probes[0].flows != 500_000 || o.strip == nil || !o.strip.exact {
			b.Fatalf("overview: %+v, strip %+v", o.d, o.strip)
		}
		pt := m.tabs[1].(*pagedTable)
		flows += driveUntil(b, m, time.Now(), func() bool { return len(pt.rows) > 0 && pt.total >= 0 }, keyMsg("2"))
		if pt.total != 1_000_000 || len(pt.rows) == 0 {
			b.Fatalf("flows screen: total %d, %d rows", pt.total, len(pt.rows))
		}
		t1 := time.Now()
		for range pages {
			drive(b, m, keyMsg("pgdown"))
			_ = m.View()
		}
		page += time.Since(t1)
		if pt.offset+int64(pt.cur) != int64(pages*pt.pageH) || len(pt.rows) > 3*pt.fetchN()+pt.fetchN() {
			b.Fatalf("after %d pages: row %d, %d rows held", pages, pt.offset+int64(pt.cur), len(pt.rows))
		}
		m.Close()
	}
	n := float64(b.N)
	b.ReportMetric(float64(first.Milliseconds())/n, "ms/first-screen")
	b.ReportMetric(float64(full.Milliseconds())/n, "ms/overview")
	b.ReportMetric(float64(flows.Milliseconds())/n, "ms/flows-screen")
	b.ReportMetric(float64(page.Microseconds())/n/pages/1000, "ms/page")
}

// driveUntil is drive that also returns how long after start the screen
// was first drawn with shown() true (the View rendered then counts); the
// messages left are driven to the end.
func driveUntil(tb testing.TB, m *Model, start time.Time, shown func() bool, msgs ...tea.Msg) time.Duration {
	tb.Helper()
	var at time.Duration
	queue := append([]tea.Msg(nil), msgs...)
	for len(queue) > 0 {
		msg := queue[0]
		queue = queue[1:]
		_, cmd := m.Update(msg)
		if at == 0 && shown() {
			_ = m.View()
			at = time.Since(start)
		}
		queue = append(queue, runCmd(cmd)...)
	}
	_ = m.View()
	if at == 0 {
		tb.Fatal("the screen was never drawn with its data")
	}
	return at
}
