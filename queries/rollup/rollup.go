package rollup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// Level is one rollup granularity.
type Level struct {
	Suffix  string // table name suffix: "_1m", "_1h", "_1d"
	Seconds int64  // bucket length in seconds
}

// Levels are the rollup granularities, finest first (design 5.1: 1 minute,
// 1 hour, 1 day). Each is computed from the previous one.
var Levels = []Level{{"_1m", 60}, {"_1h", 3600}, {"_1d", 86400}}

// Table describes how one raw table rolls up.
type Table struct {
	Name   string   // raw table name (engine/observe)
	Keys   []string // columns that identify a row besides the interval
	Stats  bool     // n, sum, sumsq, min, max merged (and m2 added)
	Counts []string // columns summed as counts
	Slices bool     // slice_counts summed element-wise (oneway_latency)
	Part   string   // partition key beside date: probe, or class for the one-way tables
	// Unit is the unit suffix of the statistics columns of the raw table
	// and of its rollups ("_us": sum_us, sumsq_us2, m2_us2, min_us,
	// max_us); "" for flow_counters, whose rows carry a unit column.
	Unit string
	// Carried are columns of Keys that do not split a bucket: a row of
	// the rollup takes their largest value over the rows it merges, NULL
	// only when every one's is. The one-way hop indices: an output merged
	// from a run before them (NULL: queries.Open) and one after
	// (tmonbench merge) has both in one bucket, one hop pair.
	Carried []string
}

