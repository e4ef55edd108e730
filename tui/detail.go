package tui

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

// detail is the flow detail screen: the flow's counters over time, size and
// RTT histograms, RTT samples, TCP connections, FTP transfers, one-way
// latency and loss, and the events in its span, in one scrollable page.
type detail struct {
	screenBase
	ref     flowRef
	find    func(ctx context.Context, db *sql.DB) (flowRef, error) // resolves ref first when set
	d       *detailData
	vp      viewport.Model
	w       int
	dated   bool // e.dated the content was drawn with
	content string
	err     error // the flow could not be loaded (shown instead of the flow)
}

type detailData struct {
	ref      flowRef
	flow     row
	counters []counterPoint
	metrics  *queries.Result
	sizes    *queries.Result
	rttHist  *queries.Result
	rtt      *queries.Result
	tcp      *queries.Result
	ftp      *queries.Result
	latency  *queries.Result
	loss     *queries.Result
	// variation: the ipdv and loss-pattern named queries' figures of the
	// flow per interval and hop pair (RFC 3393, 5481, 3357, 4737)
	variation *queries.Result
	events    *queries.Result
}

type counterPoint struct {
	t              int64
	packets, bytes float64
	kept           bool // the interval has a packets or ip_bytes row (the counters analysis)
}

// counted tells whether the flow has packets or ip_bytes counters (its
// class runs the counters analysis): another analysis's flow_counters
// rows alone (its intervals without those metrics) would chart blank bars.
func (d *detailData) counted() bool {
	for _, c := range d.counters {
		if c.kept {
			return true
		}
	}
	return false
}

// hostPort writes an endpoint as the flows names do: [v6]:port (RFC 5952
// §6), so that 2001:db8::1:80 does not read as one address.
func hostPort(addr any, port int64) string {
	return net.JoinHostPort(toString(addr), strconv.FormatInt(port, 10))
}

// flowFields is the flow page's line of the fields its class keeps, as
// the flows row has them: "10.10.1.100:33488 > 198.51.100.10:21 proto 6
// (tcp)"; a field the class's granularity leaves out (an empty address, a
// port 0) is not shown, an address as "*" when its port is
// ("* > *:21 proto 6 (tcp)"), both ends not at all when neither is kept
// ("proto 1 (icmp)", a class of granularity [protocol]; the flows table's
// name is "*>*/icmp": collector.FlowName). It was ":0 > :0 proto 1".
func flowFields(f row) string {
	end := func(addr any, port int64) string {
		a := toString(addr)
		switch {
		case port == 0:
			return a
		case a == "":
			a = "*"
		}
		return net.JoinHostPort(a, strconv.FormatInt(port, 10))
	}
	src, dst := end(f["src_addr"], queries.Int64(f["src_port"])), end(f["dst_addr"], queries.Int64(f["dst_port"]))
	var parts []string
	if src != "" || dst != "" {
		parts = append(parts, cmp.Or(src, "*")+" > "+cmp.Or(dst, "*"))
	}
	if p := queries.Int64(f["protocol"]); p != 0 {
		name := observe.ProtocolName(uint8(p))
		if name == strconv.FormatInt(p, 10) {
			parts = append(parts, "proto "+name)
		} else {
			parts = append(parts, fmt.Sprintf("proto %d (%s)", p, name))
		}
	}
	return strings.Join(parts, " ")
}

func newDetail(e *env, ref flowRef) *detail {
	return &detail{screenBase: screenBase{sid: e.newID(), title: fmt.Sprintf("Flow %s/%d", ref.probe, ref.flowID)}, ref: ref, vp: viewport.New(80, 20)}
}

// newDetailOf opens the flow carrying a connection (TCP, FTP data).
func newDetailOf(e *env, ep endpoints) *detail {
	d := newDetail(e, flowRef{probe: ep.probe})
	d.title = "Flow of " + hostPort(ep.a, ep.ap) + "-" + hostPort(ep.b, ep.bp)
	d.find = func(ctx context.Context, db *sql.DB) (flowRef, error) { return findFlow(ctx, db, ep) }
	return d
}

