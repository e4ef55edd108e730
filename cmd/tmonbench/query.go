package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

func cmdQuery(fs *pflag.FlagSet) (string, runFunc) {
	out := readOutFlag(fs)
	format := fs.StringP("format", "f", "table", "output `FORMAT`: "+strings.Join(queries.Formats, ", "))
	sqls := fs.StringArray("sql", nil, "run this `SQL` statement instead of a named query (views: one per table); repeatable, each printed in turn (table, csv: a blank line between; json: one array each)")
	list := fs.Bool("list", false, "list the named queries")
	wide := fs.Bool("wide", false, "a named query: every column (queries/wide/NAME.sql) instead of those that fit 120 columns")
	limit := fs.Int("limit", 40, "table format: print at most `N` rows and say how many more (0: all)")
	width := fs.Int("width", 0, "table format: fit `N` columns, cutting long cells with … (default: the terminal's; piped: $COLUMNS, else 120; 0: no limit)")
	local := fs.Bool("local-time", false, "print times in the local time zone (TZ) with their offset instead of UTC")
	schema := fs.Bool("schema", false, "print the reference of every table, column (type, unit, meaning), event kind and PDU type (docs/tables.md); with TABLE names, of those tables only")
	return queryUsage(), func(args []string, stdout, stderr io.Writer) error {
		switch {
		case *limit < 0:
			return usageErr("query: --limit %d: want a number of rows (0: all)", *limit)
		case *width < 0:
			return usageErr("query: --width %d: want a number of columns (0: no limit)", *width)
		case *list && (fs.NArg() > 0 || len(*sqls) > 0), *schema && len(*sqls) > 0:
			return usageErr("query: --list takes no query NAME or --sql, --schema only TABLE names")
		case *schema && *list:
			return usageErr("query: --schema or --list, not both")
		}
		if *schema {
			return writeSchema(stdout, fs.Args())
		}
		if *list {
			for _, n := range queries.List() {
				fmt.Fprintf(stdout, "%-16s %s%s\n", n.Name, n.Description, wideMark(n))
			}
			return nil
		}
		texts := *sqls
		switch {
		case len(texts) > 0 && fs.NArg() > 0:
			return usageErr("query: give a query NAME or --sql, not both")
		case len(texts) > 0 && *wide:
			return usageErr("query: --wide goes with a query NAME, not --sql")
		case len(texts) > 0:
			for _, q := range texts {
				if strings.Trim(q, " \t\r\n;") == "" {
					return usageErr("query: --sql %q holds no SQL statement", q)
				}
			}
		case fs.NArg() == 1:
			n, err := queries.Get(fs.Arg(0))
			if err != nil {
				return usageErr("query: %v (tmonbench query --list)", err)
			}
			texts = []string{n.SQL}
			if *wide && !n.HasWide() { // its columns all fit: --wide would print the same
				return usageErr("query: %s has no wide form, its columns fit as they are (--wide: the queries marked [--wide] in tmonbench query --list)", n.Name)
			} else if *wide {
				texts = []string{n.Wide}
			}
		default:
			return usageErr("query: want one query NAME or --sql \"SELECT ...\" (tmonbench query --list)")
		}
		if !slices.Contains(queries.Formats, *format) {
			return usageErr("query: --format %q: want %s", *format, strings.Join(queries.Formats, ", "))
		}
		opt := queries.Options{MaxRows: max(*limit, 0), Width: *width}
		if !fs.Changed("width") {
			opt.Width = terminalWidth(stdout)
		}
		if *local {
			opt.Location = time.Local
			if tz, set := os.LookupEnv("TZ"); localTimeWarning(tz, set, time.Local) != "" {
				warnf(stderr, "query", "%s", localTimeWarning(tz, set, time.Local))
			}
		}
		st := queries.State(*out)
		noteAbandoned(stderr, *out, st)
		db, err := queries.Open(*out)
		if err != nil {
			return collectorHint(err, *out)
		}
		defer db.Close()
		// a running run is said once: by the note of an empty table whose
		// rows come later (it names the table and when), else in general
		if saidRunning := noteEmpty(stderr, db, emptyReasons(db, *out), texts, st); st.Running && !saidRunning {
			fmt.Fprintf(stderr, "tmonbench query: the %s writing %s is still running (pid %d, started %s): these are the rows written so far "+
				"(%s; its flow_counters rows as each interval closes)\n",
				queries.RunWhat(st.Mode), *out, st.PID, st.Started.UTC().Format(time.RFC3339), queries.FlowRowWhen)
		}
		if n, err := queries.Get(fs.Arg(0)); err == nil && n.NeedsRollup && len(*sqls) == 0 {
			noteRollupsBehind(stderr, "query", *out)
		}
		for _, q := range *sqls { // every --sql is checked before the first runs
			if err := checkSQL(db, q); err != nil {
				return err
			}
		}
		for i, q := range texts {
			if i > 0 && *format != "json" { // json: one array a result, a stream jq reads
				fmt.Fprintln(stdout)
			}
			// rows are written as they come (the table keeps the --limit it prints)
			err := queries.FormatQuery(context.Background(), stdout, db, q, *format, opt)
			if err == nil {
				continue
			}
			if n, gerr := queries.Get(fs.Arg(0)); gerr == nil && n.NeedsRollup && len(*sqls) == 0 {
				if strings.Contains(err.Error(), "does not exist") { // one line, not DuckDB's catalog error
					return fmt.Errorf("query %s reads the rollups and the addresses table, which %s does not hold yet: run `tmonbench rollup --out %s` first", fs.Arg(0), *out, *out)
				}
				return fmt.Errorf("%w (this query reads the rollups and the addresses table: run `tmonbench rollup --out %s` first)", err, *out)
			}
			return err
		}
		return nil
	}
}

