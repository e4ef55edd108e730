package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/tmonbench/tmonbench/queries"
)

// hopSeries is one hop pair's one-way delay over the intervals: its p50
// and p99 in µs, one value per interval the pair has a row in.
type hopSeries struct {
	from, to string
	p50, p99 []float64
}

// latencySeries splits the flow detail's one-way latency rows
// (interval_start, from_hop, to_hop, n, min_us, p50_us, p90_us, p99_us,
// max_us; ordered by interval, then hop pairs in path order: hopOrder)
// into one series per hop pair, the pairs in path order. The chart drew
// every row as one series: with four capture points the p50 of A>RC,
// RC>RS, RS>B and A>B of an interval stood side by side as if four
// intervals of one delay. A pair missing from the first intervals is
// placed after the pair it follows in the first interval that has it.
func latencySeries(r *queries.Result) []hopSeries {
	if r == nil || len(r.Rows) == 0 || r.Columns[0] == "error" {
		return nil
	}
	var order []string
	at := map[string]int{}
	var series []hopSeries
	prev, interval := "", ""
	for i, x := range r.Rows {
		if iv := fmt.Sprint(x[0]); i == 0 || iv != interval {
			prev, interval = "", iv // a new interval: its first pair goes first
		}
		from, to := toString(x[1]), toString(x[2])
		k := from + "\x00" + to
		if _, ok := at[k]; !ok {
			at[k] = len(series)
			series = append(series, hopSeries{from: from, to: to})
			i := 0
			if prev != "" {
				i = slices.Index(order, prev) + 1
			}
			order = slices.Insert(order, i, k)
		}
		s := &series[at[k]]
		s.p50 = append(s.p50, queries.Float64(x[5]))
		s.p99 = append(s.p99, queries.Float64(x[7]))
		prev = k
	}
	out := make([]hopSeries, 0, len(order))
	for _, k := range order {
		out = append(out, series[at[k]])
	}
	return out
}

// latencyCharts draws the p50 and p99 one-way delay charts of each hop
// pair (latencySeries), each under its pair's name "A → RC", in path
// order; "" without latency rows.
func latencyCharts(st *styles, r *queries.Result, w int) string {
	var b strings.Builder
	for _, s := range latencySeries(r) {
		cw := min(max(len(s.p50)*2, 1), w/2-12)
		b.WriteString(st.dim.Render(s.from+" → "+s.to) + "\n")
		b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top,
			st.r.NewStyle().Width(w/2).Render("p50 µs per interval\n"+columnChart(stretch(s.p50, cw), cw, 3, func(int) lipgloss.Style { return st.chart })),
			"p99 µs per interval\n"+columnChart(stretch(s.p99, cw), cw, 3, func(int) lipgloss.Style { return st.brush })) + "\n")
	}
	return b.String()
}