// newDetailOfOneway opens the flow of a one-way record at its sending hop.
func newDetailOfOneway(e *env, name, hop string, t int64) *detail {
	d := newDetail(e, flowRef{probe: hop})
	d.title = "Flow " + name + " at " + hop
	d.find = func(ctx context.Context, db *sql.DB) (flowRef, error) {
		ref := flowRef{probe: hop}
		err := db.QueryRowContext(ctx, `SELECT flow_id FROM flows WHERE probe = ? AND name = ?
ORDER BY abs(epoch_ns(first_seen) - ?) LIMIT 1`, hop, name, t).Scan(&ref.flowID)
		if errors.Is(err, sql.ErrNoRows) {
			return ref, fmt.Errorf("flow %s at probe %s: %w", name, hop, errNoFlowRow)
		}
		return ref, err
	}
	return d
}

func (d *detail) typing() bool { return false }

// errNoFlowRow means the flows table has no row for the flow asked for.
var errNoFlowRow = errors.New("no flows row")

// flowNotEnded is why a running run has no row for a flow yet: not a
// failure (the row comes when the flow ends), so the screen says it as a
// note and the status line stays clear (a live trial read the red
// "error: … no flows row" of a flow still going as a fault).
type flowNotEnded struct{ msg string }

func (e flowNotEnded) Error() string { return e.msg }

// notEnded says that the flow err (an errNoFlowRow) names has not ended
// yet in the running run: "flow 7 of probe A has not ended yet: the live
// capture writing it is still going (FlowRowWhen)". An err that says more
// than "WHO: no flows row" (a class that may not keep ports) stays an
// error, with why the row may still come.
func notEnded(err error, run queries.RunState) error {
	text, tail := err.Error(), ": "+errNoFlowRow.Error()
	if who, ok := strings.CutSuffix(text, tail); ok {
		return flowNotEnded{fmt.Sprintf("%s has not ended yet: %s (%s)", who, run.StillGoing(), queries.FlowRowWhen)}
	}
	return fmt.Errorf("%w: %s (%s)", err, run.StillGoing(), queries.FlowRowWhen)
}

// whyNoFlowRow says why a flow other rows name has no flows row when an
// event tells: a probe run that ended without its final report
// (probe_run_incomplete: killed, crashed) leaves out the flows none of
// whose totals arrived (engine/collector endRun). Of the events naming the
// probe, the first at or after the flow's earliest rtt_samples or
// flow_counters time, else the latest; "" when none names it.
func whyNoFlowRow(ctx context.Context, db *sql.DB, ref flowRef, dated bool) string {
	const names = `kind = 'probe_run_incomplete' AND (starts_with(message, 'probe ' || $probe || ':') OR contains(message, 'first probe ' || $probe || ':'))`
	params := []any{sql.Named("probe", ref.probe), sql.Named("id", ref.flowID)}
	res, err := runNamed(ctx, db, `WITH seen AS (SELECT min(t) AS t FROM (
    SELECT min(epoch_ns(request_time)) AS t FROM rtt_samples WHERE probe = $probe AND flow_id = $id
    UNION ALL SELECT min(epoch_ns(interval_start)) FROM flow_counters WHERE probe = $probe AND flow_id = $id))
SELECT epoch_ns(time) AS ns, message FROM events, seen WHERE `+names+`
ORDER BY seen.t IS NOT NULL AND epoch_ns(time) < seen.t, CASE WHEN seen.t IS NULL THEN -epoch_ns(time) ELSE epoch_ns(time) END LIMIT 1`, params)
	if err != nil && ctx.Err() == nil { // an output without one of those tables
		res, err = runNamed(ctx, db, `SELECT epoch_ns(time) AS ns, message FROM events WHERE `+names+` ORDER BY time DESC LIMIT 1`, params)
	}
	if err != nil || len(res.Rows) == 0 {
		return ""
	}
	return fmt.Sprintf("the probe run was incomplete (probe_run_incomplete at %s: %s)", stamp(queries.Int64(res.Rows[0][0]), dated), toString(res.Rows[0][1]))
}

