package queries

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// LiveTable is the name of the DuckDB table LoadRows fills with a running
// engine's latest rows of table (live_tcp_connections, ...).
func LiveTable(table string) string { return "live_" + table }

// LoadRows replaces the DuckDB table LiveTable(t.Name) of db by t's rows
// in b (rows a running engine's snapshot carries: observe.Snapshot.Recent),
// with the columns and types the table's view over its Parquet parts has
// (t.Columns), so the same SQL runs over either. The rows go through
// DuckDB's appender, never through a file; queries running meanwhile keep
// reading the previous rows (the table is swapped in one statement).
// Errors: DuckDB's, or a row type LoadRows cannot map (a programmer
// error: every table's columns are scalars).
func LoadRows(ctx context.Context, db *sql.DB, t *observe.Table, b *observe.Batch) error {
	cols := t.Columns()
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c.Name) + " " + c.Type
	}
	name := LiveTable(t.Name)
	stage := quoteIdent(name + "_stage")
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s)", stage, strings.Join(defs, ", "))); err != nil {
		return fmt.Errorf("queries: live table %s: %w", name, err)
	}
	rows := reflect.ValueOf(t.Rows(b))
	fields := columnFields(t.Row)
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", name+"_stage")
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(fields))
		for i := range rows.Len() {
			row := rows.Index(i)
			for j, f := range fields {
				vals[j] = cellValue(row.FieldByIndex(f.index), f.timestamp)
			}
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return fmt.Errorf("queries: live table %s: %w", name, err)
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * FROM %s; DROP TABLE %s", quoteIdent(name), stage, stage))
	if err != nil {
		return fmt.Errorf("queries: live table %s: %w", name, err)
	}
	return nil
}

// columnField is a row struct field that is a column.
type columnField struct {
	index     []int // path for FieldByIndex (observe.ColumnFields)
	timestamp bool  // int64 nanoseconds written as a timestamp
}

// columnFields lists the fields of a row type that observe.Table.Columns
// lists, in the same order.
func columnFields(row reflect.Type) []columnField {
	var fs []columnField
	for _, f := range observe.ColumnFields(row) {
		tag := f.Tag.Get("parquet")
		if tag == "" {
			continue
		}
		fs = append(fs, columnField{index: f.Index, timestamp: strings.Contains(tag, "timestamp(")})
	}
	return fs
}

// cellValue is the appender's value of one field: NULL for a nil
// pointer, a UTC time for a timestamp column.
func cellValue(v reflect.Value, timestamp bool) driver.Value {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if timestamp {
		return time.Unix(0, v.Int()).UTC()
	}
	return v.Interface()
}
