package queries

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// ManifestName is the file engine/store writes at the top of every run
// folder (store.ManifestName; repeated here because queries/ imports no
// engine package but observe).
const ManifestName = "run.json"

// ErrNoOutput: the folder given to Open holds neither run.json nor any
// table folder with Parquet files.
var ErrNoOutput = errors.New("queries: no tmonbench output")

// tableName is what a folder name must look like to become a view.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open returns an in-memory DuckDB database with one view per table folder
// of outDir (each sub-folder holding at least one *.parquet file), named
// like the folder:
//
//	CREATE VIEW flows AS SELECT * FROM read_parquet('<outDir>/flows/*.parquet', union_by_name = true)
//
// Paths are absolute and quoted (a ' doubles). If the path holds a glob
// character (* ? [ {), the view lists the part files present at Open time
// instead of a glob. While a replay is still writing outDir, the views read
// what it has written so far, from its staging folder (see State). The
// caller closes the DB.
//
// Every connection runs with DuckDB's TimeZone set to UTC, whatever the
// TZ of the process: the stored instants are UTC (TIMESTAMP_NS columns
// holding nanoseconds since the epoch in UTC), so `ts::TIMESTAMPTZ`,
// `AT TIME ZONE` and date_trunc on a TIMESTAMPTZ give the same answer on
// every machine (see TimeZone).
//
// Errors: ErrNoOutput wrapped as "no tmonbench output in DIR (run
// `tmonbench replay` first)" when outDir is missing or holds neither
// run.json nor a table folder, or saying outDir is a file; or the DuckDB
// error creating a view.
func Open(outDir string) (*sql.DB, error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	st := State(abs)
	db, err := openDir(outDir, st.Dir)
	for try := 0; err != nil && (st.Running || st.Finishing) && try < 5; try++ {
		// A running replay moving its tables in place as it ends: the
		// files read a moment ago moved; read where they are now.
		retryWait()
		st = State(abs)
		db, err = openDir(outDir, st.Dir)
	}
	return db, err
}

// retryWait is Open's pause before reading a finishing run again (a test
// moves the tables in place instead).
var retryWait = func() { time.Sleep(20 * time.Millisecond) }

// openDir is Open over the tables of abs (the output folder, or a running
// replay's staging folder inside it).
func openDir(outDir, abs string) (*sql.DB, error) {
	noOutput := fmt.Errorf("%w in %s (run `tmonbench replay` first)", ErrNoOutput, outDir)
	fi, err := os.Stat(abs)
	if err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is a file; --out names the folder replay, live or collector wrote", ErrNoOutput, outDir)
	}
	if err != nil {
		return nil, noOutput
	}
	tables, layouts, err := tableDirs(abs) // each folder read once
	if err != nil {
		return nil, fmt.Errorf("queries: read %s: %w", outDir, err)
	}
	if len(tables) == 0 {
		if _, err := os.Stat(filepath.Join(abs, ManifestName)); err != nil {
			return nil, noOutput
		}
	}

	conn, err := duckdb.NewConnector("", initConn)
	if err != nil {
		return nil, fmt.Errorf("queries: open duckdb: %w", err)
	}
	db := sql.OpenDB(conn)
	froms := make(map[string]string, len(tables))
	for _, t := range tables {
		froms[t] = readParquet(filepath.Join(abs, t), layouts[t])
		stmt := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM %s", quoteIdent(t), froms[t])
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("queries: create view %s: %w", t, err)
		}
	}
	if err := addMissingColumns(db, tables, froms); err != nil {
		db.Close()
		return nil, err
	}
	if err := createMacros(db, tables, []string{ProtocolNameMacro(), IP6HexMacro, HostPortMacro, ReportFilterMacros, ReportOnewayFlowMacro, PercentMacro, OnewayRowsMacro, OnewayLossMacro, HopPairMacro, HopOrderMacro}); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// addMissingColumns adds to the view of each table t of tables (froms[t]:
// its read_parquet(...) expression) every column of t's current schema
// (observe.Tables, and the derived tables of observe.DerivedTables:
// rollups, packet_index, addresses) that none of its files holds, written
// before the column was added (schema changes add columns), as a NULL of
// its type, so the named queries that read it still run over such an
// output (oneway's from_hop_index: the old order then). The Hive partition
// key date is the folders', never added.
//
// The views' columns come from DuckDB's catalog in one query
// (duckdb_columns(): what CREATE VIEW bound, the files' footers read
// once), not from a DESCRIBE per view, which binds the view again and
// reads every footer a second time (BenchmarkOpen: 78 of Open's 220 ms
// over the lab's 30 views). Only a view that lacks a column is created
// again.
func addMissingColumns(db *sql.DB, tables []string, froms map[string]string) error {
	rows, err := db.Query("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'")
	if err != nil {
		return fmt.Errorf("queries: read the views' columns: %w", err)
	}
	have := map[string]map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("queries: read the views' columns: %w", err)
		}
		if have[t] == nil {
			have[t] = map[string]bool{}
		}
		have[t][c] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("queries: read the views' columns: %w", err)
	}
	for _, t := range tables {
		var added []string
		for _, c := range schemaColumns(t) {
			if !have[t][c.Name] && c.Name != "date" {
				added = append(added, fmt.Sprintf("NULL::%s AS %s", c.Type, quoteIdent(c.Name)))
			}
		}
		if len(added) == 0 {
			continue
		}
		stmt := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT *, %s FROM %s", quoteIdent(t), strings.Join(added, ", "), froms[t])
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("queries: create view %s: %w", t, err)
		}
	}
	return nil
}

// schemaColumns returns the columns the current schema gives table t, or
// nil for a table it does not know.
func schemaColumns(t string) []observe.Column {
	if tab := observe.TableNamed(t); tab != nil {
		return tab.Columns()
	}
	for _, d := range observe.DerivedTables {
		if slices.Contains(d.Names, t) {
			return d.Columns
		}
	}
	return nil
}

// createMacros runs each macro statement of stmts on db, but for those
// that read a table (macroTables) the output lacks, of tables: DuckDB binds
// a macro's subquery when it creates the macro, so such a statement fails
// (report_oneway_flow over an output without the addresses table, which
// only `tmonbench rollup` writes). An output lacking it opens without
// the macro. Its error names the first macro of the statement.
func createMacros(db *sql.DB, tables, stmts []string) error {
	for _, stmt := range stmts {
		if slices.ContainsFunc(macroTables(stmt), func(t string) bool { return !slices.Contains(tables, t) }) {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			name := "?"
			if m := macroName.FindStringSubmatch(stmt); m != nil {
				name = m[1]
			}
			return fmt.Errorf("queries: create macro %s: %w", name, err)
		}
	}
	return nil
}

// macroName finds a macro statement's (first) macro name.
var macroName = regexp.MustCompile(`(?i)\bMACRO\s+([a-z_][a-z0-9_]*)`)