func (d *detail) load(e *env) tea.Cmd {
	ref, find := d.ref, d.find
	run, running := e.writing()
	dated := e.dated
	d.err = nil
	return e.query(d.sid, "detail", func(ctx context.Context, db *sql.DB) (any, error) {
		var err error
		if find != nil {
			ref, err = find(ctx, db)
		}
		var dd *detailData
		if err == nil {
			dd, err = loadDetail(ctx, db, ref)
		}
		if errors.Is(err, errNoFlowRow) && running {
			// a running run writes a flow's row when the flow ends
			err = notEnded(err, run)
		} else if errors.Is(err, errNoFlowRow) && find == nil && ctx.Err() == nil {
			if why := whyNoFlowRow(ctx, db, ref, dated); why != "" {
				err = fmt.Errorf("%w: %s", err, why)
			}
		}
		return dd, err
	})
}

// flowMatch is the condition, over a table's client/server columns, that a
// row belongs to the flow's connection in either direction.
func flowMatch(a, ap, b, bp string) string {
	return fmt.Sprintf(`((%[1]s = $src AND %[2]s = $sport AND %[3]s = $dst AND %[4]s = $dport)
  OR (%[1]s = $dst AND %[2]s = $dport AND %[3]s = $src AND %[4]s = $sport))`, a, ap, b, bp)
}

