package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/queries"
)

// Options select what the report covers.
type Options struct {
	From, To  time.Time // capture-time range [From, To); zero: unbounded
	Activity  string    // only traffic with an address of this activity; "": all
	Location  string    // only traffic with an address of this location; "": all
	Title     string    // page title; default "tmonbench report"
	Source    string    // the output folder, shown in the header
	Generated time.Time // shown in the header (the caller's wall clock)
	MaxRows   int       // rows per table kept in the page; default 1000
	// Empty says why tables are empty (the command's, as `tmonbench
	// query` prints them): a view without a row gives its notes
	// (Table.Empty); nil: none.
	Empty queries.EmptyReasons
}

// Views are the named queries (queries/*.sql, in their wide form: every
// column, queries/wide/*.sql when there is one) the report shows as tables,
// in order, with their section titles.
var Views = []struct{ Name, Title string }{
	{"manager", "Volumes per day, activity, location and peer"},
	{"operator", "Protocols per hour"},
	{"operator-rtt", "Round-trip times per hour"},
	{"conversations", "Top conversations"},
	{"ftp-daily", "FTP transfers per day"},
	{"oneway-hourly", "One-way delay and loss per flow and hour"},
}

// Data is everything the page draws; it is embedded in the page as JSON.
type Data struct {
	Title      string            `json:"title"`
	Source     string            `json:"source"`
	Generated  string            `json:"generated"`
	Filters    map[string]string `json:"filters"`
	Series     []Series          `json:"series"`     // time series with zoom
	Histograms []Histogram       `json:"histograms"` // bars per slice
	Top        []TopN            `json:"top"`        // horizontal top-N bars
	Tables     []Table           `json:"tables"`     // the report views
}

// Empty is true when the page has no chart and no table row: the range
// and filters kept nothing of the output.
func (d *Data) Empty() bool {
	if len(d.Series)+len(d.Histograms)+len(d.Top) > 0 {
		return false
	}
	for _, t := range d.Tables {
		if t.Total > 0 {
			return false
		}
	}
	return true
}

// Chart names one chart of the page: its element id and its title (the
// first members of each chart's JSON object).
type Chart struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Series is one time-series chart: shared times, one line each.
type Series struct {
	Chart
	Unit   string  `json:"unit"`
	T      []int64 `json:"t"`       // interval starts, Unix milliseconds (UTC)
	StepMs int64   `json:"step_ms"` // interval length: the time axis runs from T[0] to the last T plus StepMs
	Lines  []Line  `json:"lines"`
}

// Line is one named line of a Series; nil values are gaps.
type Line struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values"`
}

// Histogram is one bar chart of counts per slice.
type Histogram struct {
	Chart
	Bins   []string `json:"bins"`
	Counts []uint64 `json:"counts"`
}

// TopN is one bar chart of the largest values.
type TopN struct {
	Chart
	Unit   string    `json:"unit"`
	Labels []string  `json:"labels"`
	Values []float64 `json:"values"`
}

// Table is the result of one report view.
type Table struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`  // at most MaxRows
	Total   int      `json:"total"` // rows the query returned
	Error   string   `json:"error,omitempty"`
	// Empty says why a view without a row is empty ("T is empty: reason",
	// Options.Empty), shown under its title; "" when no reason is known.
	Empty string `json:"empty,omitempty"`
}

// ErrNotPrepared: the output has no rollups or no addresses table: run
// `tmonbench rollup` first.
var ErrNotPrepared = errors.New("report: the output has no rollups (run `tmonbench rollup` first)")

// Build runs every query of the report on db (queries.Open of a prepared
// output) and returns the data of the page.
func Build(ctx context.Context, db *sql.DB, opt Options) (*Data, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer conn.Close()
	if err := checkPrepared(ctx, conn); err != nil {
		return nil, err
	}
	if err := SetFilters(ctx, conn, opt); err != nil {
		return nil, err
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = 1000
	}
	d := &Data{Title: opt.Title, Source: opt.Source, Filters: map[string]string{}}
	if d.Title == "" {
		d.Title = "tmonbench report"
	}
	if !opt.Generated.IsZero() {
		d.Generated = opt.Generated.UTC().Format(time.RFC3339)
	}
	for k, v := range filterValues(opt) {
		d.Filters[k] = v
	}
	for _, v := range Views {
		t := view(ctx, conn, v.Name, v.Title, opt.MaxRows)
		if q, err := queries.Get(v.Name); err == nil && t.Total == 0 && t.Error == "" {
			t.Empty = strings.Join(opt.Empty.Notes(ctx, conn, q.Wide), "; ")
		}
		d.Tables = append(d.Tables, t)
	}
	steps := []func(context.Context, *sql.Conn, *Data) error{traffic, onewaySeries, rttHistograms, onewayHistograms, sizeHistograms, topConversations}
	for _, step := range steps {
		if err := step(ctx, conn, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// checkPrepared fails with ErrNotPrepared without the rollups or the
// addresses table.
func checkPrepared(ctx context.Context, conn *sql.Conn) error {
	var n int
	err := conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_views() WHERE NOT internal AND view_name IN ('addresses', 'flow_counters_1m', 'flow_counters_1h', 'flow_counters_1d')`).Scan(&n)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if n < 4 {
		return ErrNotPrepared
	}
	return nil
}

