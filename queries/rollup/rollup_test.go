package rollup

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/stat"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/internal/testsamples"
	"github.com/tmonbench/tmonbench/queries"
)

func TestMain(m *testing.M) { os.Exit(testout.Main(m)) }

// build opens out, runs Build and reopens out so the rollup views exist.
func build(t *testing.T, out string) (*sql.DB, *Result) {
	t.Helper()
	db, err := queries.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(context.Background(), db, out)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	db = testdb.Open(t, out)
	checkColumns(t, db)
	return db, res
}

// checkColumns: every rollup table in db has the columns Table.Columns
// declares for the reference (name, DuckDB type), plus the
// partition key date.
func checkColumns(t *testing.T, db *sql.DB) {
	t.Helper()
	checked := 0
	for _, tb := range Tables {
		want := map[string]string{"date": "DATE"}
		var order []string
		for _, c := range tb.Columns() {
			want[c.Name] = c.Type
			order = append(order, c.Name)
		}
		for _, name := range tb.Names() {
			var n int
			if err := db.QueryRow("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", name).Scan(&n); err != nil || n == 0 {
				continue
			}
			checked++
			var got []string
			for _, r := range rows(t, db, "SELECT column_name, column_type FROM (DESCRIBE "+ident(name)+")") {
				col, typ := r[0].(string), r[1].(string)
				got = append(got, col)
				if want[col] != typ {
					t.Errorf("%s.%s: type %s, Columns says %q", name, col, typ, want[col])
				}
			}
			if len(got) != len(order)+1 {
				t.Errorf("%s has columns %v, Columns declares %v and date", name, got, order)
			}
		}
	}
	if checked == 0 {
		t.Error("no rollup table to check")
	}
	t.Logf("%d rollup tables have the columns Table.Columns declares", checked)
}

func rows(t *testing.T, db *sql.DB, q string) [][]any {
	t.Helper()
	res, err := queries.Run(db, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

func f64(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case uint64:
		return float64(x)
	case int64:
		return float64(x)
	case uint32:
		return float64(x)
	case nil:
		return math.NaN()
	}
	panic(fmt.Sprintf("f64 %T", v))
}

// near: relative difference at most rel (absolute below 1e-9).
func near(a, b, rel float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) || math.Abs(a-b) < 1e-9
}

// moments are the exact statistics of integer samples (big integers).
type moments struct {
	n          int64
	sum, sumsq big.Int
	min, max   int64
	minSet     bool
}

func (m *moments) add(v int64) {
	m.n++
	m.sum.Add(&m.sum, big.NewInt(v))
	m.sumsq.Add(&m.sumsq, new(big.Int).Mul(big.NewInt(v), big.NewInt(v)))
	if !m.minSet || v < m.min {
		m.min = v
	}
	if !m.minSet || v > m.max {
		m.max = v
	}
	m.minSet = true
}

func (m *moments) mean() float64 {
	f, _ := new(big.Rat).SetFrac(&m.sum, big.NewInt(m.n)).Float64()
	return f
}

// stddev is the population standard deviation: sqrt((n·Σx² − (Σx)²)/n²),
// the numerator exact.
func (m *moments) stddev() float64 {
	num := new(big.Int).Mul(big.NewInt(m.n), &m.sumsq)
	num.Sub(num, new(big.Int).Mul(&m.sum, &m.sum))
	v, _ := new(big.Rat).SetFrac(num, new(big.Int).Mul(big.NewInt(m.n), big.NewInt(m.n))).Float64()
	return math.Sqrt(v)
}

// flowKey names a flow of class all by its 5-tuple, as the flows table does.
type flowKey struct {
	src, dst         string
	proto            uint8
	srcPort, dstPort uint16
}

// captureMoments reads a capture with gopacket (independently of the
// probe's dissector) and returns, per 5-tuple, the IP total length and TTL
// of every unfragmented IPv4 packet.
func captureMoments(t *testing.T, path string) (sizes, ttls map[flowKey]*moments) {
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
	sizes, ttls = map[flowKey]*moments{}, map[flowKey]*moments{}
	src := gopacket.NewPacketSource(r, r.LinkType())
	for p := range src.Packets() {
		ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok || ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			continue
		}
		k := flowKey{src: ip.SrcIP.String(), dst: ip.DstIP.String(), proto: uint8(ip.Protocol)}
		switch l := p.TransportLayer().(type) {
		case *layers.TCP:
			k.srcPort, k.dstPort = uint16(l.SrcPort), uint16(l.DstPort)
		case *layers.UDP:
			k.srcPort, k.dstPort = uint16(l.SrcPort), uint16(l.DstPort)
		}
		if sizes[k] == nil {
			sizes[k], ttls[k] = &moments{}, &moments{}
		}
		sizes[k].add(int64(ip.Length))
		ttls[k].add(int64(ip.TTL))
	}
	return sizes, ttls
}

