package report

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/queries"
)

// flowFilter is the WHERE condition on a rollup row c joined with flows f
// (probe, flow_id) and addresses s (source) and d (destination) that
// applies the report's filters (queries.ReportFilterMacros).
const flowFilter = `report_range(c.interval_start)
	AND report_activity(s.activity, d.activity) AND report_location(s.location, d.location)`

// onewayFilter is the WHERE condition on a one-way rollup row o
// (oneway_loss or oneway_latency) that applies the report's filters
// (queries.ReportFilterMacros): the range on its interval, activity and
// location on the addresses of the probe flows it is made of, as
// queries/wide/oneway-hourly.sql.
const onewayFilter = `report_range(o.interval_start) AND report_oneway_flow(o.class, o.flow)`

// flowJoin joins a rollup c to its flow and both addresses.
const flowJoin = `JOIN (SELECT DISTINCT probe, flow_id, class, protocol, src_addr, dst_addr FROM flows) f USING (probe, flow_id)
	LEFT JOIN addresses s ON s.address = f.src_addr
	LEFT JOIN addresses d ON d.address = f.dst_addr`

// TrafficSQL is the query behind the traffic charts: a metric (%[2]s) per
// probe, interval of table %[1]s and protocol over the flows of class all.
// Probes are not summed: two probes on one path see the same packets.
const TrafficSQL = `SELECT f.probe, epoch_ms(c.interval_start) AS t, protocol_name(f.protocol) AS name, sum(c.sum) AS v
FROM %[1]s c ` + flowJoin + `
WHERE f.class = 'all' AND c.metric = '%[2]s' AND ` + flowFilter + `
GROUP BY ALL ORDER BY f.probe, t, name`

