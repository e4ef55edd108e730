package dataset

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/queries/enrich"
)

// MergeResult says what Merge wrote per table.
type MergeResult struct {
	Tables []Merged
	// Skipped lists derived tables not merged: rollups (`tmonbench
	// rollup` on the merged output rebuilds them) and
	// packet_index (offsets into each source's capture files: a replay
	// of the captures writes it).
	Skipped []string
}

// Merged is one merged table.
type Merged struct {
	Name    string
	Input   int64 // rows over every source
	Written int64 // distinct rows written
}

// Merge writes into dst (an existing, empty folder or a run being staged)
// the union of the raw tables of every source output, each distinct row
// once: two collectors of duplicated central sites (design 1.2) that
// received the same observations wrote the same rows, and two runs over
// the same capture too. Sources may be flat (schema version 1) or
// Hive-partitioned; dst is Hive-partitioned. The one-way rows of a
// source written before the hop indices take their pair's from the other
// sources (placeHops), so that they are the same distinct rows as the
// newer sources' ones. Rollups are derived, not merged (Skipped). The addresses table (queries/enrich) is merged one row
// per address (mergeAddresses), for its DNS names: a reverse look-up's
// answer cannot be derived again, only looked up again (later, maybe
// otherwise, and only with --dns); the rollup of the merged output then
// rebuilds its other columns from its configuration and keeps the names.
func Merge(ctx context.Context, dst string, srcs []string) (*MergeResult, error) {
	if len(srcs) == 0 {
		return nil, fmt.Errorf("dataset: merge: no source")
	}
	if err := distinctSources(srcs); err != nil {
		return nil, err
	}
	have := map[string][]string{} // table -> source expressions
	var addresses []string        // the sources' addresses tables
	res := &MergeResult{}
	skipped := map[string]bool{}
	for _, s := range srcs {
		tables, err := queries.Tables(s)
		if err != nil {
			return nil, err
		}
		if len(tables) == 0 {
			return nil, fmt.Errorf("%w in %s", queries.ErrNoOutput, s)
		}
		for _, t := range tables {
			if t == enrich.Table {
				expr, err := queries.TableSource(s, t)
				if err != nil {
					return nil, err
				}
				addresses = append(addresses, expr)
				continue
			}
			if observe.TableNamed(t) == nil {
				skipped[t] = true
				continue
			}
			expr, err := queries.TableSource(s, t)
			if err != nil {
				return nil, err
			}
			have[t] = append(have[t], expr)
		}
	}
	for t := range skipped {
		res.Skipped = append(res.Skipped, t)
	}
	sort.Strings(res.Skipped)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer conn.Close()
	if err := sameFlowIDs(ctx, conn, have[observe.TableFlows]); err != nil {
		return nil, err
	}
	for _, t := range observe.Tables {
		exprs := have[t.Name]
		if len(exprs) == 0 {
			continue
		}
		m, err := mergeTable(ctx, conn, dst, t, exprs)
		if err != nil {
			return nil, err
		}
		res.Tables = append(res.Tables, m)
	}
	if len(addresses) > 0 {
		m, err := mergeAddresses(ctx, conn, dst, addresses)
		if err != nil {
			return nil, err
		}
		res.Tables = append(res.Tables, m)
	}
	return res, nil
}

// mergeAddresses writes into dst the addresses table (queries/enrich) of
// the sources' tables exprs (in the order of the sources), one row per
// address, the table's key: the row of the latest reverse look-up
// (dns_time; a name looked up later is the newer answer, a failed
// look-up's empty name included, as enrich keeps it), a row never looked
// up last, the first source's on a tie. Flat, one part, as enrich writes
// it.
func mergeAddresses(ctx context.Context, conn *sql.Conn, dst string, exprs []string) (Merged, error) {
	m := Merged{Name: enrich.Table}
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = fmt.Sprintf("SELECT *, %d AS merge_source FROM %s", i, e)
	}
	union := "(" + strings.Join(parts, " UNION ALL BY NAME ") + ")"
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+union).Scan(&m.Input); err != nil {
		return m, fmt.Errorf("dataset: merge %s: %w", m.Name, err)
	}
	dir := filepath.Join(dst, enrich.Table)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return m, fmt.Errorf("dataset: %w", err)
	}
	q := "SELECT * EXCLUDE (merge_source) FROM " + union +
		" QUALIFY row_number() OVER (PARTITION BY address ORDER BY dns_time DESC NULLS LAST, merge_source) = 1 ORDER BY address"
	part := filepath.ToSlash(filepath.Join(dir, "part-00000.parquet"))
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd)", q, literal(part))).Scan(&m.Written); err != nil {
		return m, fmt.Errorf("dataset: merge %s: %w", m.Name, err)
	}
	return m, nil
}

// distinctSources refuses a source named twice (by another path too, a
// link or a relative one): its rows would be counted twice in Input
// though written once, and a second name is most likely a typo for
// another output.
func distinctSources(srcs []string) error {
	seen := make([]os.FileInfo, len(srcs))
	for i, s := range srcs {
		st, err := os.Stat(s)
		if err != nil {
			continue // Tables says what is wrong with it
		}
		for j, o := range seen[:i] {
			if o != nil && os.SameFile(o, st) {
				return fmt.Errorf("dataset: merge: %s and %s are the same output: name each source once", srcs[j], srcs[i])
			}
		}
		seen[i] = st
	}
	return nil
}