// TestFlowCountersEqualCapture: on the lab tcp-mix capture, every flow's
// 1-day ip_bytes and ttl rows have the n, mean, standard deviation, min and
// max of that flow's packets as gopacket reads them from the capture.
func TestFlowCountersEqualCapture(t *testing.T) {
	pcap := filepath.Join(testsamples.Dir(t), "lab", "tcp-mix", "A.pcap")
	out := testout.Replay(t, pcap)
	db, _ := build(t, out)
	sizes, ttls := captureMoments(t, pcap)
	got := rows(t, db, `SELECT f.src_addr, f.dst_addr, f.protocol, f.src_port, f.dst_port, c.metric,
		c.n, c.sum / c.n, sqrt(c.m2 / c.n), c.min, c.max, c.interval_s
		FROM flow_counters_1d c JOIN flows f USING (probe, flow_id)
		WHERE f.class = 'all' AND c.metric IN ('ip_bytes', 'ttl') ORDER BY ALL`)
	if len(got) < 20 {
		t.Fatalf("only %d rows", len(got))
	}
	checked := 0
	for _, r := range got {
		k := flowKey{src: r[0].(string), dst: r[1].(string), proto: r[2].(uint8), srcPort: r[3].(uint16), dstPort: r[4].(uint16)}
		m := sizes[k]
		if r[5] == "ttl" {
			m = ttls[k]
		}
		if m == nil {
			t.Errorf("%+v %s: not in the capture", k, r[5])
			continue
		}
		n, mean, sd, lo, hi := f64(r[6]), f64(r[7]), f64(r[8]), f64(r[9]), f64(r[10])
		if n != float64(m.n) || lo != float64(m.min) || hi != float64(m.max) || !near(mean, m.mean(), 1e-12) || !near(sd, m.stddev(), 1e-9) || f64(r[11]) != 86400 {
			t.Errorf("%+v %s: n %v mean %v sd %v min %v max %v; capture n %d mean %v sd %v min %d max %d",
				k, r[5], n, mean, sd, lo, hi, m.n, m.mean(), m.stddev(), m.min, m.max)
		}
		checked++
	}
	t.Logf("%d flow metrics checked against the capture", checked)
}