func loadDetail(ctx context.Context, db *sql.DB, ref flowRef) (*detailData, error) {
	res, err := queries.RunContext(ctx, db, fmt.Sprintf(`SELECT * FROM flows WHERE probe = '%s' AND flow_id = %d LIMIT 1`,
		strings.ReplaceAll(ref.probe, "'", "''"), ref.flowID))
	if err != nil {
		return nil, err
	}
	if len(res.Rows) == 0 {
		return nil, fmt.Errorf("flow %d of probe %s: %w", ref.flowID, ref.probe, errNoFlowRow)
	}
	d := &detailData{ref: ref, flow: row{}}
	for i, c := range res.Columns {
		d.flow[c] = res.Rows[0][i]
	}
	f := d.flow
	lo, hi := queries.Int64(f["first_seen"]), queries.Int64(f["last_seen"])
	slack := int64(time.Second)
	// named parameters shared by every section's query
	params := []any{
		sql.Named("probe", ref.probe), sql.Named("id", ref.flowID), sql.Named("iface", toString(f["interface"])),
		sql.Named("class", toString(f["class"])), sql.Named("name", toString(f["name"])),
		sql.Named("src", toString(f["src_addr"])), sql.Named("dst", toString(f["dst_addr"])),
		sql.Named("sport", queries.Int64(f["src_port"])), sql.Named("dport", queries.Int64(f["dst_port"])),
		sql.Named("lo", lo-slack), sql.Named("hi", hi+slack),
	}
	run := func(q string) (*queries.Result, error) { return runNamed(ctx, db, q, params) }
	// the flow and its reverse direction in the same class: RTT rows are
	// kept on the request's flow
	peers := `(SELECT flow_id FROM flows WHERE probe = $probe AND (flow_id = $id OR (class = $class AND interface = $iface
  AND src_addr = $dst AND dst_addr = $src AND src_port = $dport AND dst_port = $sport)))`
	type section struct {
		dst **queries.Result
		q   string
	}
	sections := []section{
		{&d.metrics, `SELECT metric, sum(n) AS n, sum(sum) AS sum, min(min) AS min, max(max) AS max
FROM flow_counters WHERE probe = $probe AND flow_id = $id GROUP BY 1 ORDER BY 1`},
		{&d.sizes, `SELECT slice_lo_bytes, slice_hi_bytes, sum(packets) AS packets FROM size_histograms
WHERE probe = $probe AND flow_id = $id GROUP BY 1, 2 ORDER BY 1`},
		{&d.rttHist, `SELECT kind, slice_lo_ms, slice_hi_ms, sum(n) AS n FROM rtt_histograms
WHERE probe = $probe AND flow_id IN ` + peers + ` GROUP BY 1, 2, 3 ORDER BY 1, 2`},
		{&d.rtt, `SELECT kind, request_time, rtt_ms, client_addr, client_port, server_addr, server_port, detail FROM rtt_samples
WHERE probe = $probe AND (flow_id IN ` + peers + ` OR (` + flowMatch("client_addr", "client_port", "server_addr", "server_port") + `
  AND epoch_ns(request_time) BETWEEN $lo AND $hi)) ORDER BY request_time LIMIT 50`},
		{&d.tcp, `SELECT class, host_port(client_addr, client_port) || ' > ' || host_port(server_addr, server_port) AS connection,
  handshake_syn_synack_ms, handshake_synack_ack_ms, duration_s, client_payload_bytes, server_payload_bytes,
  client_retransmissions, server_retransmissions, client_out_of_order, server_out_of_order,
  client_zero_windows, server_zero_windows, client_mss, server_mss, client_wscale, server_wscale, sack_permitted, conn_state, history
FROM tcp_connections WHERE probe = $probe AND interface = $iface AND ` + flowMatch("client_addr", "client_port", "server_addr", "server_port") + `
  AND epoch_ns(start_time) <= $hi AND epoch_ns(end_time) >= $lo ORDER BY start_time, class`},
		{&d.ftp, `SELECT t.class, t.command, t.file_name, t.bytes, t.duration_s, t.throughput_mbps, t.data_mode, t.mode_command, t.status, t.reply_code,
  t.start_time, t.session_id
FROM ftp_transfers t WHERE t.probe = $probe AND (` + flowMatch("t.data_src_addr", "t.data_src_port", "t.data_dst_addr", "t.data_dst_port") + `
  OR t.session_id IN (SELECT session_id FROM ftp_sessions WHERE probe = $probe AND ` + flowMatch("client_addr", "client_port", "server_addr", "server_port") + `))
ORDER BY t.start_time, t.class LIMIT 50`},
		{&d.latency, `SELECT interval_start, from_hop, to_hop, n, min_us, p50_us, p90_us, p99_us, max_us FROM oneway_rows(oneway_latency)
WHERE class = $class AND flow = $name ORDER BY interval_start, ` + hopOrder("") + ` LIMIT 200`},
		{&d.loss, `SELECT interval_start, from_hop, to_hop, sent, delivered, lost, missed, dropped, duplicates FROM oneway_rows(oneway_loss)
WHERE class = $class AND flow = $name ORDER BY interval_start, ` + hopOrder("") + ` LIMIT 200`},
		{&d.variation, `SELECT interval_start, from_hop, to_hop, pairs, ipdv_min_us, ipdv_max_us, ipdv_abs_p99_us, pdv_p99_us,
  loss_periods, loss_period_max_pkts, reordered
FROM (` + namedWide("ipdv") + `) v JOIN (` + namedWide("loss-pattern") + `) USING (class, flow, from_hop, to_hop, interval_start)
WHERE class = $class AND flow = $name ORDER BY interval_start, ` + hopOrder("v.") + ` LIMIT 200`},
		{&d.events, `SELECT time, source, severity, kind, message FROM events
WHERE epoch_ns(time) BETWEEN $lo AND $hi AND (source = 'probe:' || $probe OR source = 'collector') ORDER BY time LIMIT 50`},
	}
	for _, s := range sections {
		r, err := run(s.q)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// a table missing from an output (older run): the section says so
			r = &queries.Result{Columns: []string{"error"}, Types: []string{"VARCHAR"}, Rows: [][]any{{firstLine(err.Error())}}}
		}
		*s.dst = r
	}
	cres, err := runNamed(ctx, db, `SELECT epoch_ns(interval_start), sum(sum) FILTER (metric = 'packets'), sum(sum) FILTER (metric = 'ip_bytes')
FROM flow_counters WHERE probe = $probe AND flow_id = $id GROUP BY 1 ORDER BY 1`, params)
	if err == nil {
		for _, r := range cres.Rows {
			d.counters = append(d.counters, counterPoint{t: queries.Int64(r[0]), packets: queries.Float64(r[1]), bytes: queries.Float64(r[2]),
				kept: r[1] != nil || r[2] != nil})
		}
	}
	return d, nil
}

