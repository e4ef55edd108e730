package report

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/queries"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestMain(m *testing.M) {
	code := testout.Main(m)
	if labDir != "" {
		os.RemoveAll(labDir) // one per test binary: they piled up in /tmp
	}
	os.Exit(code)
}

var (
	labOnce sync.Once
	labDir  string
)

// labOut replays five lab captures with testdata/lab.yaml and --rollup
// (rollups and the addresses table) once per test binary.
func labOut(t *testing.T) string {
	t.Helper()
	labOnce.Do(func() {
		lab := func(p ...string) string { return testsamples.Path(t, append([]string{"lab"}, p...)...) }
		out := filepath.Join(os.TempDir(), fmt.Sprintf("tmonbench-report-test-%d", os.Getpid()))
		os.RemoveAll(out)
		testout.Run(t, "replay", "-q", "--rollup", "--progress", "never", "--config", filepath.Join("testdata", "lab.yaml"), "--out", out,
			"--probe", "A="+lab("oneway-udp", "A.pcap"), "--probe", "B="+lab("oneway-udp", "B.pcap"),
			"--probe", "tcp="+lab("tcp-mix", "A.pcap"), "--probe", "svc="+lab("dns-snmp-ntp", "A.pcap"), "--probe", "ftp="+lab("ftp", "A.pcap"))
		labDir = out
	})
	if labDir == "" {
		t.Fatal("lab output not built")
	}
	return labDir
}

func openLab(t *testing.T) *sql.DB {
	t.Helper()
	db := testdb.Open(t, labOut(t))
	return db
}