// TestLatencyEqualDelays: on the lab one-way capture pair, the 1-minute and
// 1-day oneway_latency rows have the statistics of the oneway_delays
// records they summarise, their slice counts are the delays counted per
// slice, each nearest-rank percentile lies in its bin bounds, and the loss
// rollup adds up.
func TestLatencyEqualDelays(t *testing.T) {
	s := testsamples.Dir(t)
	out := testout.Replay(t, "--config", filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml"),
		"--probe", "A="+filepath.Join(s, "lab", "oneway-udp", "A.pcap"), "--probe", "B="+filepath.Join(s, "lab", "oneway-udp", "B.pcap"))
	db, _ := build(t, out)
	for _, lvl := range Levels {
		tbl := "oneway_latency" + lvl.Suffix
		got := rows(t, db, fmt.Sprintf(`WITH d AS (
			SELECT flow_id, from_hop, to_hop, make_timestamp_ns((epoch_ns(send_time) // %[1]d) * %[1]d) AS bt, delay_us
			FROM oneway_delays WHERE status = 'delivered'),
		r AS (SELECT flow_id, from_hop, to_hop, bt, count(*) n, avg(delay_us) mean, stddev_pop(delay_us) sd, min(delay_us) lo, max(delay_us) hi,
			list(delay_us ORDER BY delay_us) AS sorted FROM d GROUP BY ALL)
		SELECT l.n, r.n, l.sum_us / l.n, r.mean, sqrt(l.m2_us2 / l.n), r.sd, l.min_us, r.lo, l.max_us, r.hi,
			l.slice_counts, [len(list_filter(r.sorted, x -> x <= s * 1000 AND x > coalesce(l.slices_ms[i - 1] * 1000, -1e18))) FOR s, i IN l.slices_ms] ||
				[len(list_filter(r.sorted, x -> x > l.slices_ms[-1] * 1000))],
			[r.sorted[ceil(p * r.n / 100)::BIGINT] FOR p IN [50, 90, 99]],
			[l.p50_lo_us, l.p50_hi_us, l.p90_lo_us, l.p90_hi_us, l.p99_lo_us, l.p99_hi_us]
		FROM %[2]s l FULL JOIN r ON l.flow_id = r.flow_id AND l.from_hop = r.from_hop AND l.to_hop = r.to_hop AND l.interval_start = r.bt`,
			lvl.Seconds*1e9, tbl))
		if len(got) == 0 {
			t.Fatalf("%s: no rows", tbl)
		}
		for _, r := range got {
			if f64(r[0]) != f64(r[1]) || !near(f64(r[2]), f64(r[3]), 1e-12) || !near(f64(r[4]), f64(r[5]), 1e-9) ||
				f64(r[6]) != f64(r[7]) || f64(r[8]) != f64(r[9]) || fmt.Sprint(r[10]) != fmt.Sprint(r[11]) {
				t.Errorf("%s: rollup n %v mean %v sd %v min %v max %v slices %v; delays n %v mean %v sd %v min %v max %v slices %v",
					tbl, r[0], r[2], r[4], r[6], r[8], r[10], r[1], r[3], r[5], r[7], r[9], r[11])
			}
			pct, bounds := r[12].([]any), r[13].([]any)
			for i := range pct {
				if v := f64(pct[i]); v < f64(bounds[2*i]) || v > f64(bounds[2*i+1]) {
					t.Errorf("%s: p%d = %v outside [%v, %v]", tbl, Percentiles[i], v, bounds[2*i], bounds[2*i+1])
				}
			}
		}
		// Loss: the counts of the records by status, per bucket.
		loss := rows(t, db, fmt.Sprintf(`SELECT l.sent, l.delivered, l.lost, d.sent, d.delivered, d.lost FROM oneway_loss%[2]s l JOIN (
			SELECT flow_id, make_timestamp_ns((epoch_ns(send_time) // %[1]d) * %[1]d) AS bt, count(*) sent,
				count(*) FILTER (WHERE status = 'delivered') delivered, count(*) FILTER (WHERE status = 'lost') lost
			FROM oneway_delays WHERE send_time IS NOT NULL GROUP BY ALL) d ON l.flow_id = d.flow_id AND l.interval_start = d.bt`, lvl.Seconds*1e9, lvl.Suffix))
		if len(loss) == 0 {
			t.Fatalf("oneway_loss%s: no rows", lvl.Suffix)
		}
		for _, r := range loss {
			if fmt.Sprint(r[:3]) != fmt.Sprint(r[3:]) {
				t.Errorf("oneway_loss%s %v, records %v", lvl.Suffix, r[:3], r[3:])
			}
		}
	}
}

// TestRTTHistogramsEqualSamples: on the lab DNS/SNMP/NTP and TCP captures,
// each 1-day rtt_histograms row (probe, flow, kind, slice) has the
// statistics of the rtt_samples that fall in its slice [lo, hi).
func TestRTTHistogramsEqualSamples(t *testing.T) {
	s := testsamples.Dir(t)
	out := testout.Replay(t, filepath.Join(s, "lab", "dns-snmp-ntp", "A.pcap"), filepath.Join(s, "lab", "tcp-mix", "A.pcap"))
	db, _ := build(t, out)
	got := rows(t, db, `WITH r AS (SELECT h.probe, h.flow_id, h.kind, h.slice_lo_ms, h.slice_hi_ms, count(*) n, avg(rtt_ms) mean, stddev_pop(rtt_ms) sd, min(rtt_ms) lo, max(rtt_ms) hi
			FROM rtt_samples s JOIN (SELECT DISTINCT probe, flow_id, kind, slice_lo_ms, slice_hi_ms FROM rtt_histograms) h
			ON s.probe = h.probe AND s.flow_id = h.flow_id AND s.kind = h.kind AND s.rtt_ms >= h.slice_lo_ms AND (h.slice_hi_ms = 0 OR s.rtt_ms < h.slice_hi_ms)
			GROUP BY ALL)
		SELECT h.probe, h.kind, h.n, r.n, h.sum_ms / h.n, r.mean, sqrt(h.m2_ms2 / h.n), r.sd, h.min_ms, r.lo, h.max_ms, r.hi
		FROM rtt_histograms_1d h FULL JOIN r USING (probe, flow_id, kind, slice_lo_ms, slice_hi_ms) ORDER BY ALL`)
	if len(got) < 5 {
		t.Fatalf("only %d rows", len(got))
	}
	for _, r := range got {
		if f64(r[2]) != f64(r[3]) || !near(f64(r[4]), f64(r[5]), 1e-12) || !near(f64(r[6]), f64(r[7]), 1e-6) || f64(r[8]) != f64(r[9]) || f64(r[10]) != f64(r[11]) {
			t.Errorf("%v %v: rollup n %v mean %v sd %v min %v max %v; samples n %v mean %v sd %v min %v max %v",
				r[0], r[1], r[2], r[4], r[6], r[8], r[10], r[3], r[5], r[7], r[9], r[11])
		}
	}
}