// hopOrder is the ORDER BY of a one-way section's hop pairs within an
// interval, over the columns of a row of oneway_loss or oneway_latency
// (qualified by prefix): the one-way queries' rule, the macro hop_order
// (queries.HopOrderMacro: path order, then by the hops' names, the only
// order of an output written before the hop indices). The sections read
// the tables through oneway_rows (queries.OnewayRowsMacro), as the
// one-way queries do: over an output merged before merge placed the
// older rows' hops, each pair once, at its place in the path (the detail
// listed it twice: in path order, then by name with NULL indices).
func hopOrder(prefix string) string {
	return fmt.Sprintf("hop_order(%[1]sfrom_hop, %[1]sto_hop, %[1]sfrom_hop_index, %[1]sto_hop_index)", prefix)
}

// namedWide is the SQL of every column of the named query name; a name
// queries.List lacks gives SQL whose error the section shows
// (TestOnewayScreen reads the section).
func namedWide(name string) string {
	q, err := queries.Get(name)
	if err != nil {
		return "SELECT error('no named query " + name + "')"
	}
	return q.Wide
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// runNamed runs a query with named parameters, keeping only those the
// query names ($x).
func runNamed(ctx context.Context, db *sql.DB, q string, params []any) (*queries.Result, error) {
	var used []any
	for _, p := range params {
		if strings.Contains(q, "$"+p.(sql.NamedArg).Name) {
			used = append(used, p)
		}
	}
	rows, err := db.QueryContext(ctx, q, used...)
	if err != nil {
		return nil, err
	}
	return queries.ReadRows(rows)
}

func (d *detail) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		if msg.err != nil {
			d.err = msg.err
			if !errors.As(msg.err, new(flowNotEnded)) {
				e.setErr(msg.err)
			}
			return nil
		}
		if v, ok := msg.v.(*detailData); ok && v != nil {
			d.d = v
			d.ref = v.ref
			d.title = fmt.Sprintf("Flow %s/%d", v.ref.probe, v.ref.flowID)
			d.content = ""
		}
	case tea.KeyMsg:
		k := e.keys
		if scroll(&d.vp, k, msg) {
			return nil
		}
		if key.Matches(msg, k.Packets) || key.Matches(msg, k.Enter) {
			if d.d != nil {
				return pushCmd(newPackets(e, packetsOf(d.d.flow)))
			}
		}
	}
	return nil
}

func (d *detail) view(e *env, w, h int) string {
	if d.d == nil && d.err != nil { // wrapped: why a row is missing can take lines
		style := e.st.err
		if errors.As(d.err, new(flowNotEnded)) {
			style = e.st.dim
		}
		return style.Render(ansi.Wrap(firstLine(d.err.Error()), w, " ")) + "\n" + e.st.dim.Render("esc: back")
	}
	if d.d == nil {
		return e.st.dim.Render("loading flow …")
	}
	if d.content == "" || d.w != w || d.dated != e.dated {
		d.w, d.dated = w, e.dated
		d.content = d.render(e, w)
		d.vp.SetContent(d.content)
	}
	d.vp.Width, d.vp.Height = w, h
	return d.vp.View()
}