// filterValues returns the set filters as variable name -> SQL literal.
func filterValues(opt Options) map[string]string {
	f := map[string]string{}
	if !opt.From.IsZero() {
		f["from"] = opt.From.UTC().Format("2006-01-02 15:04:05.999999999")
	}
	if !opt.To.IsZero() {
		f["to"] = opt.To.UTC().Format("2006-01-02 15:04:05.999999999")
	}
	if opt.Activity != "" {
		f["activity"] = opt.Activity
	}
	if opt.Location != "" {
		f["location"] = opt.Location
	}
	return f
}

// SetFilters sets (or resets to NULL) the DuckDB variables from, to,
// activity and location that the report views read, on conn.
func SetFilters(ctx context.Context, conn *sql.Conn, opt Options) error {
	f := filterValues(opt)
	for _, name := range []string{"from", "to", "activity", "location"} {
		val := "NULL"
		if v, ok := f[name]; ok {
			val = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			if name == "from" || name == "to" {
				val = "TIMESTAMP " + val
			}
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET VARIABLE \"%s\" = %s", name, val)); err != nil {
			return fmt.Errorf("report: set %s: %w", name, err)
		}
	}
	return nil
}

// view runs one named query into a Table; a failing query becomes the
// table's Error (a view over a table the output lacks).
func view(ctx context.Context, conn *sql.Conn, name, title string, maxRows int) Table {
	t := Table{Name: name, Title: title}
	q, err := queries.Get(name)
	if err != nil {
		t.Error = err.Error()
		return t
	}
	res, err := runConn(ctx, conn, q.Wide)
	if err != nil {
		t.Error = err.Error()
		return t
	}
	t.Columns, t.Total = res.Columns, len(res.Rows)
	for i, r := range res.Rows {
		if i == maxRows {
			break
		}
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = jsonValue(v, res.Types[j])
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// runConn is queries.Run on one connection (the variables are per
// connection).
func runConn(ctx context.Context, conn *sql.Conn, q string) (*queries.Result, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	res, err := queries.ReadRows(rows)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return res, nil
}

// jsonValue makes a DuckDB value JSON-friendly: times as text (dates as
// YYYY-MM-DD), big integers as text, the rest as is.
func jsonValue(v any, typ string) any {
	switch x := v.(type) {
	case time.Time:
		if typ == "DATE" {
			return x.UTC().Format("2006-01-02")
		}
		return x.UTC().Format(queries.TimeLayout)
	case *big.Int:
		return x.String()
	case []byte:
		return fmt.Sprintf("%x", x)
	}
	return v
}

// pivot turns (t, name, value) rows into a Series with one line per name;
// a name without a row at some time gets zero there.
func pivot(rows [][]any) ([]int64, []Line) {
	times := map[int64]int{}
	var ts []int64
	names := map[string]map[int64]float64{}
	var order []string
	for _, r := range rows {
		t, name, v := queries.Int64(r[0]), fmt.Sprint(r[1]), queries.Float64(r[2])
		if _, ok := times[t]; !ok {
			times[t] = 0
			ts = append(ts, t)
		}
		if names[name] == nil {
			names[name] = map[int64]float64{}
			order = append(order, name)
		}
		names[name][t] = v
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	var lines []Line
	for _, n := range order {
		l := Line{Name: n, Values: make([]*float64, len(ts))}
		for i, t := range ts {
			v := names[n][t]
			l.Values[i] = &v
		}
		lines = append(lines, l)
	}
	return ts, lines
}