// checkSQL refuses (usage error) a --sql holding several statements, whose
// last result only DuckDB would print, or none.
func checkSQL(db *sql.DB, q string) error {
	err := queries.Check(context.Background(), db, q)
	switch {
	case errors.Is(err, queries.ErrSeveralStatements):
		return usageErr("query: --sql %q holds several statements: give one per --sql (repeat the flag: each result is printed in turn)", q)
	case errors.Is(err, queries.ErrEmptyQuery):
		return usageErr("query: --sql %q holds no SQL statement", q)
	}
	return err
}

// pipedWidth is the table width when stdout is not a terminal and
// $COLUMNS is not set: the width every named query fits.
const pipedWidth = 120

// terminalWidth is the width of w when it is a terminal, else $COLUMNS,
// else pipedWidth (a table of long cells piped to less or grep stays
// readable; --width 0 or --format csv print every cell whole).
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return pipedWidth
}

// queryUsage is the query command's help before its flags: named queries
// and the tables (views) a query can read.
func queryUsage() string {
	var w strings.Builder
	fmt.Fprintf(&w, `Usage: tmonbench query [flags] NAME | --sql "SELECT ..." [--sql ...] | --list | --schema [TABLE...]

Runs DuckDB over the Parquet tables of a replay or collector (--out). Stored
times are UTC (DuckDB runs with TimeZone=UTC); --local-time prints them in TZ.
Export with SQL: --sql "COPY (SELECT ...) TO 'flows.csv' (HEADER)" (or .parquet,
.json). One statement per --sql. The table format fits the terminal, or when
piped $COLUMNS, else 120 columns: the last column, when text (an event's
message), wraps onto more lines at spaces (as wide as its longest word
while other columns can be cut); other long text cells are shortened with
…: names (probe) in the middle, never to the same text for two names,
others at the end, never inside an IP address or address:port; address columns
(client, server, flow names) never: their long IPv6 addresses are elided in
the middle ([2001…2e3e]:49185) with a legend below the table; if still too
wide, the last columns are
left out (at most a third, named below the table), else each row prints as a
block of "column │ value" lines. --width 0 prints every cell whole, as
--format csv and json always do.

Named queries:
`)
	for _, n := range queries.List() {
		fmt.Fprintf(&w, "  %-16s %s%s\n", n.Name, n.Description, wideMark(n))
	}
	fmt.Fprintf(&w, "  [--wide]: these fit 120 columns; --wide prints every column (queries/wide/NAME.sql)\n")
	fmt.Fprintf(&w, "\nTables (tmonbench query --schema describes every column):\n")
	for _, line := range tableLines() {
		fmt.Fprintf(&w, "  %s\n", line)
	}
	return strings.TrimSuffix(w.String(), "\n")
}

// wideMark marks a named query that has a wide form.
func wideMark(n queries.Named) string {
	if n.HasWide() {
		return " [--wide]"
	}
	return ""
}

// tableLines lists every table of the reference (docs/tables.md): those
// every run writes (observe.Tables), then the rollups and packet_index
// (observe.DerivedTables: with addresses), one family a line.
func tableLines() []string {
	var lines []string
	line := ""
	for i, name := range observe.TableNames() {
		if i > 0 && len(line)+len(name) > 72 {
			lines, line = append(lines, line+","), ""
		} else if i > 0 {
			line += ", "
		}
		line += name
	}
	lines = append(lines, line)
	for _, t := range observe.DerivedTables {
		lines = append(lines, strings.Join(t.Names, ", "))
	}
	return lines
}