// resolution picks the table a time series reads: the raw table (its own
// interval) when its rows span at most 6 hours, the 1-minute rollup up to
// 7 days, else the 1-hour rollup. It returns the table, the "per ..." text
// and the interval in ms.
func resolution(ctx context.Context, conn *sql.Conn, raw string) (table, per string, stepMs int64, err error) {
	var span, step sql.NullFloat64
	err = conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT (epoch_ms(max(interval_start)) - epoch_ms(min(interval_start))) / 1000.0, min(interval_s) FROM %s`, raw)).Scan(&span, &step)
	if err != nil {
		return "", "", 0, fmt.Errorf("report: %w", err)
	}
	switch {
	case span.Float64 <= 6*3600:
		return raw, fmt.Sprintf("per %g s", step.Float64), int64(math.Round(step.Float64 * 1000)), nil
	case span.Float64 <= 7*86400:
		return raw + "_1m", "per minute", 60_000, nil
	}
	return raw + "_1h", "per hour", 3_600_000, nil
}

// traffic adds the IP bytes and packets charts of each probe, in probe
// order (a probe's two charts together). A sum over probes would count
// twice what two probes on one path both saw.
func traffic(ctx context.Context, conn *sql.Conn, d *Data) error {
	table, per, step, err := resolution(ctx, conn, "flow_counters")
	if err != nil {
		return err
	}
	var probes []string
	charts := map[string][]Series{}
	for _, m := range []struct{ metric, id, title, unit string }{
		{"ip_bytes", "traffic-bytes", "IP bytes " + per + " and protocol at ", "bytes"},
		{"packets", "traffic-packets", "IP packets " + per + " and protocol at ", "packets"},
	} {
		res, err := runConn(ctx, conn, fmt.Sprintf(TrafficSQL, table, m.metric))
		if err != nil {
			return err
		}
		for rows := res.Rows; len(rows) > 0; {
			probe := fmt.Sprint(rows[0][0])
			n := 1
			for n < len(rows) && fmt.Sprint(rows[n][0]) == probe {
				n++
			}
			if charts[probe] == nil {
				probes = append(probes, probe)
			}
			ts, lines := pivot(rowsFrom(rows[:n], 1))
			charts[probe] = append(charts[probe], Series{Chart: Chart{ID: m.id, Title: m.title + probe}, Unit: m.unit, T: ts, StepMs: step, Lines: lines})
			rows = rows[n:]
		}
	}
	slices.Sort(probes)
	for i, p := range probes {
		for _, s := range charts[p] {
			s.ID = fmt.Sprintf("%s-%d", s.ID, i+1)
			d.Series = append(d.Series, s)
		}
	}
	return nil
}

// rowsFrom returns the rows without their first n columns.
func rowsFrom(rows [][]any, n int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r[n:]
	}
	return out
}

// hopOrder orders the one-way charts of a flow by hop pair in path order,
// as the one-way queries list them (hop_order: queries.HopOrderMacro). The
// indices are the pair's over all its rows (from_index, to_index: the
// largest), so that an output merged from runs before and after them
// (tmonbench merge: NULL in the older run's rows) keeps a pair's rows
// together, one chart.
const hopOrder = `hop_order(from_hop, to_hop, from_index, to_index)`

// onewaySeries adds one chart per one-way flow and hop pair (up to 10), a
// flow's pairs in path order (hopOrder): mean, min and max delay in ms,
// and the loss in %.
func onewaySeries(ctx context.Context, conn *sql.Conn, d *Data) error {
	table, per, step, err := resolution(ctx, conn, "oneway_loss")
	if err != nil {
		return err
	}
	lat := strings.Replace(table, "oneway_loss", "oneway_latency", 1)
	res, err := runConn(ctx, conn, `SELECT class, flow, from_hop, to_hop, epoch_ms(o.interval_start),
		l.sum_us / nullif(l.n, 0) / 1000, l.min_us / 1000, l.max_us / 1000, percent(o.lost, o.sent),
		max(o.from_hop_index) OVER pair AS from_index, max(o.to_hop_index) OVER pair AS to_index
		FROM `+table+` o LEFT JOIN `+lat+` l USING (class, flow_id, flow, from_hop, to_hop, interval_start)
		WHERE `+onewayFilter+`
		WINDOW pair AS (PARTITION BY class, flow, from_hop, to_hop)
		ORDER BY class, flow, `+hopOrder+`, o.interval_start`)
	if err != nil {
		return err
	}
	names := []string{"mean delay ms", "min delay ms", "max delay ms", "loss %"}
	var cur *Series
	n := 0 // one-way charts
	for _, r := range res.Rows {
		title := fmt.Sprintf("One-way %s %s, %s → %s, %s", r[0], r[1], r[2], r[3], per)
		if cur == nil || cur.Title != title {
			if n == 10 {
				break
			}
			n++
			d.Series = append(d.Series, Series{Chart: Chart{ID: fmt.Sprintf("oneway-%d", n), Title: title}, Unit: "ms / %", StepMs: step})
			cur = &d.Series[len(d.Series)-1]
			for _, n := range names {
				cur.Lines = append(cur.Lines, Line{Name: n})
			}
		}
		cur.T = append(cur.T, queries.Int64(r[4]))
		for i := range names {
			var p *float64
			if r[5+i] != nil {
				v := queries.Float64(r[5+i])
				p = &v
			}
			cur.Lines[i].Values = append(cur.Lines[i].Values, p)
		}
	}
	return nil
}

// The histograms merge the 1-minute rollups: a day's bucket would count
// the whole day of a range that starts or ends within it.

// rttHistograms adds one histogram per probe and RTT kind: round trips
// per slice over the report's range (rtt_histograms_1m merged).
func rttHistograms(ctx context.Context, conn *sql.Conn, d *Data) error {
	return histogramsOf(ctx, conn, d, `SELECT c.probe, c.kind, c.slice_lo_ms, c.slice_hi_ms, sum(c.n)::UBIGINT
		FROM rtt_histograms_1m c `+flowJoin+` WHERE `+flowFilter+`
		GROUP BY ALL ORDER BY c.probe, c.kind, c.slice_lo_ms`,
		func(r []any) string { return fmt.Sprintf("Round trips %s at %s", r[1], r[0]) },
		func(r []any) string {
			if lo, hi := queries.Float64(r[2]), queries.Float64(r[3]); hi != 0 {
				return fmt.Sprintf("[%g, %g) ms", lo, hi)
			}
			return fmt.Sprintf("≥ %g ms", queries.Float64(r[2]))
		})
}

// histogramsOf runs query and adds one histogram per run of its rows with
// the same title (rows sorted by it), a bin a row: its label, and its
// count in the last column (UBIGINT).
func histogramsOf(ctx context.Context, conn *sql.Conn, d *Data, query string, title, label func(r []any) string) error {
	res, err := runConn(ctx, conn, query)
	if err != nil {
		return err
	}
	var cur *Histogram
	for _, r := range res.Rows {
		if t := title(r); cur == nil || cur.Title != t {
			cur = d.newHistogram(t)
		}
		cur.Bins = append(cur.Bins, label(r))
		cur.Counts = append(cur.Counts, r[len(r)-1].(uint64))
	}
	return nil
}

// newHistogram appends an empty histogram titled title to d and returns
// it (valid until the next one): its chart id is hist-N, N its index.
func (d *Data) newHistogram(title string) *Histogram {
	d.Histograms = append(d.Histograms, Histogram{Chart: Chart{ID: fmt.Sprintf("hist-%d", len(d.Histograms)), Title: title}})
	return &d.Histograms[len(d.Histograms)-1]
}

// onewayHistograms adds one latency histogram per one-way flow and hop
// pair, a flow's pairs in path order (hopOrder): oneway_latency_1m slice
// counts summed over the report's range.
func onewayHistograms(ctx context.Context, conn *sql.Conn, d *Data) error {
	res, err := runConn(ctx, conn, `SELECT class, flow, from_hop, to_hop, slices_ms,
		list_transform(range(1, max(len(slice_counts)) + 1), i -> list_sum(list_transform(list(slice_counts), c -> coalesce(c[i], 0)))::UBIGINT),
		max(max(from_hop_index)) OVER pair AS from_index, max(max(to_hop_index)) OVER pair AS to_index
		FROM oneway_latency_1m o WHERE `+onewayFilter+`
		GROUP BY class, flow, from_hop, to_hop, slices_ms
		WINDOW pair AS (PARTITION BY class, flow, from_hop, to_hop)
		ORDER BY class, flow, `+hopOrder+`, slices_ms`)
	if err != nil {
		return err
	}
	for _, r := range res.Rows {
		h := d.newHistogram(fmt.Sprintf("One-way delay %s %s, %s → %s", r[0], r[1], r[2], r[3]))
		slices := r[4].([]any)
		prev := ""
		for _, s := range slices {
			if prev == "" {
				h.Bins = append(h.Bins, fmt.Sprintf("≤ %g ms", queries.Float64(s)))
			} else {
				h.Bins = append(h.Bins, fmt.Sprintf("(%s, %g] ms", prev, queries.Float64(s)))
			}
			prev = fmt.Sprint(queries.Float64(s))
		}
		h.Bins = append(h.Bins, fmt.Sprintf("> %s ms", prev))
		for _, c := range r[5].([]any) {
			h.Counts = append(h.Counts, c.(uint64))
		}
	}
	return nil
}

// sizeHistograms adds one IP size histogram per class with the sizes
// analysis and probe (not summed over probes, as the traffic charts).
func sizeHistograms(ctx context.Context, conn *sql.Conn, d *Data) error {
	return histogramsOf(ctx, conn, d, `SELECT f.class, f.probe, c.slice_lo_bytes, c.slice_hi_bytes, sum(c.packets)::UBIGINT
		FROM size_histograms_1m c `+flowJoin+` WHERE `+flowFilter+`
		GROUP BY ALL ORDER BY f.class, f.probe, c.slice_lo_bytes`,
		func(r []any) string { return fmt.Sprintf("IP packet sizes, class %s at %s", r[0], r[1]) },
		func(r []any) string {
			if queries.Int64(r[3]) == 0 {
				return fmt.Sprintf("> %d bytes", r[2])
			}
			return fmt.Sprintf("(%d, %d] bytes", r[2], r[3])
		})
}

// topConversations adds the top-10 conversations by bytes, from the
// conversations view already in d.
func topConversations(_ context.Context, _ *sql.Conn, d *Data) error {
	for _, t := range d.Tables {
		if t.Name != "conversations" || t.Error != "" {
			continue
		}
		col := map[string]int{}
		for i, c := range t.Columns {
			col[c] = i
		}
		top := TopN{Chart: Chart{ID: "top-conversations", Title: "Top 10 conversations (bytes, both directions, at one probe)"}, Unit: "bytes"}
		for i, r := range t.Rows {
			if i == 10 {
				break
			}
			top.Labels = append(top.Labels, fmt.Sprintf("%v ↔ %v at %v", r[col["a"]], r[col["b"]], r[col["probe"]]))
			top.Values = append(top.Values, queries.Float64(r[col["bytes"]]))
		}
		if len(top.Labels) > 0 {
			d.Top = append(d.Top, top)
		}
	}
	return nil
}