// sameFlowIDs refuses sources in which one probe's flow_id names two
// different flows (interface, class, name or first_seen differ): outputs
// of different runs of one probe name (live and collector outputs take
// the host's name by default), whose flow ids both start at 1. Every
// table joins its rows to flows on probe and flow_id, so their union
// would mix the runs' flows up. Outputs of one run (duplicated
// collectors) or of replays of one capture have the same flows under the
// same ids.
func sameFlowIDs(ctx context.Context, conn *sql.Conn, exprs []string) error {
	if len(exprs) < 2 {
		return nil
	}
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = "SELECT probe, flow_id, interface, class, name, first_seen FROM " + e
	}
	q := "SELECT probe, flow_id, min(name), max(name) FROM (SELECT DISTINCT * FROM (" + strings.Join(parts, " UNION ALL ") +
		")) GROUP BY probe, flow_id HAVING count(*) > 1 ORDER BY probe, flow_id LIMIT 1"
	var probe, a, b string
	var id uint64
	switch err := conn.QueryRowContext(ctx, q).Scan(&probe, &id, &a, &b); {
	case err == sql.ErrNoRows:
		return nil
	case err != nil:
		return fmt.Errorf("dataset: merge flows: %w", err)
	}
	what := fmt.Sprintf("%s in one source and %s in another", a, b)
	if a == b {
		what = "two flows named " + a + " (other interfaces, classes or first packets)"
	}
	return fmt.Errorf("dataset: merge: probe %s's flow_id %d is %s: these are outputs of different runs of one probe name, whose flow ids overlap, and every table joins its rows to flows by probe and flow_id; merge outputs of one run (duplicated collectors) or replays of one capture, or give each run its own probe name (live --name, replay --probe NAME=PCAP)", probe, id, what)
}

// mergeTable writes the distinct rows of one table's sources.
func mergeTable(ctx context.Context, conn *sql.Conn, dst string, t *observe.Table, exprs []string) (Merged, error) {
	m := Merged{Name: t.Name}
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = "SELECT * FROM " + e
	}
	union := "(" + strings.Join(parts, " UNION ALL BY NAME ") + ")"
	// The columns of the rows, without the Hive partition columns the
	// sources add (their values come back from the rows themselves).
	keys := t.Partition()
	rs, err := conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+union+")")
	if err != nil {
		return m, fmt.Errorf("dataset: merge %s: %w", t.Name, err)
	}
	var cols []string
	for rs.Next() {
		var c string
		if err := rs.Scan(&c); err != nil {
			rs.Close()
			return m, fmt.Errorf("dataset: merge %s: %w", t.Name, err)
		}
		if c != "date" { // a partition column only, never a row column
			cols = append(cols, ident(c))
		}
	}
	rs.Close()
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+union).Scan(&m.Input); err != nil {
		return m, fmt.Errorf("dataset: merge %s: %w", t.Name, err)
	}
	var sel []string
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
		if !k.Date {
			continue
		}
		col := ident(k.Column)
		if k.Fallback != "" {
			col = fmt.Sprintf("coalesce(%s, %s)", col, ident(k.Fallback))
		}
		sel = append(sel, fmt.Sprintf("%s::DATE AS %s", col, ident(k.Name)))
	}
	if slices.Contains(cols, hopIndices[0]) && slices.Contains(cols, hopIndices[1]) {
		// a source written before the hop indices: its rows are NULL there
		var unplaced int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+union+" WHERE "+hopIndices[0]+" IS NULL OR "+hopIndices[1]+" IS NULL").Scan(&unplaced); err != nil {
			return m, fmt.Errorf("dataset: merge %s: %w", t.Name, err)
		}
		if unplaced > 0 {
			cols = placeHops(cols)
		}
	}
	q := fmt.Sprintf("SELECT *%s FROM (SELECT DISTINCT %s FROM %s)", prefixComma(sel), strings.Join(cols, ", "), union)
	n, err := WriteTable(ctx, conn, dst, t.Name, names, q)
	if err != nil {
		return m, err
	}
	m.Written = n
	return m, nil
}

// hopIndices are the one-way tables' hop positions (observe.OnewayKey),
// NULL in the rows of an output written before them (queries.Open).
var hopIndices = []string{ident("from_hop_index"), ident("to_hop_index")}

// placeHops returns the merge's select list of the quoted columns cols:
// those, but a one-way row's NULL hop index (its source written before the
// indices) takes the pair's index in the other sources' rows (the largest
// of its class's from_hop>to_hop rows), so that the rows two collectors,
// one of them older, wrote of the same observations are one distinct row,
// and an interval of the older run's sorts with its pair's others
// (rollups and the one-way queries order hop pairs by them). A pair no
// source places stays NULL.
//
// mergeTable applies it only to a table with rows lacking them: the
// window reads the whole table once more.
func placeHops(cols []string) []string {
	out := slices.Clone(cols)
	for i, c := range out {
		if slices.Contains(hopIndices, c) {
			out[i] = fmt.Sprintf("coalesce(%s, max(%[1]s) OVER (PARTITION BY class, from_hop, to_hop)) AS %[1]s", c)
		}
	}
	return out
}

func prefixComma(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return ", " + strings.Join(s, ", ")
}