// synthetic writes raw rows over three days from samples generated here:
// flow_counters of a metric with a large mean and a small spread (a 600 ms
// path measured in µs, jitter of a few µs: sumsq − sum²/n of a day loses
// the variance), 10-s rows plus a flow with 300-s rows; oneway_latency and
// size_histograms with slices. It returns the per-day truth of the
// flow_counters samples.
func synthetic(t *testing.T) (string, map[[2]int64]*moments) {
	t.Helper()
	out, run := beginRun(t)
	defer run.Abort()
	rng := rand.New(rand.NewPCG(1, 2))
	const day0 = int64(1795910400) * 1e9 // 2026-11-29T00:00:00Z
	truth := map[[2]int64]*moments{}
	var fc []observe.FlowCounter
	var lat []observe.OnewayLatency
	var sh []observe.SizeHistogram
	slices := []float64{600.001, 600.003, 600.010}
	for flow, intervalS := range map[uint64]int64{1: 10, 2: 300} {
		for start := day0; start < day0+3*86400e9; start += intervalS * 1e9 * 7 { // every 7th interval: sparse
			var st stat.Stat
			counts := make([]uint64, len(slices)+1)
			size := make([]uint64, 2)
			day := (start - day0) / 86400e9
			if truth[[2]int64{int64(flow), day}] == nil {
				truth[[2]int64{int64(flow), day}] = &moments{}
			}
			for range 50 + rng.IntN(200) {
				v := int64(600000) + int64(rng.NormFloat64()*3)
				st.Add(float64(v))
				truth[[2]int64{int64(flow), day}].add(v)
				k := 0
				for k < len(slices) && float64(v) > slices[k]*1e3 {
					k++
				}
				counts[k]++
				size[v%2]++
			}
			fc = append(fc, observe.FlowCounter{Probe: "p", FlowID: flow, IntervalStart: start, IntervalS: float64(intervalS), Metric: "delay_us",
				N: st.N, Sum: st.Sum, SumSq: st.SumSq, Min: st.Min, Max: st.Max})
			lat = append(lat, observe.OnewayLatency{OnewayKey: observe.OnewayKey{Class: "c", FlowID: flow, Flow: "f", FromHop: "A", ToHop: "B", IntervalStart: start, IntervalS: float64(intervalS)},
				N: st.N, Sum: st.Sum, SumSq: st.SumSq, Min: st.Min, Max: st.Max, SlicesMs: slices, SliceCounts: counts})
			sh = append(sh, observe.SizeHistogram{Probe: "p", FlowID: flow, IntervalStart: start, IntervalS: float64(intervalS), SliceLoBytes: 0, SliceHiBytes: 100, Packets: size[0]},
				observe.SizeHistogram{Probe: "p", FlowID: flow, IntervalStart: start, IntervalS: float64(intervalS), SliceLoBytes: 100, SliceHiBytes: 0, Packets: size[1]})
		}
	}
	for _, err := range []error{
		second(store.Append(run, observe.TableFlowCounters, fc)),
		second(store.Append(run, observe.TableOnewayLatency, lat)),
		second(store.Append(run, observe.TableSizeHistograms, sh)),
		run.Finish(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out, truth
}

func second(_ string, err error) error { return err }

// TestNumericallySafe: a day of a 600 ms delay with a 3 µs jitter. The
// rollup's standard deviation equals the samples' (exact big-integer
// arithmetic) to 1e-9, where the textbook sumsq/n − mean² of the same row
// is off by more than 1e-6.
func TestNumericallySafe(t *testing.T) {
	out, truth := synthetic(t)
	db, _ := build(t, out)
	got := rows(t, db, `SELECT flow_id, (epoch_ns(interval_start) - 1795910400000000000) // 86400000000000, n, sum / n, sqrt(m2 / n), sqrt(greatest(sumsq / n - (sum / n) ** 2, 0)), min, max
		FROM flow_counters_1d ORDER BY 1, 2`)
	if len(got) != 6 {
		t.Fatalf("%d rows, want 2 flows x 3 days", len(got))
	}
	naiveWorst := 0.0
	for _, r := range got {
		m := truth[[2]int64{int64(r[0].(uint64)), r[1].(int64)}]
		if f64(r[2]) != float64(m.n) || !near(f64(r[3]), m.mean(), 1e-15) || !near(f64(r[4]), m.stddev(), 1e-9) || f64(r[6]) != float64(m.min) || f64(r[7]) != float64(m.max) {
			t.Errorf("flow %v day %v: n %v mean %v sd %v min %v max %v; samples n %d mean %v sd %v min %d max %d", r[0], r[1], r[2], r[3], r[4], r[6], r[7], m.n, m.mean(), m.stddev(), m.min, m.max)
		}
		naiveWorst = math.Max(naiveWorst, math.Abs(f64(r[5])-m.stddev())/m.stddev())
	}
	if naiveWorst < 1e-6 {
		t.Errorf("the naive formula is off by only %g: the test data do not stress the variance", naiveWorst)
	}
	t.Logf("naive sumsq/n - mean² standard deviation off by up to %.2g relative; m2 within 1e-9", naiveWorst)
}

// TestRollupOfRollups: the 1-hour and 1-day tables Build computes from the
// finer levels equal those computed directly from the raw rows (integers
// exactly, floating sums to 1e-12), for every rolled-up table.
func TestRollupOfRollups(t *testing.T) {
	out, _ := synthetic(t)
	db, _ := build(t, out)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, tb := range Tables {
		if tb.Name == observe.TableRTTHistograms || tb.Name == observe.TableOnewayLoss {
			continue // absent from the synthetic output
		}
		for _, l := range Levels[1:] {
			direct := "direct_" + tb.Rollup(l)
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s AS %s", direct, tb.outputSQL("("+tb.mergeSQL(tb.stateSQL(0, l.Seconds), l)+")"))); err != nil {
				t.Fatal(err)
			}
			var nd, nc, diff int64
			var worst float64
			keys := ""
			for _, k := range append(tb.Keys, "interval_start") {
				keys += fmt.Sprintf(" AND d.%s = c.%s", ident(k), ident(k))
			}
			cmp := "0"
			exact := "false"
			if tb.Stats {
				c := tb.statColumn // sum_us, ... in the rollup tables
				cmp = fmt.Sprintf("greatest(abs(d.%[1]s - c.%[1]s) / abs(c.%[1]s), abs(d.%[2]s - c.%[2]s) / greatest(abs(c.%[2]s), 1e-300), abs(d.%[3]s - c.%[3]s) / abs(c.%[3]s))", c("sum"), c("m2"), c("sumsq"))
				exact = fmt.Sprintf("d.n <> c.n OR d.%[1]s <> c.%[1]s OR d.%[2]s <> c.%[2]s", c("min"), c("max"))
			}
			for _, c := range tb.Counts {
				exact += fmt.Sprintf(" OR d.%s <> c.%s", c, c)
			}
			if tb.Slices {
				exact += " OR d.slice_counts <> c.slice_counts OR d.p50_lo_us <> c.p50_lo_us OR d.p99_hi_us <> c.p99_hi_us"
			}
			q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s), (SELECT count(*) FROM %[2]s),
				count(*) FILTER (WHERE %[4]s), coalesce(max(%[5]s), 0) FROM %[1]s d JOIN %[2]s c ON true %[3]s`,
				direct, ident(tb.Rollup(l)), keys, exact, cmp)
			if err := conn.QueryRowContext(ctx, q).Scan(&nd, &nc, &diff, &worst); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if nd != nc || nd == 0 || diff != 0 || worst > 1e-12 {
				t.Errorf("%s: direct %d rows, cascaded %d; %d differ in integers; worst relative float difference %g", tb.Rollup(l), nd, nc, diff, worst)
			}
		}
	}
}

// beginRun begins a store run of raw rows in a new output folder
// (tmon-out in the test's temporary folder) and returns both.
func beginRun(t *testing.T) (string, *store.Run) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tmon-out")
	run, err := store.BeginRun(out, store.Manifest{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return out, run
}