// tableRef finds the names after FROM and JOIN: a table, unless a "("
// follows (a table function: read_parquet(...), range(...)).
var tableRef = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)\b(\s*\()?`)

// macroTables returns the tables a macro statement reads (FROM or JOIN
// followed by a name, not by a table function's "("), each once, in
// order: the tables createMacros needs in the output. The statements are
// this package's own: no FROM in a string literal, no common table
// expression.
func macroTables(stmt string) []string {
	var out []string
	for _, m := range tableRef.FindAllStringSubmatch(stmt, -1) {
		if m[2] == "" && !slices.Contains(out, strings.ToLower(m[1])) {
			out = append(out, strings.ToLower(m[1]))
		}
	}
	return out
}

// ReportFilterMacros is the DuckDB statement that defines the SQL macros
// of the report's filters (the DuckDB variables from, to, activity and
// location that `tmonbench report` sets; NULL: no filter) every
// connection of Open has, so that the named queries and the report's
// charts apply one rule:
//
//   - report_range(t): capture time t is within [from, to).
//   - report_activity(a, b), report_location(a, b): one of a traffic's
//     two addresses (their addresses.activity or .location, NULL for an
//     address without a row) has the activity or location asked for.
//   - report_oneway_flow(class, flow): ReportOnewayFlowMacro.
const ReportFilterMacros = `CREATE OR REPLACE MACRO report_range(t) AS
  (getvariable('from') IS NULL OR t >= getvariable('from')::TIMESTAMP)
  AND (getvariable('to') IS NULL OR t < getvariable('to')::TIMESTAMP);
CREATE OR REPLACE MACRO report_activity(a, b) AS getvariable('activity') IS NULL OR getvariable('activity') IN (a, b);
CREATE OR REPLACE MACRO report_location(a, b) AS getvariable('location') IS NULL OR getvariable('location') IN (a, b)`

// ReportOnewayFlowMacro defines report_oneway_flow(class, flow), the
// report's activity and location filter on a one-way row (see
// ReportFilterMacros): the one-way flow called flow of class class is kept
// when an address of one of the probe flows of that class and name (the
// collector names both with collector.FlowName) passes report_activity
// and report_location. Open defines it over an output with the flows and
// addresses tables (`tmonbench rollup` writes addresses) only: DuckDB
// reads the tables a macro's subquery names when it creates the macro.
const ReportOnewayFlowMacro = `CREATE OR REPLACE MACRO report_oneway_flow(oneway_class, oneway_flow) AS
  getvariable('activity') IS NULL AND getvariable('location') IS NULL OR EXISTS (
    SELECT 1 FROM flows f
    LEFT JOIN addresses a ON a.address = f.src_addr
    LEFT JOIN addresses b ON b.address = f.dst_addr
    WHERE f.class = oneway_class AND f.name = oneway_flow
      AND report_activity(a.activity, b.activity) AND report_location(a.location, b.location))`

// IP6HexMacro is the DuckDB statement that defines the SQL macro
// ip6_hex(a) every connection of Open has: IPv6 address text a as the
// tables write it (RFC 5952: lower case, "::" for zeros) spelled out as
// its 32 hexadecimal digits, so that a network's addresses are a range of
// strings (the table filters' `net 2001:db8::/32`, PcapSQL). NULL for an
// IPv4 address, and for the dotted tail of an IPv4-embedded IPv6 address
// (Go writes only IPv4-mapped ones so, and the tables unmap those).
const IP6HexMacro = `CREATE OR REPLACE MACRO ip6_groups(s) AS CASE WHEN s = '' THEN []::VARCHAR[] ELSE string_split(s, ':') END;
CREATE OR REPLACE MACRO ip6_hex(a) AS CASE WHEN NOT contains(a, ':') OR contains(a, '.') THEN NULL
 ELSE array_to_string(list_transform(list_concat(ip6_groups(split_part(a, '::', 1)),
  list_transform(range(CASE WHEN contains(a, '::') THEN 8 - len(ip6_groups(split_part(a, '::', 1))) - len(ip6_groups(split_part(a, '::', 2))) ELSE 0 END), x -> '0'),
  ip6_groups(split_part(a, '::', 2))), g -> lpad(g, 4, '0')), '') END`

// HostPortMacro is the DuckDB statement that defines the SQL macro
// host_port(addr, port) every connection of Open has: an endpoint as the
// flows' names write it, [addr]:port for an IPv6 address (RFC 5952 §6:
// 2001:db8::1:80 would read as one address), addr:port otherwise.
const HostPortMacro = `CREATE OR REPLACE MACRO host_port(a, p) AS CASE WHEN contains(a, ':') THEN '[' || a || ']' ELSE a END || ':' || p`

// PercentMacro is the DuckDB statement that defines the SQL macro
// percent(part, whole) every connection of Open has: part in % of whole,
// 100.0 * part / whole, NULL where whole is 0 (no packet sent: no loss
// ratio). The one rule of the named queries' and the report's loss_pct
// and reordered_pct.
const PercentMacro = `CREATE OR REPLACE MACRO percent(part, whole) AS 100.0 * part / nullif(whole, 0)`

// HopPairMacro is the DuckDB statement that defines the SQL macro
// hop_pair(from_hop, to_hop) every connection of Open has: a one-way hop
// pair as the narrow one-way queries show it, "A>B" (their hops column:
// oneway, oneway-hourly, ipdv, loss-pattern).
const HopPairMacro = `CREATE OR REPLACE MACRO hop_pair(from_hop, to_hop) AS from_hop || '>' || to_hop`

// HopOrderMacro is the DuckDB statement that defines the SQL macro
// hop_order(from_hop, to_hop, from_hop_index, to_hop_index) every
// connection of Open has: the sort key of a one-way hop pair in path
// order (from_hop_index, to_hop_index: the hops' positions in the class's
// oneway.hops, design 4.3): the segments from the first hop on
// (to_hop_index - from_hop_index, then from_hop_index), then the longer
// spans, end to end last; then the hops' names, the only order of pairs
// written before the indices (NULL: after the others, as NULLS LAST
// sorts them). A STRUCT, which DuckDB orders field by field. The one rule
// of the one-way queries' ORDER BY and the report's one-way charts.
const HopOrderMacro = `CREATE OR REPLACE MACRO hop_order(from_hop, to_hop, from_hop_index, to_hop_index) AS
  {'span': to_hop_index - from_hop_index, 'from_index': from_hop_index, 'from_hop': from_hop, 'to_hop': to_hop}`

// OnewayRowsMacro is the DuckDB statement that defines the SQL table
// macro oneway_rows(t) every connection of Open has: the rows of one-way
// table t (oneway_loss, oneway_latency, oneway_delays or a rollup of
// them, named as a table: query_table) as the one-way queries read them,
// each once: a row's NULL from_hop_index or to_hop_index (its file
// written before those columns) takes its pair's, the largest of t's
// rows of the same class, from_hop and to_hop (as tmonbench merge places
// them now: queries/dataset placeHops), and rows then alike are one
// (SELECT DISTINCT). An output merged before merge placed them holds both
// shapes of a pair's rows, NULL indices and the positions, the same
// observations twice when its sources were two collectors of them: the
// one-way queries listed each pair twice, in path order then
// alphabetically (the NULLs last), and counted such rows twice.
const OnewayRowsMacro = `CREATE OR REPLACE MACRO oneway_rows(t) AS TABLE
  SELECT DISTINCT * REPLACE (coalesce(from_hop_index, max(from_hop_index) OVER pair) AS from_hop_index,
    coalesce(to_hop_index, max(to_hop_index) OVER pair) AS to_hop_index)
  FROM query_table(t)
  WINDOW pair AS (PARTITION BY class, from_hop, to_hop)`

// OnewayLossMacro is the DuckDB statement that defines the SQL table
// macro oneway_loss_row(t) every connection of Open has: the rows of t,
// oneway_loss or one of its rollups (oneway_loss_1h, named as a table,
// not a string: query_table), each once (oneway_rows), as the one-way
// queries show them: class,
// flow_id, flow, from_hop, to_hop, from_hop_index, to_hop_index,
// interval_start, sent, delivered, lost,
// missed, dropped, duplicates and loss_pct (RFC 7680: lost in % of sent,
// 3 decimals, NULL when none was sent). The one place the one-way loss
// columns and their loss ratio are chosen for wide/oneway.sql (per
// interval) and wide/oneway-hourly.sql (per hour).
const OnewayLossMacro = `CREATE OR REPLACE MACRO oneway_loss_row(t) AS TABLE
  SELECT class, flow_id, flow, from_hop, to_hop, from_hop_index, to_hop_index, interval_start,
    sent, delivered, lost, missed, dropped, duplicates, round(percent(lost, sent), 3) AS loss_pct
  FROM oneway_rows(t)`

// ProtocolNameMacro is the DuckDB statement that defines the SQL macro
// protocol_name(p) every connection of Open has: the name of IP protocol
// number p as the tables write it (observe.ProtocolName: 'igmp', 'icmp6',
// '4' for one without a name), for queries' protocol columns.
func ProtocolNameMacro() string {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE MACRO protocol_name(p) AS CASE p")
	observe.ProtocolNames(func(p uint8, name string) {
		fmt.Fprintf(&b, " WHEN %d THEN '%s'", p, name)
	})
	b.WriteString(" ELSE CAST(p AS VARCHAR) END")
	return b.String()
}

// TimeZone is the DuckDB TimeZone every connection of Open runs with: the
// stored instants are UTC.
const TimeZone = "UTC"

// initConn sets up each new DuckDB connection.
func initConn(c driver.ExecerContext) error {
	_, err := c.ExecContext(context.Background(), "SET TimeZone = '"+TimeZone+"'", nil)
	return err
}

// tableDirs reads the sub-folders of dir that look like tables and hold
// at least one *.parquet file, each once (layoutOf): their names sorted,
// and each one's layout.
func tableDirs(dir string) ([]string, map[string]tableLayout, error) {
	ents, err := readDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	layouts := map[string]tableLayout{}
	for _, e := range ents {
		if !e.IsDir() || !tableName.MatchString(e.Name()) {
			continue
		}
		l, err := layoutOf(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		if len(l.files) > 0 {
			names = append(names, e.Name())
			layouts[e.Name()] = l
		}
	}
	sort.Strings(names)
	return names, layouts, nil
}

// readDir is os.ReadDir (a test counts the folders Open reads with it).
var readDir = os.ReadDir

// tableLayout is how a table folder lays its parts out, read in one walk
// of its folders (layoutOf): Open read each table's partition folders
// three times (its parts, their depths for the glob, and again with the
// keys for the Hive options).
type tableLayout struct {
	files  []string // the visible *.parquet files, in the folder (flat: before schema version 2) or its Hive partition folders key=value/..., sorted (engine/store's hidden .tmp files are not among them)
	depths []int    // the depths below the folder (0: itself, 1: a key=value folder, ...) of the folders holding parts, in order
	keys   []string // the Hive partition keys, outermost first (following the first key=value folder at each level); nil flat
}

// layoutOf reads the table folder dir and its partition folders, each
// once.
func layoutOf(dir string) (tableLayout, error) {
	var l tableLayout
	var walk func(dir string, d int, first bool) error
	walk = func(dir string, d int, first bool) error {
		ents, err := readDir(dir)
		if err != nil {
			return err
		}
		parts := false
		for _, e := range ents {
			n := e.Name()
			switch {
			case strings.HasPrefix(n, "."):
			case e.IsDir() && strings.Contains(n, "="):
				k, _, _ := strings.Cut(n, "=")
				if first && len(l.keys) == d {
					l.keys = append(l.keys, k)
					if err := walk(filepath.Join(dir, n), d+1, true); err != nil {
						return err
					}
					continue
				}
				if err := walk(filepath.Join(dir, n), d+1, false); err != nil {
					return err
				}
			case e.Type().IsRegular() && strings.HasSuffix(n, ".parquet"):
				l.files = append(l.files, filepath.Join(dir, n))
				if !parts {
					parts = true
					l.depths = append(l.depths, d)
				}
			}
		}
		return nil
	}
	if err := walk(dir, 0, true); err != nil {
		return tableLayout{}, err
	}
	sort.Strings(l.files)
	slices.Sort(l.depths)
	l.depths = slices.Compact(l.depths)
	return l, nil
}

// readParquet is the read_parquet(...) expression of the table folder
// dir laid out as l, as Open's views read it.
//
// Its first argument is a quoted glob, or a list of quoted files when
// the path has glob characters. A table whose parts lie at several
// depths (flat parts of a run before schema version 2 beside the
// date=…/probe=… folders of a later one appending to the same output, or
// the reverse) gets a list of globs, one per depth, and no Hive
// partitioning: DuckDB refuses to read partitions of several depths as
// one ("Hive partition mismatch"), and one glob read only the
// partitioned parts. Such a view lacks the date column, which only the
// folders' names hold.
//
// A Hive-partitioned table gets hive_partitioning with the keys typed
// (date a DATE, every other key text, so that a probe named 42 stays a
// name).
func readParquet(dir string, l tableLayout) string {
	var src string
	switch {
	case strings.ContainsAny(dir, "*?[]{}"):
		quoted := make([]string, len(l.files))
		for i, f := range l.files {
			quoted[i] = quoteString(filepath.ToSlash(f))
		}
		src = "[" + strings.Join(quoted, ", ") + "]"
	case len(l.depths) > 1:
		globs := make([]string, len(l.depths))
		for i, d := range l.depths {
			globs[i] = quoteString(filepath.ToSlash(filepath.Join(dir, strings.Repeat("*/", d)+"*.parquet")))
		}
		src = "[" + strings.Join(globs, ", ") + "]"
	default:
		src = quoteString(filepath.ToSlash(filepath.Join(dir, strings.Repeat("*/", len(l.keys))+"*.parquet")))
	}
	hive := ""
	if len(l.keys) > 0 && len(l.depths) <= 1 {
		types := make([]string, len(l.keys))
		for i, k := range l.keys {
			typ := "VARCHAR"
			if k == "date" {
				typ = "DATE"
			}
			types[i] = fmt.Sprintf("%s: %s", quoteString(k), typ)
		}
		hive = ", hive_partitioning = true, hive_types = {" + strings.Join(types, ", ") + "}"
	}
	return fmt.Sprintf("read_parquet(%s, union_by_name = true%s)", src, hive)
}

// TableSource returns the read_parquet(...) expression of one table folder
// of outDir as Open's views read it (flat or Hive-partitioned), for queries
// over several outputs (tmonbench merge).
func TableSource(outDir, table string) (string, error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", fmt.Errorf("queries: %w", err)
	}
	dir := filepath.Join(abs, table)
	l, err := layoutOf(dir)
	if err != nil && strings.ContainsAny(dir, "*?[]{}") {
		return "", fmt.Errorf("queries: read %s: %w", dir, err)
	}
	// a folder not there (yet) is DuckDB's to say: "No files found"
	return readParquet(dir, l), nil
}

// Tables returns the table folders of outDir that hold Parquet files,
// sorted.
func Tables(outDir string) ([]string, error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	tables, _, err := tableDirs(abs)
	return tables, err
}

// quoteString makes s an SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent makes s an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