// groupKeys are the columns of Keys a bucket's rows share: Keys but
// Carried.
func (t Table) groupKeys() []string {
	var keys []string
	for _, k := range t.Keys {
		if !slices.Contains(t.Carried, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// statNames are the statistics columns in their merge state (n is a count).
var statNames = []string{"sum", "sumsq", "m2", "min", "max"}

// statColumn is the table's column for state statistic s: sum_us,
// sumsq_us2 (squares carry the squared unit), ...
func (t Table) statColumn(s string) string {
	if t.Unit == "" {
		return s
	}
	if s == "sumsq" || s == "m2" {
		return s + t.Unit + "2"
	}
	return s + t.Unit
}

// Tables lists the tables Build rolls up, with their keys. flow_counters
// keeps its unit column as a key (it follows the metric), so its
// statistics keep their bare names as in the raw table.
var Tables = []Table{
	{Name: observe.TableFlowCounters, Keys: []string{"probe", "flow_id", "metric", "unit"}, Stats: true, Part: "probe"},
	{Name: observe.TableSizeHistograms, Keys: []string{"probe", "flow_id", "slice_lo_bytes", "slice_hi_bytes"}, Counts: []string{"packets"}, Part: "probe"},
	{Name: observe.TableRTTHistograms, Keys: []string{"probe", "flow_id", "kind", "slice_lo_ms", "slice_hi_ms"}, Stats: true, Part: "probe", Unit: "_ms"},
	{Name: observe.TableOnewayLatency, Keys: append(onewayKeys(), "slices_ms"), Stats: true, Slices: true, Part: "class", Unit: "_us", Carried: hopIndices},
	{Name: observe.TableOnewayLoss, Keys: onewayKeys(),
		Counts: []string{"sent", "delivered", "lost", "missed", "dropped", "duplicates", "collisions"}, Part: "class", Carried: hopIndices},
}

// hopIndices are the one-way tables' hop positions (observe.OnewayKey):
// keys of a row that a bucket carries (Table.Carried), its hop pair being
// from_hop and to_hop.
var hopIndices = []string{"from_hop_index", "to_hop_index"}

// onewayKeys returns the key columns of oneway_latency and oneway_loss
// besides the interval: observe.OnewayKey's columns but interval_start and
// interval_s (class, flow_id, flow, from_hop, to_hop, from_hop_index,
// to_hop_index).
func onewayKeys() []string {
	var keys []string
	for _, c := range (&observe.Table{Row: reflect.TypeFor[observe.OnewayKey]()}).Columns() {
		if c.Name != "interval_start" && c.Name != "interval_s" {
			keys = append(keys, c.Name)
		}
	}
	return keys
}

// Percentiles are the bin-bounded percentiles of oneway_latency rollups:
// columns p50_lo_us, p50_hi_us, p90_lo_us, ...
var Percentiles = []int{50, 90, 99}

// ErrNoTables: the output holds none of the tables Build rolls up.
var ErrNoTables = errors.New("rollup: no counter or histogram table in the output")

// Rollup returns the rollup table name of t at level l, e.g.
// flow_counters_1h.
func (t Table) Rollup(l Level) string { return t.Name + l.Suffix }

// stateSQL selects the raw rows of t as merge state (keys, t, interval_s,
// values, m2) whose interval_s lies in (lo, hi] seconds.
func (t Table) stateSQL(lo, hi int64) string {
	cols := append([]string{}, t.Keys...)
	cols = append(cols, "interval_start AS t", "interval_s")
	if t.Stats {
		cols = append(cols, "n", "sum", "sumsq", rawM2, "min", "max")
	}
	cols = append(cols, t.Counts...)
	if t.Slices {
		cols = append(cols, "slice_counts")
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE interval_s > %d AND interval_s <= %d",
		strings.Join(cols, ", "), t.rawSQL(), lo, hi)
}

// rawSQL is the raw table with its statistics under their state names.
func (t Table) rawSQL() string {
	if !t.Stats || t.Unit == "" {
		return ident(t.Name)
	}
	var as []string
	for _, s := range statNames {
		if s != "m2" {
			as = append(as, ident(t.statColumn(s))+" AS "+s)
		}
	}
	return fmt.Sprintf("(SELECT *, %s FROM %s)", strings.Join(as, ", "), ident(t.Name))
}

// rawM2 is the sum of squared deviations of one raw row: exact integer
// arithmetic when the row's values are integers (sum and sumsq whole and
// below 2^53), else sumsq - sum²/n.
const rawM2 = `CASE WHEN n = 0 THEN 0.0
	WHEN sum = trunc(sum) AND sumsq = trunc(sumsq) AND abs(sumsq) < 9007199254740992 AND abs(sum) < 9007199254740992
	THEN ((n::HUGEINT * sumsq::HUGEINT - sum::HUGEINT * sum::HUGEINT)::DOUBLE / n)
	ELSE greatest(sumsq - sum * sum / n, 0.0) END AS m2`

// stateCols are the columns of a state relation besides the keys.
func (t Table) stateCols() []string {
	cols := []string{"t", "interval_s"}
	if t.Stats {
		cols = append(cols, "n", "sum", "sumsq", "m2", "min", "max")
	}
	cols = append(cols, t.Counts...)
	if t.Slices {
		cols = append(cols, "slice_counts")
	}
	return cols
}

// mergeSQL merges the state rows of src (a relation with stateCols) into
// buckets of l seconds, one row per bucket and groupKeys (Carried: the
// largest). The result has the rollup table's columns, in
// state form (t, interval_s, ...).
func (t Table) mergeSQL(src string, l Level) string {
	ns := l.Seconds * 1_000_000_000
	keys := strings.Join(quoteAll(t.groupKeys()), ", ")
	bucket := fmt.Sprintf("make_timestamp_ns((epoch_ns(t) // %d) * %d)", ns, ns)
	var sel []string
	for _, k := range t.Keys {
		if slices.Contains(t.Carried, k) {
			sel = append(sel, fmt.Sprintf("max(%s) AS %[1]s", ident(k)))
		} else {
			sel = append(sel, ident(k))
		}
	}
	sel = append(sel, "bt AS t", fmt.Sprintf("%d::DOUBLE AS interval_s", l.Seconds))
	if t.Stats {
		sel = append(sel,
			"sum(n)::UBIGINT AS n",
			"fsum(sum) AS sum",
			"fsum(sumsq) AS sumsq",
			"fsum(CASE WHEN n = 0 THEN 0.0 ELSE m2 + n * ((sum / n - gsum / gn) ** 2) END) AS m2",
			"coalesce(min(min) FILTER (WHERE n > 0), 0.0) AS min",
			"coalesce(max(max) FILTER (WHERE n > 0), 0.0) AS max",
		)
	}
	for _, c := range t.Counts {
		sel = append(sel, fmt.Sprintf("sum(%s)::UBIGINT AS %s", ident(c), ident(c)))
	}
	if t.Slices {
		sel = append(sel, "list_transform(range(1, max(len(slice_counts)) + 1), "+
			"i -> list_sum(list_transform(list(slice_counts), c -> coalesce(c[i], 0)))::UBIGINT) AS slice_counts")
	}
	window := ""
	if t.Stats {
		window = fmt.Sprintf(", sum(n) OVER g AS gn, fsum(sum) OVER g AS gsum FROM b WINDOW g AS (PARTITION BY %s, bt)", keys)
	} else {
		window = " FROM b"
	}
	return fmt.Sprintf(`WITH b AS (SELECT *, %s AS bt FROM (%s)),
w AS (SELECT *%s)
SELECT %s FROM w GROUP BY %s, bt`, bucket, src, window, strings.Join(sel, ",\n  "), keys)
}

// outputSQL turns a state relation into the rollup table's rows, ordered:
// t becomes interval_start; oneway_latency gets its bin-bounded
// percentiles.
func (t Table) outputSQL(state string) string {
	var sel []string
	sel = append(sel, quoteAll(t.Keys)...)
	sel = append(sel, "t AS interval_start", "interval_s")
	if t.Stats {
		sel = append(sel, "n")
		for _, s := range statNames {
			sel = append(sel, s+" AS "+ident(t.statColumn(s)))
		}
	}
	sel = append(sel, t.Counts...)
	if t.Slices {
		sel = append(sel, "slice_counts")
		for _, p := range Percentiles {
			lo, hi := binBounds(p)
			sel = append(sel, fmt.Sprintf("%s AS p%d_lo_us", lo, p), fmt.Sprintf("%s AS p%d_hi_us", hi, p))
		}
	}
	sel = append(sel, "t::DATE AS date") // the partition key (engine/observe)
	order := append(quoteAll(t.Keys), "t")
	return fmt.Sprintf("SELECT %s FROM %s ORDER BY %s", strings.Join(sel, ", "), state, strings.Join(order, ", "))
}

// binBounds returns SQL for the lower and upper bound (µs) of percentile p
// over slice_counts with upper bounds slices_ms (inclusive, as
// engine/oneway counts them): the slice k holding the rank ceil(p·n/100)
// spans (slices_ms[k-1], slices_ms[k]] ms, narrowed by min and max.
func binBounds(p int) (lo, hi string) {
	// k: 1-based index of the first slice whose cumulative count reaches the rank.
	k := fmt.Sprintf(`list_position(list_transform(range(1, len(slice_counts) + 1),
		j -> list_sum(slice_counts[1:j]) >= ceil(%d * n / 100.0)), true)`, p)
	lo = fmt.Sprintf(`CASE WHEN n = 0 THEN NULL ELSE greatest(min, coalesce(slices_ms[%s - 1] * 1000.0, min)) END`, k)
	hi = fmt.Sprintf(`CASE WHEN n = 0 THEN NULL ELSE least(max, coalesce(slices_ms[%s] * 1000.0, max)) END`, k)
	return lo, hi
}

// Result says what Build wrote, per rollup table.
type Result struct {
	Tables []Written
	// Misaligned counts raw rows whose interval_s does not divide the
	// level they entered: each is counted whole in the bucket where it
	// starts.
	Misaligned int64
}

// Written is one rollup table written.
type Written struct {
	Name string // e.g. flow_counters_1h
	Rows int64
	Path string // the Parquet file
}

// Build computes every rollup level of every rolled-up table present in db
// (from queries.Open(outDir)) and writes them under outDir, replacing
// previous rollups. Tables absent from the output are skipped; ErrNoTables
// when none is present.
func Build(ctx context.Context, db *sql.DB, outDir string) (*Result, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("rollup: %w", err)
	}
	defer conn.Close()
	res := &Result{}
	found := false
	for _, t := range Tables {
		ok, err := hasView(ctx, conn, t.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		found = true
		if err := t.build(ctx, conn, outDir, res); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, ErrNoTables
	}
	return res, nil
}

// build computes and writes the levels of one table.
func (t Table) build(ctx context.Context, conn *sql.Conn, outDir string, res *Result) error {
	prev := int64(0)
	prevState := ""
	for _, l := range Levels {
		src := t.stateSQL(prev, l.Seconds)
		if prevState != "" {
			src = fmt.Sprintf("SELECT %s FROM %s UNION ALL %s", strings.Join(append(quoteAll(t.Keys), t.stateCols()...), ", "), prevState, src)
		}
		var mis int64
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE interval_s > %d AND interval_s <= %d AND (%d %% interval_s::BIGINT <> 0 OR interval_s <> trunc(interval_s))",
			ident(t.Name), prev, l.Seconds, l.Seconds)).Scan(&mis); err != nil {
			return fmt.Errorf("rollup: %s: %w", t.Name, err)
		}
		res.Misaligned += mis
		state := ident("rollup_state_" + t.Name + l.Suffix)
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE %s AS %s", state, t.mergeSQL(src, l))); err != nil {
			return fmt.Errorf("rollup: %s%s: %w", t.Name, l.Suffix, err)
		}
		w, err := writeTable(ctx, conn, outDir, t.Rollup(l), t.Part, t.outputSQL(state))
		if err != nil {
			return err
		}
		res.Tables = append(res.Tables, w)
		if prevState != "" {
			conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+prevState)
		}
		prev, prevState = l.Seconds, state
	}
	conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+prevState)
	return nil
}

// hasView reports whether db has a view or table named name.
func hasView(ctx context.Context, conn *sql.Conn, name string) (bool, error) {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("rollup: %w", err)
	}
	return n > 0, nil
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ident(n)
	}
	return out
}

// ident makes s an SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