// one runs q and returns its rows as "v1|v2|...\n" text.
func one(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	res, err := queries.Run(db, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var b strings.Builder
	for _, r := range res.Rows {
		for i, v := range r {
			if i > 0 {
				b.WriteString("|")
			}
			fmt.Fprint(&b, jsonValue(v, res.Types[i]))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestViewsGolden: each report view on the lab output, as CSV, against
// testdata/NAME.golden (go test ./queries/report -update rewrites them);
// TestViewsEqualRaw checks their figures independently.
func TestViewsGolden(t *testing.T) {
	inViews := map[string]bool{}
	for _, v := range Views {
		inViews[v.Name] = true
	}
	for _, q := range queries.List() {
		if q.NeedsRollup && !inViews[q.Name] {
			t.Errorf("named query %s needs the rollups but is not a report view: it has no golden test", q.Name)
		}
	}
	db := openLab(t)
	for _, v := range Views {
		q, err := queries.Get(v.Name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := queries.Run(db, q.Wide)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if len(res.Rows) == 0 {
			t.Errorf("%s: no rows", v.Name)
		}
		var b bytes.Buffer
		if err := queries.FormatCSV(&b, res); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", v.Name+".golden")
		if *update {
			os.WriteFile(golden, b.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./queries/report -update)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s differs from %s:\n%s", v.Name, golden, b.String())
		}
	}
}

// sliceColumns returns the report query name after checking that none
// of its columns, in its narrow form (SQL) or its wide one, reads as a
// percentile (pNN_ without _slice_).
func sliceColumns(t *testing.T, db *sql.DB, name string) queries.Named {
	t.Helper()
	q, err := queries.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{q.SQL, q.Wide} {
		res, err := queries.Run(db, text)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Columns {
			if regexp.MustCompile(`^p[0-9]+_`).MatchString(c) && !strings.Contains(c, "_slice_") {
				t.Errorf("column %s of %s reads as a percentile", c, name)
			}
		}
	}
	return q
}

// TestOperatorRTTSlices: operator-rtt's percentile columns say they are
// histogram slices, never pNN_ms nor pNN_hi_ms (a trial read p50_hi_ms
// 1.934 as the median of DNS round trips whose p50 is 0.122 ms), and the
// narrow form's p50_slice_ms is the range of the samples of the slice
// holding the nearest rank: for the lab's DNS at svc, 0.043-1.934, the
// smallest DNS sample and the largest one under 2 ms (the first slice,
// slices_ms default), from rtt_samples.
func TestOperatorRTTSlices(t *testing.T) {
	db := openLab(t)
	q := sliceColumns(t, db, "operator-rtt")
	got := one(t, db, `SELECT p50_slice_ms FROM (`+q.SQL+`) WHERE probe = 'svc' AND kind = 'dns'`)
	raw := one(t, db, `SELECT round(min(rtt_ms), 3) || '-' || round(max(rtt_ms) FILTER (WHERE rtt_ms < 2), 3)
		FROM rtt_samples WHERE probe = 'svc' AND kind = 'dns'`)
	if got != "0.043-1.934\n" || got != raw {
		t.Errorf("svc dns p50_slice_ms %q, want 0.043-1.934 (rtt_samples: %q)", got, raw)
	}
}

// TestOnewayHourlySlices: oneway-hourly's percentile columns say they are
// histogram slices, as operator-rtt's do (TestOperatorRTTSlices), never
// pNN_hi_us (read as a percentile: 1000 for a p50 delay of 58.7 µs), and
// hold the nearest rank. The lab's one-way flow (lab.yaml: slices_ms 1, 2,
// 5, ... 100) has 4941 delays in its hour, 2988 under 1 ms (oneway_delays):
// the p50 (rank 2471) lies in the first slice, 0-1000 µs narrowed by the
// smallest delay, 5.26 µs: 5-1000; the p99 (rank 4892) in the last,
// 100000 µs up to the largest delay, 176643.537 µs: 100000-176644.
func TestOnewayHourlySlices(t *testing.T) {
	db := openLab(t)
	q := sliceColumns(t, db, "oneway-hourly")
	got := one(t, db, `SELECT p50_slice_us, p99_slice_us FROM (`+q.SQL+`)`)
	raw := one(t, db, `SELECT floor(min(delay_us))::BIGINT || '-1000', '100000-' || ceil(max(delay_us))::BIGINT
		FROM oneway_delays WHERE status = 'delivered'`)
	if got != "5-1000|100000-176644\n" || got != raw {
		t.Errorf("p50_slice_us|p99_slice_us %q, want 5-1000|100000-176644 (oneway_delays: %q)", got, raw)
	}
	in := one(t, db, `SELECT l[ceil(0.5 * n)::BIGINT] BETWEEN p50_slice_lo_us AND p50_slice_hi_us, l[ceil(0.99 * n)::BIGINT] BETWEEN p99_slice_lo_us AND p99_slice_hi_us
		FROM (`+q.Wide+`), (SELECT list_sort(list(delay_us)) AS l, count(*) AS n FROM oneway_delays WHERE status = 'delivered')`)
	if in != "true|true\n" {
		t.Errorf("nearest-rank p50, p99 in their slices: %q, want true|true", in)
	}
}

// TestViewsEqualRaw: the totals of every report view equal the same
// figures computed from the raw tables (flows, rtt_samples, ftp_transfers,
// oneway_delays), without the rollups.
func TestViewsEqualRaw(t *testing.T) {
	db := openLab(t)
	checks := []struct{ name, view, raw string }{
		{"manager: bytes and packets per probe, local activity and direction",
			`SELECT probe, activity, direction, sum(packets), sum(bytes) FROM (` + sqlOf(t, "manager") + `) GROUP BY ALL ORDER BY ALL`,
			`SELECT f.probe, coalesce(nullif(CASE WHEN s.network = '' AND d.network <> '' THEN d.activity ELSE s.activity END, ''), '-'),
				CASE WHEN s.network <> '' AND d.network <> '' THEN 'internal' WHEN s.network <> '' THEN 'outbound' WHEN d.network <> '' THEN 'inbound' ELSE 'transit' END,
				sum(f.packets), sum(f.bytes)
			 FROM flows f JOIN addresses s ON s.address = f.src_addr JOIN addresses d ON d.address = f.dst_addr WHERE f.class = 'all' GROUP BY ALL ORDER BY ALL`},
		{"operator: flows, packets, bytes, SYN per probe and protocol",
			`SELECT probe, protocol, sum(flows), sum(packets), sum(bytes), sum(tcp_syn) FROM (` + sqlOf(t, "operator") + `) GROUP BY ALL ORDER BY ALL`,
			`SELECT probe, CASE protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' ELSE 'x' END, count(*), sum(packets), sum(bytes),
				(SELECT coalesce(sum(c.n), 0) FROM flow_counters c JOIN flows g USING (probe, flow_id) WHERE g.class = 'all' AND g.probe = f.probe AND g.protocol = f.protocol AND c.metric = 'tcp_syn')
			 FROM flows f WHERE class = 'all' GROUP BY probe, protocol ORDER BY ALL`},
		{"operator: packet size mean and standard deviation per probe and protocol (one hour)",
			`SELECT probe, protocol, mean_packet_bytes, stddev_packet_bytes FROM (` + sqlOf(t, "operator") + `) ORDER BY ALL`,
			`SELECT f.probe, CASE f.protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' ELSE 'x' END,
				round(sum(f.bytes) / sum(f.packets), 3),
				round(sqrt((SELECT sum(c.sumsq) FROM flow_counters c JOIN flows g USING (probe, flow_id) WHERE g.class = 'all' AND g.probe = f.probe AND g.protocol = f.protocol AND c.metric = 'ip_bytes') / sum(f.packets) - (sum(f.bytes) / sum(f.packets)) ** 2), 3)
			 FROM flows f WHERE class = 'all' GROUP BY f.probe, f.protocol ORDER BY ALL`},
		{"operator-rtt: samples, mean, min, max per probe and kind (one hour)",
			`SELECT probe, kind, samples, mean_ms, min_ms, max_ms FROM (` + sqlOf(t, "operator-rtt") + `) ORDER BY ALL`,
			`SELECT probe, kind, count(*), round(avg(rtt_ms), 3), round(min(rtt_ms), 3), round(max(rtt_ms), 3) FROM rtt_samples GROUP BY ALL ORDER BY ALL`},
		{"operator-rtt: the nearest-rank p50 and p99 lie in their bounds",
			`SELECT probe, kind, 'ok' FROM (` + sqlOf(t, "operator-rtt") + `) v JOIN (
				SELECT probe, kind, list_sort(list(rtt_ms)) AS l, count(*) AS n FROM rtt_samples GROUP BY ALL) r USING (probe, kind)
			 WHERE round(l[ceil(0.5 * n)::BIGINT], 3) BETWEEN p50_slice_lo_ms AND p50_slice_hi_ms AND round(l[ceil(0.99 * n)::BIGINT], 3) BETWEEN p99_slice_lo_ms AND p99_slice_hi_ms ORDER BY ALL`,
			`SELECT DISTINCT probe, kind, 'ok' FROM rtt_samples ORDER BY ALL`},
		{"conversations: bytes each way of the top pair",
			`SELECT a, b, bytes_a_to_b, bytes_b_to_a, flows FROM (` + sqlOf(t, "conversations") + `) LIMIT 1`,
			`SELECT least(src_addr, dst_addr) a, greatest(src_addr, dst_addr) b, sum(bytes) FILTER (WHERE src_addr < dst_addr), sum(bytes) FILTER (WHERE src_addr > dst_addr), count(*)
			 FROM flows WHERE class = 'all' GROUP BY probe, a, b ORDER BY sum(bytes) DESC LIMIT 1`},
		{"ftp-daily: transfers, complete and bytes per direction",
			`SELECT direction, transfers, complete, bytes FROM (` + sqlOf(t, "ftp-daily") + `) ORDER BY ALL`,
			`SELECT direction, count(*), count(*) FILTER (WHERE status = 'complete'), sum(bytes) FROM ftp_transfers GROUP BY ALL ORDER BY ALL`},
		{"oneway-hourly: sent, delivered, lost and delay statistics per hour",
			`SELECT from_hop, to_hop, sent, delivered, lost, mean_us, stddev_us, min_us, max_us FROM (` + sqlOf(t, "oneway-hourly") + `) ORDER BY ALL`,
			`SELECT from_hop, to_hop, count(*), count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'lost'),
				round(avg(delay_us), 1), round(stddev_pop(delay_us), 1), min(delay_us), max(delay_us)
			 FROM oneway_delays WHERE send_time IS NOT NULL GROUP BY ALL ORDER BY ALL`},
	}
	for _, c := range checks {
		got, want := one(t, db, c.view), one(t, db, c.raw)
		if got != want || got == "" {
			t.Errorf("%s:\nview %q\nraw  %q", c.name, got, want)
		}
	}
}

// sortLines sorts the lines of s.
func sortLines(s string) string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// sqlOf returns the named query's text in its wide form (every column).
func sqlOf(t *testing.T, name string) string {
	t.Helper()
	q, err := queries.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return q.Wide
}

// TestReportEqualsRaw: every chart of the report carries the raw tables'
// figures: traffic totals per protocol, RTT histograms per slice, one-way
// delay slices and loss, top conversations; and the filters filter.
func TestReportEqualsRaw(t *testing.T) {
	db := openLab(t)
	d, err := Build(context.Background(), db, Options{Source: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	var charts []string
	for _, s := range d.Series {
		charts = append(charts, s.ID)
	}
	for _, h := range d.Histograms {
		charts = append(charts, h.ID)
	}
	// two traffic charts per probe (5), one one-way chart
	if len(d.Series) != 11 || len(d.Histograms) < 6 || len(d.Top) != 1 || len(d.Tables) != len(Views) {
		t.Fatalf("%d series, %d histograms, %d top, %d tables: %v", len(d.Series), len(d.Histograms), len(d.Top), len(d.Tables), charts)
	}
	// Traffic: per probe (not summed: A and B see the same packets) and
	// protocol, the points add up to the flows' totals.
	for i, metric := range []string{"bytes", "packets"} {
		var got strings.Builder
		for _, s := range d.Series[:10] {
			probe, ok := strings.CutPrefix(s.Title, map[string]string{"bytes": "IP bytes", "packets": "IP packets"}[metric])
			if !ok {
				continue
			}
			probe = probe[strings.LastIndex(probe, " at ")+4:]
			for _, l := range s.Lines {
				sum := 0.0
				for _, v := range l.Values {
					sum += *v
				}
				fmt.Fprintf(&got, "%s|%s|%.0f\n", probe, l.Name, sum)
			}
		}
		want := one(t, db, fmt.Sprintf(`SELECT probe, CASE protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' ELSE 'x' END, sum(%s) FROM flows WHERE class = 'all' GROUP BY ALL`, metric))
		if sortLines(got.String()) != sortLines(want) || strings.Count(want, "\n") < 5 {
			t.Errorf("traffic %s (%d): charts %q, flows %q", metric, i, got.String(), want)
		}
	}
	// One-way: the series' loss and the latency histogram's counts.
	ow := d.Series[10]
	lossRaw := one(t, db, `SELECT loss FROM (SELECT epoch_ns(send_time) // 10000000000 AS b, round(100.0 * count(*) FILTER (WHERE status = 'lost') / count(*), 6) AS loss
		FROM oneway_delays WHERE send_time IS NOT NULL GROUP BY b) ORDER BY b`)
	var lossChart []string
	for _, v := range ow.Lines[3].Values {
		lossChart = append(lossChart, fmt.Sprintf("%.6f", *v))
	}
	if !strings.Contains(ow.Title, "per 10 s") || len(ow.T) != 2 || strings.Join(lossChart, "\n")+"\n" != lossRaw {
		t.Errorf("one-way series %q: %d points, loss %q; raw %q", ow.Title, len(ow.T), lossChart, lossRaw)
	}
	hist := map[string]string{}
	for _, h := range d.Histograms {
		var b strings.Builder
		for i := range h.Bins {
			fmt.Fprintf(&b, "%s|%d\n", h.Bins[i], h.Counts[i])
		}
		hist[h.Title] = b.String()
	}
	owRaw := one(t, db, `SELECT CASE WHEN delay_us <= 1000 THEN '≤ 1 ms' WHEN delay_us <= 2000 THEN '(1, 2] ms' WHEN delay_us <= 5000 THEN '(2, 5] ms'
			WHEN delay_us <= 10000 THEN '(5, 10] ms' WHEN delay_us <= 20000 THEN '(10, 20] ms' WHEN delay_us <= 50000 THEN '(20, 50] ms'
			WHEN delay_us <= 100000 THEN '(50, 100] ms' ELSE '> 100 ms' END, count(*)
		FROM oneway_delays WHERE status = 'delivered' GROUP BY ALL ORDER BY min(delay_us)`)
	if got := hist["One-way delay telemetry *>198.51.100.10:9000, A → B"]; got != owRaw {
		t.Errorf("one-way histogram %q, delays %q", got, owRaw)
	}
	// RTT: every probe and kind, counts per slice from the samples.
	rtt := one(t, db, `SELECT 'Round trips ' || s.kind || ' at ' || s.probe, h.slice_lo_ms, h.slice_hi_ms, count(*) FROM rtt_samples s
		JOIN (SELECT DISTINCT probe, kind, slice_lo_ms, slice_hi_ms FROM rtt_histograms) h ON h.probe = s.probe AND h.kind = s.kind
		  AND s.rtt_ms >= h.slice_lo_ms AND (h.slice_hi_ms = 0 OR s.rtt_ms < h.slice_hi_ms)
		GROUP BY ALL ORDER BY ALL`)
	if rttChart := histogramText(d, "Round trips", "[%g, %g) ms", "≥ %g ms"); sortLines(rttChart) != sortLines(rtt) || rtt == "" {
		t.Errorf("RTT histograms\n%s\nsamples\n%s", rttChart, rtt)
	}
	checkSizeHistograms(t, db, d)
	// Top conversations: the bars are the pairs' byte totals at each probe.
	top := one(t, db, `SELECT least(src_addr, dst_addr) || ' ↔ ' || greatest(src_addr, dst_addr) || ' at ' || probe, sum(bytes) FROM flows WHERE class = 'all'
		GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT 10`)
	var bars strings.Builder
	for i := range d.Top[0].Labels {
		fmt.Fprintf(&bars, "%s|%.0f\n", d.Top[0].Labels[i], d.Top[0].Values[i])
	}
	if bars.String() != top {
		t.Errorf("top bars %q, flows %q", bars.String(), top)
	}

	// Filters: activity PROD keeps the traffic of 198.51.100.0/24 only;
	// a range after the captures keeps nothing.
	d, err = Build(context.Background(), db, Options{Activity: "PROD", Location: "Site 2 DMZ"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Tables[0].Rows {
		if r[2] != "PROD" {
			t.Errorf("manager with activity PROD: %v", r)
		}
	}
	d, err = Build(context.Background(), db, Options{From: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range d.Tables {
		if tb.Total != 0 && tb.Name != "conversations" {
			t.Errorf("%s after 2030: %d rows", tb.Name, tb.Total)
		}
	}
	if len(d.Series) != 0 || len(d.Histograms) != 0 {
		t.Errorf("after 2030: %d series %d histograms", len(d.Series), len(d.Histograms))
	}
	// Ranges before and after the lab's rows (2026-11-29 14:57-14:59 UTC)
	// on their day keep nothing either: the histograms read the 1-minute
	// rollups, not the day's bucket (its 00:00 is before any hour of the
	// day; the one-way histogram took the whole day of From).
	day := func(h int) time.Time { return time.Date(2026, 11, 29, h, 0, 0, 0, time.UTC) }
	if first := one(t, db, `SELECT min(interval_start)::DATE FROM flow_counters`); first != "2026-11-29\n" {
		t.Fatalf("the lab's rows start on %q: the ranges below need its day", first)
	}
	for _, o := range []Options{{To: day(12)}, {From: day(16)}, {From: day(10), To: day(12)}} {
		if d, err = Build(context.Background(), db, o); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, h := range d.Histograms {
			titles = append(titles, h.Title)
		}
		if len(d.Series) != 0 || len(titles) != 0 {
			t.Errorf("from %v to %v: %d series, histograms %q; want none", o.From, o.To, len(d.Series), titles)
		}
	}
}

// TestNotPrepared: an output without rollups says to run tmonbench rollup.
func TestNotPrepared(t *testing.T) {
	out := testout.Replay(t, filepath.Join(testout.ModuleRoot(t), "samples", "zeek_ntp.pcap"))
	db := testdb.Open(t, out)
	if _, err := Build(context.Background(), db, Options{}); err != ErrNotPrepared {
		t.Errorf("%v, want ErrNotPrepared", err)
	}
}

// TestOnewayFilters: the one-way charts and the oneway-hourly view keep a
// one-way flow when an address of its probe flows has the activity and
// location asked for, as the other charts and views do. In the lab the
// telemetry flow is *>198.51.100.10:9000 (the class splits by destination
// only), 198.51.100.0/24 being PROD at "Site 2 DMZ" in testdata/lab.yaml;
// an unknown activity or location kept the one-way charts, so the report
// was never empty and `tmonbench report --activity NOPE` gave no warning.
func TestOnewayFilters(t *testing.T) {
	db := openLab(t)
	const flow = "*>198.51.100.10:9000"
	for _, c := range []struct {
		opt  Options
		want bool // the one-way flow is in the charts and the view
	}{
		{Options{}, true},
		{Options{Activity: "PROD"}, true},
		{Options{Location: "Site 2 DMZ"}, true},
		{Options{Activity: "PROD", Location: "Site 2 DMZ"}, true},
		{Options{Activity: "ENG"}, false},
		{Options{Location: "Site 1 Internal"}, false},
		{Options{Activity: "PROD", Location: "Site 1 Internal"}, false},
		{Options{Activity: "NOPE"}, false},
		{Options{Location: "NOPE"}, false},
	} {
		d, err := Build(context.Background(), db, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		var series, hists int
		for _, s := range d.Series {
			if strings.HasPrefix(s.Title, "One-way telemetry "+flow+",") {
				series++
			}
		}
		for _, h := range d.Histograms {
			if h.Title == "One-way delay telemetry "+flow+", A → B" {
				hists++
			}
		}
		rows := -1
		for _, tb := range d.Tables {
			if tb.Name == "oneway-hourly" {
				rows = tb.Total
			}
		}
		got := series == 1 && hists == 1 && rows == 1
		if gone := series == 0 && hists == 0 && rows == 0; got != c.want || !got && !gone {
			t.Errorf("activity %q location %q: %d one-way series, %d one-way histograms, %d oneway-hourly rows; want the flow: %v",
				c.opt.Activity, c.opt.Location, series, hists, rows, c.want)
		}
		if nope := c.opt.Activity == "NOPE" || c.opt.Location == "NOPE"; d.Empty() != nope {
			t.Errorf("activity %q location %q: Empty() = %v", c.opt.Activity, c.opt.Location, d.Empty())
		}
	}
}

// checkSizeHistograms: per class and probe (not summed: A and B see the
// same packets), the report's size histograms hold the packets per slice
// of size_histograms.
func checkSizeHistograms(t *testing.T, db *sql.DB, d *Data) {
	t.Helper()
	sizes := one(t, db, `SELECT 'IP packet sizes, class ' || f.class || ' at ' || f.probe, s.slice_lo_bytes, s.slice_hi_bytes, sum(s.packets)
			FROM size_histograms s JOIN (SELECT DISTINCT probe, flow_id, class FROM flows) f USING (probe, flow_id) GROUP BY ALL ORDER BY ALL`)
	if sizeChart := histogramText(d, "IP packet sizes", "(%g, %g] bytes", "> %g bytes"); sortLines(sizeChart) != sortLines(sizes) || !strings.Contains(sizes, " at B|") {
		t.Errorf("size histograms\n%s\nsize_histograms\n%s", sizeChart, sizes)
	}
}

// histogramText writes the histograms of d whose title starts with prefix
// as "title|lo|hi|count" lines, each bin read with the bounded format (two
// numbers) or else the open one (one number, hi 0).
func histogramText(d *Data, prefix, bounded, open string) string {
	var b strings.Builder
	for _, h := range d.Histograms {
		if !strings.HasPrefix(h.Title, prefix) {
			continue
		}
		for i, bin := range h.Bins {
			var lo, hi float64
			if _, err := fmt.Sscanf(bin, bounded, &lo, &hi); err != nil {
				fmt.Sscanf(bin, open, &lo)
			}
			fmt.Fprintf(&b, "%s|%g|%g|%d\n", h.Title, lo, hi, h.Counts[i])
		}
	}
	return b.String()
}

// TestEmptyViewSaysWhy: a view without a row says why under its title
// (Table.Empty, drawn after "0 rows · tmonbench query NAME"), from the
// reasons the command gives (Options.Empty: cmd/tmonbench emptyReasons,
// as `tmonbench query ftp-daily` prints them), where the page said
// "0 rows" alone (a trial): the lab's dns-snmp-ntp A capture has no FTP,
// so ftp-daily (ftp_transfers) is empty, and the default configuration
// runs no oneway analysis, so oneway-hourly (oneway_loss_1h, rolled up
// from oneway_loss) is. A view with rows (the lab output's ftp-daily)
// gets no note, whatever the reasons.
func TestEmptyViewSaysWhy(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	testout.Run(t, "replay", "-q", "--rollup", "--progress", "never", "--out", out, testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap"))
	db := testdb.Open(t, out)
	reasons := queries.EmptyReasons{
		"ftp_transfers": "no packet matched the classes that run the ftp analysis (ftp: no flow of theirs in flows)",
		"oneway_loss":   "no class of the configuration that wrote out runs the oneway analysis (add \"oneway\" to a class's analyses)",
	}
	d, err := Build(context.Background(), db, Options{Empty: reasons})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ftp-daily":     "ftp_transfers is empty: " + reasons["ftp_transfers"],
		"oneway-hourly": "oneway_loss_1h is empty: " + reasons["oneway_loss"] + " (oneway_loss_1h is rolled up from oneway_loss)",
	}
	for _, tb := range d.Tables {
		if tb.Empty != want[tb.Name] || (tb.Total == 0) != (want[tb.Name] != "") {
			t.Errorf("%s: %d rows, empty %q, want %q", tb.Name, tb.Total, tb.Empty, want[tb.Name])
		}
	}
	if d, err = Build(context.Background(), openLab(t), Options{Empty: reasons}); err != nil {
		t.Fatal(err)
	}
	for _, tb := range d.Tables {
		if tb.Empty != "" || tb.Total == 0 {
			t.Errorf("lab output: %s: %d rows, empty %q, want rows and no note", tb.Name, tb.Total, tb.Empty)
		}
	}
}