func (d *detail) render(e *env, w int) string {
	st := e.st
	f := d.d.flow
	var b strings.Builder
	lo, hi := queries.Int64(f["first_seen"]), queries.Int64(f["last_seen"])
	dur := float64(hi-lo) / 1e9
	// the header's items wrap between two, never inside one (at 100
	// columns "bytes 5,431,336 (5.2 MiB)" lost its "B)")
	b.WriteString(wrapItems(w, "  ", st.section.Render(toString(f["name"])),
		st.dim.Render(fmt.Sprintf("probe %s · interface %s · class %s · flow_id %d", f["probe"], f["interface"], f["class"], queries.Int64(f["flow_id"])))) + "\n")
	rate := 0.0
	if dur > 0 {
		rate = queries.Float64(f["bytes"]) * 8 / dur / 1e6
	}
	b.WriteString(wrapItems(w, "   ", fmt.Sprintf("%s → %s  (%.6f s)", fmtTime(lo), stamp(hi, e.dated), dur),
		"packets "+human(queries.Int64(f["packets"])),
		fmt.Sprintf("bytes %s (%s)", human(queries.Int64(f["bytes"])), bytesIEC(queries.Float64(f["bytes"]))),
		fmt.Sprintf("%.3f Mbit/s", rate),
		st.dim.Render(flowFields(f)),
		"(p: packets)") + "\n")

	// counters over time
	b.WriteString("\n" + st.section.Render("Counters over time") + "\n")
	if !d.d.counted() {
		b.WriteString(st.dim.Render("  (no packets or ip bytes per interval: the class has no `counters` analysis)") + "\n")
	} else {
		pk := make([]float64, len(d.d.counters))
		by := make([]float64, len(d.d.counters))
		for i, c := range d.d.counters {
			pk[i], by[i] = c.packets, c.bytes
		}
		cw := min(max(len(pk)*2, 1), w/2-12)
		b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top,
			st.r.NewStyle().Width(w/2).Render("packets per interval\n"+columnChart(stretch(pk, cw), cw, 4, func(int) lipgloss.Style { return st.chart })),
			"ip bytes per interval\n"+columnChart(stretch(by, cw), cw, 4, func(int) lipgloss.Style { return st.chart })))
		b.WriteString("\n" + st.dim.Render(fmt.Sprintf("%d interval(s) from %s", len(d.d.counters), fmtTime(d.d.counters[0].t))) + "\n")
	}
	if d.d.counted() || d.d.metrics == nil || len(d.d.metrics.Rows) > 0 {
		b.WriteString(resultTable(e, d.d.metrics, w, 20) + "\n")
	}

	// size histogram
	b.WriteString("\n" + st.section.Render("IP size histogram") + "\n")
	if bars, ok := resultBars(st, d.d.sizes, min(w, 90), func(x []any) (string, float64, string) {
		hiB := queries.Int64(x[1])
		l := fmt.Sprintf("%d–%d B", queries.Int64(x[0])+1, hiB)
		if hiB == 0 {
			l = fmt.Sprintf(">%d B", queries.Int64(x[0]))
		}
		return l, queries.Float64(x[2]), human(queries.Int64(x[2])) + " pk"
	}); ok {
		b.WriteString(bars + "\n")
	} else {
		b.WriteString(st.dim.Render("  (no size histogram: the class has no `sizes` analysis)") + "\n")
	}

	// RTT
	b.WriteString("\n" + st.section.Render("Round trips") + "\n")
	if bars, ok := resultBars(st, d.d.rttHist, min(w, 90), func(x []any) (string, float64, string) {
		hiMs := queries.Float64(x[2])
		l := fmt.Sprintf("%s %g–%g ms", x[0], queries.Float64(x[1]), hiMs)
		if hiMs == 0 {
			l = fmt.Sprintf("%s ≥%g ms", x[0], queries.Float64(x[1]))
		}
		return l, queries.Float64(x[3]), human(queries.Int64(x[3]))
	}); ok {
		b.WriteString(bars + "\n")
	}
	b.WriteString(resultTable(e, d.d.rtt, w, 12) + "\n")

	b.WriteString("\n" + st.section.Render("TCP connections") + "\n" + resultTable(e, transpose(d.d.tcp, e.dated), w, 40) + "\n")
	b.WriteString("\n" + st.section.Render("FTP transfers") + "\n" + resultTable(e, d.d.ftp, w, 20) + "\n")

	b.WriteString("\n" + st.section.Render("One-way latency") + "\n")
	b.WriteString(latencyCharts(st, d.d.latency, w))
	b.WriteString(resultTable(e, d.d.latency, w, 12) + "\n")
	b.WriteString("\n" + st.section.Render("One-way loss") + "\n" + resultTable(e, d.d.loss, w, 12) + "\n")
	b.WriteString("\n" + st.section.Render("One-way delay variation and loss pattern (ipdv, loss-pattern)") + "\n" + resultTable(e, d.d.variation, w, 12) + "\n")
	b.WriteString("\n" + st.section.Render("Events in the flow's span") + "\n" + resultTable(e, d.d.events, w, 20) + "\n")
	return b.String()
}

