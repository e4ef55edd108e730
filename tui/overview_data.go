package tui

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// The overview's data. A million-flow output must show its first screen in
// under a second (issue 12), so the flows table is read once, grouped by
// probe, interface, class and protocol (a few hundred rows at most), and
// everything the screen shows of flows is added up from those groups in
// Go; the throughput strip then reads only the ip_bytes counters of the
// flows of each interface's main class (a semi-join), summed per interval.

// flowGroup is one row of the overview's scan of flows: the flows of one
// probe, interface, class and IP protocol.
type flowGroup struct {
	probe, iface, class string
	proto               int64
	flows, packets      int64
	bytes               int64 // IP bytes
	first, last         int64 // Unix ns
}

// groupsSQL reads the flow groups; %s is the brush's WHERE (or "").
const groupsSQL = `SELECT probe, interface, class, protocol, count(*), sum(packets)::BIGINT, sum(bytes)::BIGINT,
  epoch_ns(min(first_seen)), epoch_ns(max(last_seen)) FROM flows %s GROUP BY ALL`

func loadGroups(ctx context.Context, db *sql.DB, where string, args ...any) ([]flowGroup, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(groupsSQL, where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gs []flowGroup
	for rows.Next() {
		var g flowGroup
		if err := rows.Scan(&g.probe, &g.iface, &g.class, &g.proto, &g.flows, &g.packets, &g.bytes, &g.first, &g.last); err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// brushedGroupsSQL reads the flow groups within a brush from the packets
// and ip_bytes counters of the flow_counters intervals overlapping it
// (args: brush hi, brush lo): a flow counts with the packets and bytes of
// those intervals only, its first and last packet clamped to them.
const brushedGroupsSQL = `WITH c AS (
  SELECT probe, flow_id, epoch_ns(interval_start) AS s, (interval_s * 1e9)::BIGINT AS len,
    sum(CASE WHEN metric = 'packets' THEN sum END) AS pk, sum(CASE WHEN metric = 'ip_bytes' THEN sum END) AS ipb
  FROM flow_counters
  WHERE metric IN ('packets', 'ip_bytes') AND epoch_ns(interval_start) <= ? AND epoch_ns(interval_start) + (interval_s * 1e9)::BIGINT > ?
  GROUP BY ALL)
SELECT f.probe, f.interface, f.class, f.protocol, count(DISTINCT f.flow_id), coalesce(sum(c.pk), 0)::BIGINT, coalesce(sum(c.ipb), 0)::BIGINT,
  min(greatest(epoch_ns(f.first_seen), c.s)), max(least(epoch_ns(f.last_seen), c.s + c.len - 1))
FROM flows f JOIN c ON f.probe = c.probe AND f.flow_id = c.flow_id GROUP BY ALL`

// loadBrushedGroups reads the flow groups within brush b and says what
// they count: the packets and IP bytes of the flow_counters intervals
// overlapping the brush (their length is the resolution), or, without
// counters, the full totals of the flows overlapping it.
func loadBrushedGroups(ctx context.Context, db *sql.DB, b brush, dated bool) ([]flowGroup, string, error) {
	var ivLo, ivHi sql.NullFloat64
	var first, last sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT min(interval_s), max(interval_s), min(epoch_ns(interval_start)), max(epoch_ns(interval_start) + (interval_s * 1e9)::BIGINT)
FROM flow_counters WHERE metric = 'packets' AND epoch_ns(interval_start) <= ? AND epoch_ns(interval_start) + (interval_s * 1e9)::BIGINT > ?`, b.hi, b.lo).Scan(&ivLo, &ivHi, &first, &last)
	if err != nil || !ivLo.Valid {
		// no counters (none written, or none in the range): whole flows
		fw, fargs := brushWhere(b, "first_seen", "last_seen")
		gs, err := loadGroups(ctx, db, fw, fargs...)
		return gs, "flows overlapping the brush, with their full totals (no flow_counters intervals in it)", err
	}
	rows, err := db.QueryContext(ctx, brushedGroupsSQL, b.hi, b.lo)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var gs []flowGroup
	for rows.Next() {
		var g flowGroup
		if err := rows.Scan(&g.probe, &g.iface, &g.class, &g.proto, &g.flows, &g.packets, &g.bytes, &g.first, &g.last); err != nil {
			return nil, "", err
		}
		gs = append(gs, g)
	}
	iv := fmt.Sprintf("%g s", ivLo.Float64)
	if ivHi.Float64 != ivLo.Float64 {
		iv = fmt.Sprintf("%g–%g s", ivLo.Float64, ivHi.Float64)
	}
	clock := func(ns int64) string { return strings.TrimSuffix(stamp(ns, dated), ".000000") }
	return gs, fmt.Sprintf("packets and bytes in the %s flow_counters intervals overlapping the brush, %s – %s", iv, clock(first.Int64), clock(last.Int64)), rows.Err()
}

// classKey names the flows of one class at one probe interface.
type classKey struct{ probe, iface, class string }

// mainClasses picks, per probe and interface, the class that saw the most
// packets (the default config's "all": its flows count each packet once;
// ties go to the first name), with that class's totals. Sorted by probe
// and interface.
func mainClasses(gs []flowGroup) []probeRow {
	per := map[classKey]*probeRow{}
	for _, g := range gs {
		k := classKey{g.probe, g.iface, g.class}
		r := per[k]
		if r == nil {
			r = &probeRow{probe: g.probe, iface: g.iface, class: g.class, first: g.first, last: g.last}
			per[k] = r
		}
		r.packets += g.packets
		r.bytes += g.bytes
		r.flows += g.flows
		r.first, r.last = min(r.first, g.first), max(r.last, g.last)
	}
	best := map[[2]string]*probeRow{}
	for _, r := range per {
		k := [2]string{r.probe, r.iface}
		if b := best[k]; b == nil || r.packets > b.packets || (r.packets == b.packets && r.class < b.class) {
			best[k] = r
		}
	}
	out := make([]probeRow, 0, len(best))
	for _, r := range best {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b probeRow) int { return cmp.Or(cmp.Compare(a.probe, b.probe), cmp.Compare(a.iface, b.iface)) })
	return out
}

// mixes adds the groups up into the protocol mix (main classes only, by
// bytes) and the class mix (every class: a packet counts in each class it
// matches; by packets).
func mixes(gs []flowGroup, mains []probeRow) (protos, classes []mixRow) {
	isMain := map[classKey]bool{}
	for _, m := range mains {
		isMain[classKey{m.probe, m.iface, m.class}] = true
	}
	add := func(rows []mixRow, label string, g flowGroup) []mixRow {
		i := slices.IndexFunc(rows, func(r mixRow) bool { return r.label == label })
		if i < 0 {
			rows, i = append(rows, mixRow{label: label}), len(rows)
		}
		rows[i].flows += g.flows
		rows[i].packets += g.packets
		rows[i].bytes += g.bytes
		return rows
	}
	for _, g := range gs {
		if isMain[classKey{g.probe, g.iface, g.class}] {
			protos = add(protos, observe.ProtocolName(uint8(g.proto)), g)
		}
		classes = add(classes, g.class, g)
	}
	slices.SortStableFunc(protos, func(a, b mixRow) int { return cmp.Compare(b.bytes, a.bytes) })
	slices.SortFunc(classes, func(a, b mixRow) int { return cmp.Or(cmp.Compare(b.packets, a.packets), cmp.Compare(a.label, b.label)) })
	return protos, classes
}

func brushWhere(b brush, lo, hi string) (string, []any) {
	if !b.active() {
		return "", nil
	}
	return fmt.Sprintf("WHERE epoch_ns(%s) <= ? AND epoch_ns(%s) >= ?", lo, hi), []any{b.hi, b.lo}
}

// loadOverview reads what the overview shows within brush b: one scan of
// flows (loadGroups) and two small queries over events. groups holds the
// flow groups when the brush is not active (the strip's input). dated:
// times carry their date (spanDated).
func loadOverview(ctx context.Context, db *sql.DB, out string, b brush, dated bool) (*overviewData, error) {
	d := &overviewData{}
	var gs []flowGroup
	var err error
	if b.active() {
		gs, d.brushHow, err = loadBrushedGroups(ctx, db, b, dated)
	} else {
		gs, err = loadGroups(ctx, db, "")
	}
	if err != nil {
		return nil, err
	}
	if !b.active() {
		d.groups = gs
	}
	d.probes = mainClasses(gs)
	d.protos, d.classes = mixes(gs, d.probes)
	// malformed packets per probe, from the probe's closing event
	mal := map[string]string{}
	if rows, err := db.QueryContext(ctx, `SELECT replace(source, 'probe:', ''), max(regexp_extract(message, '(\d+) malformed', 1))
FROM events WHERE kind = 'probe_stop' GROUP BY 1`); err == nil {
		for rows.Next() {
			var p, n string
			if rows.Scan(&p, &n) == nil {
				mal[p] = n
			}
		}
		rows.Close()
	}
	// kernel drops per probe and interface, from a live capture's closing
	// events ("IFACE (MTU ...): ... N dropped by the kernel")
	drops := map[[2]string]string{}
	if rows, err := db.QueryContext(ctx, `SELECT replace(source, 'probe:', ''), regexp_extract(message, '^(\S+) \(MTU', 1),
  sum(TRY_CAST(regexp_extract(message, '(\d+) dropped by the kernel', 1) AS BIGINT))
FROM events WHERE kind = 'capture_stop' GROUP BY 1, 2`); err == nil {
		for rows.Next() {
			var p, i string
			var n sql.NullInt64
			if rows.Scan(&p, &i, &n) == nil && n.Valid {
				drops[[2]string{p, i}] = human(n.Int64)
			}
		}
		rows.Close()
	}
	for i := range d.probes {
		d.probes[i].malformed = mal[d.probes[i].probe]
		d.probes[i].drops = drops[[2]string{d.probes[i].probe, d.probes[i].iface}]
	}
	ew, eargs := brushWhere(b, "time", "time")
	// an output without events (a table missing) shows none
	if rows, err := db.QueryContext(ctx, `SELECT severity, count(*) FROM events `+ew+` GROUP BY 1
ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END`, eargs...); err == nil {
		for rows.Next() {
			var r mixRow
			if rows.Scan(&r.label, &r.flows) == nil {
				d.severity = append(d.severity, r)
			}
		}
		rows.Close()
	}
	d.inputs = runInputs(ctx, db, out)
	return d, nil
}

// mainFlowsSQL selects the flows of the main classes (a WHERE body) with
// its arguments; "false" when there are none.
func mainFlowsSQL(mains []probeRow, alias string) (string, []any) {
	if len(mains) == 0 {
		return "false", nil
	}
	var parts []string
	var args []any
	for _, m := range mains {
		parts = append(parts, fmt.Sprintf("(%[1]sprobe = ? AND %[1]sinterface = ? AND %[1]sclass = ?)", alias))
		args = append(args, m.probe, m.iface, m.class)
	}
	return strings.Join(parts, " OR "), args
}

// loadStrip computes the throughput strip of w buckets over the whole
// capture: IP bytes of the main classes' flows per bucket, from the
// ip_bytes counters when their intervals are at least as fine as four
// buckets (each interval's bytes spread over the buckets it covers), else
// from flows spread evenly over the buckets their lifetime covers (an
// approximation, said so on screen); plus, either way, the ip_bytes
// counters of the flows that have no flows row yet (counterIntervals: a
// running collector's or live run's long-lived flows), over the span
// their intervals widen. gs are the flow groups of the whole capture;
// nil: read them.
func loadStrip(ctx context.Context, db *sql.DB, w int, gs []flowGroup) (*stripData, error) {
	s := &stripData{n: w, vals: make([]float64, w)}
	if gs == nil {
		var err error
		if gs, err = loadGroups(ctx, db, ""); err != nil {
			return nil, err
		}
	}
	mw, margs := mainFlowsSQL(mainClasses(gs), "")
	ivs, err := counterIntervals(ctx, db, mw, margs)
	if err != nil {
		return nil, err
	}
	s.lo, s.hi = int64(math.MaxInt64), int64(math.MinInt64)
	for _, g := range gs {
		s.lo, s.hi = min(s.lo, g.first), max(s.hi, g.last)
	}
	for _, c := range ivs {
		if c.open > 0 { // no first or last packet known: the interval
			s.lo, s.hi, s.open = min(s.lo, c.start), max(s.hi, c.start+max(c.length, 1)-1), true
		}
	}
	if len(gs) == 0 && !s.open {
		s.lo, s.hi = 0, 0
		return s, nil
	}
	span := max(s.hi-s.lo, 1)
	bw := span/int64(w) + 1
	// the counters' interval (the config's interval_s: one for the run)
	s.exact = len(gs) == 0 || len(ivs) > 0 && ivs[0].length > 0 && span/ivs[0].length+1 >= int64(w)/4
	for _, c := range ivs {
		s.spread(c.start, c.start+max(c.length, 1), c.open, bw)
		if s.exact {
			s.spread(c.start, c.start+max(c.length, 1), c.main, bw)
		}
	}
	if s.exact {
		return s, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT i, sum(bytes / (sb - sa + 1)) FROM (
  SELECT bytes, sa, sb, unnest(generate_series(sa, sb)) AS i FROM (
    SELECT bytes, (epoch_ns(first_seen) - ?) // ? AS sa, (epoch_ns(last_seen) - ?) // ? AS sb FROM flows WHERE `+mw+`))
GROUP BY 1`, append([]any{s.lo, bw, s.lo, bw}, margs...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var v float64
		if err := rows.Scan(&i, &v); err != nil {
			return nil, err
		}
		if i >= 0 && i < int64(w) {
			s.vals[i] += v
		}
	}
	return s, rows.Err()
}

// intervalBytes is the IP bytes of one flow_counters interval: of the
// main classes' flows, and of the flows without a flows row.
type intervalBytes struct {
	start, length int64 // Unix ns, ns
	main, open    float64
}

// counterIntervals adds up the ip_bytes counters per interval, those of
// the flows mainWhere selects in flows (args: its arguments) apart from
// those of the flows that have no flows row yet: a flow's row is written
// when it ends (queries.FlowRowWhen), its flow_counters rows as each
// interval closes, so on a running collector's output a long-lived flow
// has only those. Such a flow's class is not known until its row is
// written: it counts in every class it matches (the strip's caption says
// so). One pass (a LEFT JOIN: a flows row per probe and flow_id); none
// without a flow_counters table (no part written yet).
func counterIntervals(ctx context.Context, db *sql.DB, mainWhere string, args []any) ([]intervalBytes, error) {
	rows, err := db.QueryContext(ctx, `SELECT epoch_ns(c.interval_start), (c.interval_s * 1e9)::BIGINT,
  coalesce(sum(c.sum) FILTER (WHERE f.main), 0), coalesce(sum(c.sum) FILTER (WHERE f.flow_id IS NULL), 0)
FROM flow_counters c LEFT JOIN (SELECT probe, flow_id, `+mainWhere+` AS main FROM flows) f ON c.probe = f.probe AND c.flow_id = f.flow_id
WHERE c.metric = 'ip_bytes' GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		if t, ok := missingTable(err.Error()); ok && t == "flow_counters" {
			return nil, nil
		}
		return nil, err
	}
	defer rows.Close()
	var out []intervalBytes
	for rows.Next() {
		var c intervalBytes
		if err := rows.Scan(&c.start, &c.length, &c.main, &c.open); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// spread adds v, counted over [a, b) ns, to the buckets (bw ns wide from
// s.lo) that the part of [a, b) within the capture covers, in proportion
// to the overlap: an interval that starts before the first packet or ends
// after the last one keeps all its bytes.
func (s *stripData) spread(a, b int64, v float64, bw int64) {
	a, b = max(a, s.lo), min(b, s.hi+1)
	if b <= a {
		return
	}
	for i := (a - s.lo) / bw; i < int64(len(s.vals)); i++ {
		lo, hi := max(a, s.lo+i*bw), min(b, s.lo+(i+1)*bw)
		if hi <= lo {
			break
		}
		s.vals[i] += v * float64(hi-lo) / float64(b-a)
	}
}