// stretch repeats each value so that n values fill about w columns.
func stretch(vals []float64, w int) []float64 {
	if len(vals) == 0 || len(vals) >= w {
		return vals
	}
	k := w / len(vals)
	out := make([]float64, 0, len(vals)*k)
	for _, v := range vals {
		for range k {
			out = append(out, v)
		}
	}
	return out
}

// transpose shows a one- or two-row result as name/value lines (wide TCP
// connection rows read better that way).
func transpose(r *queries.Result, dated bool) *queries.Result {
	if r == nil || len(r.Rows) == 0 || len(r.Rows) > 3 || r.Columns[0] == "error" {
		return r
	}
	out := &queries.Result{Columns: []string{"field"}, Types: []string{"VARCHAR"}}
	for i := range r.Rows {
		out.Columns = append(out.Columns, fmt.Sprintf("connection %d", i+1))
		out.Types = append(out.Types, "VARCHAR")
	}
	for c, name := range r.Columns {
		line := []any{name}
		for _, x := range r.Rows {
			line = append(line, cell(x[c], r.Types[c], dated))
		}
		out.Rows = append(out.Rows, line)
	}
	return out
}

// resultBars draws one bar per row of r in width w, its label, value and
// text given by bar; ok is false when r has no rows (or holds an error).
func resultBars(st *styles, r *queries.Result, w int, bar func(row []any) (label string, v float64, text string)) (s string, ok bool) {
	if r == nil || len(r.Rows) == 0 || r.Columns[0] == "error" {
		return "", false
	}
	var labels, texts []string
	var vals []float64
	for _, x := range r.Rows {
		l, v, t := bar(x)
		labels, vals, texts = append(labels, l), append(vals, v), append(texts, t)
	}
	return barRows(st, labels, vals, texts, w), true
}

// resultTable draws a small in-memory result (a detail section, the SQL
// screen's page) as aligned columns.
func resultTable(e *env, r *queries.Result, w, maxRows int) string {
	st := e.st
	if r == nil {
		return st.dim.Render("  (not loaded)")
	}
	if len(r.Rows) == 0 {
		return st.dim.Render("  (none)")
	}
	widths := make([]int, len(r.Columns))
	for i, c := range r.Columns {
		widths[i] = len([]rune(c))
	}
	n := min(len(r.Rows), maxRows)
	cells := make([][]string, n)
	for j := range n {
		cells[j] = make([]string, len(r.Columns))
	}
	for i, c := range r.Columns {
		vals := make([]any, n)
		for j := range n {
			vals[j] = r.Rows[j][i]
		}
		for j, s := range columnCells(c, r.Types[i], vals, e.dated) {
			cells[j][i] = s
			widths[i] = min(max(widths[i], len([]rune(s))), 60)
		}
	}
	var b strings.Builder
	var hdr []string
	for i, c := range r.Columns {
		f := "%-*s"
		if isNumeric(r.Types[i]) { // over its numbers' last digit
			f = "%*s"
		}
		hdr = append(hdr, st.header.Render(fmt.Sprintf(f, widths[i], cut(c, widths[i]))))
	}
	b.WriteString("  " + strings.Join(hdr, " ") + "\n")
	for j := range n {
		var line []string
		for i := range r.Columns {
			s := cut(cells[j][i], widths[i])
			if isNumeric(r.Types[i]) {
				line = append(line, fmt.Sprintf("%*s", widths[i], s))
			} else {
				line = append(line, fmt.Sprintf("%-*s", widths[i], s))
			}
		}
		b.WriteString("  " + strings.Join(line, " ") + "\n")
	}
	if len(r.Rows) > n {
		b.WriteString(st.dim.Render(fmt.Sprintf("  … %d more", len(r.Rows)-n)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
