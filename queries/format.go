package queries

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// TimeLayout prints timestamps in every format: RFC 3339 in UTC with all
// nine fraction digits, e.g. 2023-11-14T22:13:20.123456789Z. A column of
// type TIMESTAMP_MS prints three (TimeLayoutMS) and TIMESTAMP_S none
// (TimeLayoutS): a query shortens its times with
// `date_trunc('millisecond', ts)::TIMESTAMP_MS` (a bare cast of a TIMESTAMP_NS rounds).
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// TimeLayoutMS prints TIMESTAMP_MS values, TimeLayoutS TIMESTAMP_S values.
const (
	TimeLayoutMS = "2006-01-02T15:04:05.000Z07:00"
	TimeLayoutS  = "2006-01-02T15:04:05Z07:00"
)

// Formats lists the names Format accepts (--format).
var Formats = []string{"table", "csv", "json"}

// ErrFormat: Format was given a name not in Formats.
var ErrFormat = errors.New("queries: unknown format")

// Options tune how FormatOptions prints a Result. The zero Options print
// every row, as wide as it is, times in UTC.
type Options struct {
	// Location is the time zone times print in (RFC 3339 with its offset,
	// `--local-time`); nil prints UTC with a Z.
	Location *time.Location
	// Width is the terminal width in columns for the table format: long
	// text cells are shortened (… in the middle of names, distinct names
	// kept distinct; at the end of text with an address) so the table
	// fits, never inside an IP
	// address or address:port, and columns of addresses (client, server,
	// flow names) never, though their long IPv6 addresses are elided in
	// the middle, with a legend under the table, when the table would not
	// fit whole (addrshort.go); a table still too wide leaves out its last
	// columns (at most a third, named on a last line), and beyond that
	// prints each row vertically, one "column | value" line per column
	// (like psql's \x). 0: no limit.
	Width int
	// MaxRows is the most rows the table format prints; a last line says
	// how many more there are. 0: every row. CSV and JSON print every row.
	MaxRows int
}

// Format writes res to w in the named format with the zero Options.
func Format(w io.Writer, res *Result, format string) error {
	return FormatOptions(w, res, format, Options{})
}

// FormatOptions writes res to w in the named format: "table"
// (FormatTable), "csv" (FormatCSV) or "json" (FormatJSON), tuned by o.
// Errors: ErrFormat, or w's error.
func FormatOptions(w io.Writer, res *Result, format string, o Options) error {
	switch format {
	case "table":
		return formatTable(w, res, o)
	case "csv":
		return formatCSV(w, res, printer{o.Location})
	case "json":
		return formatJSON(w, res, printer{o.Location})
	}
	return fmt.Errorf("%w %q (want %s)", ErrFormat, format, strings.Join(Formats, ", "))
}

// printer prints values with times in loc (nil: UTC).
type printer struct{ loc *time.Location }

// FormatCSV writes res as RFC 4180 CSV (encoding/csv): a header line of
// column names, then one line per row. NULL is an empty field; times use
// TimeLayout; floats are printed in the shortest form that reads back
// exactly. Errors are w's.
func FormatCSV(w io.Writer, res *Result) error { return formatCSV(w, res, printer{}) }

func formatCSV(w io.Writer, res *Result, p printer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.Columns); err != nil {
		return err
	}
	rec := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			rec[i] = p.text(v, res.Types[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// FormatJSON writes res as one JSON array holding one object per row, keys
// in column order, one row per line:
//
//	[
//	  {"protocol":"tcp","flows":2,"first_seen":"2023-11-14T22:13:20.123456789Z"},
//	  ...
//	]
//
// Numbers stay numbers (HUGEINT and DECIMAL too, digits exact), NULL, NaN
// and infinities are null, times are TimeLayout strings, nested values
// (LIST, STRUCT, MAP) are arrays and objects. Errors are w's or a value
// json cannot encode.
func FormatJSON(w io.Writer, res *Result) error { return formatJSON(w, res, printer{}) }

func formatJSON(w io.Writer, res *Result, p printer) error {
	var buf bytes.Buffer
	j := jsonRows{p: p, w: &buf}
	buf.WriteString("[")
	for _, row := range res.Rows {
		if err := j.row(res, row); err != nil {
			return err
		}
	}
	if len(res.Rows) > 0 {
		buf.WriteString("\n")
	}
	buf.WriteString("]\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonRows writes the rows of the JSON format, one object a line, to w
// (the caller writes the brackets around them).
type jsonRows struct {
	p   printer
	w   interface{ WriteString(string) (int, error) }
	enc *json.Encoder
	buf bytes.Buffer
	n   int // rows written
}

// row writes one row of res's columns.
func (j *jsonRows) row(res *Result, row []any) error {
	if j.enc == nil {
		j.enc = json.NewEncoder(&j.buf)
		j.enc.SetEscapeHTML(false)
	}
	put := func(v any) error {
		if err := j.enc.Encode(v); err != nil {
			return err
		}
		j.buf.Truncate(j.buf.Len() - 1) // Encode's newline
		return nil
	}
	j.buf.Reset()
	if j.n > 0 {
		j.buf.WriteString(",")
	}
	j.buf.WriteString("\n  {")
	for i, v := range row {
		if i > 0 {
			j.buf.WriteString(",")
		}
		if err := put(res.Columns[i]); err != nil {
			return err
		}
		j.buf.WriteString(":")
		if err := put(j.p.jsonValue(v, res.Types[i])); err != nil {
			return fmt.Errorf("queries: column %s: %w", res.Columns[i], err)
		}
	}
	j.buf.WriteString("}")
	j.n++
	_, err := j.w.WriteString(j.buf.String())
	return err
}

// text is the printed form of one value of DuckDB type typ, times in UTC;
// NULL is "".
func text(v any, typ string) string { return printer{}.text(v, typ) }

// text is the printed form of one value of DuckDB type typ; NULL is "".
func (p printer) text(v any, typ string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		return p.formatTime(v, typ)
	case float64:
		return formatFloat(v, 64)
	case float32:
		return formatFloat(float64(v), 32)
	case []byte:
		return formatBytes(v, typ)
	case *big.Int:
		return v.String()
	case duckdb.Decimal:
		return v.String()
	case duckdb.Interval:
		return formatInterval(v)
	case bool, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(v)
	case []any, map[string]any, duckdb.Map, duckdb.Union:
		b, err := json.Marshal(p.jsonValue(v, ""))
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// jsonValue converts one value for encoding/json.
func (p printer) jsonValue(v any, typ string) any {
	switch v := v.(type) {
	case time.Time:
		return p.formatTime(v, typ)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil
		}
		return v
	case []byte:
		return formatBytes(v, typ)
	case *big.Int:
		return json.Number(v.String())
	case duckdb.Decimal:
		return json.Number(v.String())
	case duckdb.Interval:
		return formatInterval(v)
	case duckdb.Union:
		return map[string]any{v.Tag: p.jsonValue(v.Value, "")}
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = p.jsonValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = p.jsonValue(e, "")
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[p.text(k, "")] = p.jsonValue(e, "")
		}
		return out
	}
	return v
}

// formatTime prints DATE and TIME columns as such, TIMESTAMP_MS and
// TIMESTAMP_S with TimeLayoutMS and TimeLayoutS, and every other timestamp
// type with TimeLayout, in UTC or in p's location.
func (p printer) formatTime(t time.Time, typ string) string {
	switch typ {
	case "DATE":
		return t.Format(time.DateOnly)
	case "TIME", "TIME_NS":
		return t.Format("15:04:05.999999999")
	case "TIMETZ", "TIME WITH TIME ZONE":
		return t.Format("15:04:05.999999999Z07:00")
	}
	layout := TimeLayout
	switch typ {
	case "TIMESTAMP_MS":
		layout = TimeLayoutMS
	case "TIMESTAMP_S":
		layout = TimeLayoutS
	}
	if p.loc != nil {
		return t.In(p.loc).Format(layout)
	}
	return t.UTC().Format(layout)
}

// formatFloat prints f in the shortest form that reads back exactly, in
// plain decimal notation unless it is very large or very small.
func formatFloat(f float64, bits int) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// formatBytes prints a UUID in its usual form and other bytes as DuckDB
// casts a BLOB to VARCHAR (its CLI prints them so): printable ASCII
// (0x20-0x7E) as is but \, ' and ", every other byte as \x and two
// upper-case hex digits, e.g. \xAA\x00ab; UTF-8 text too (ü: \xC3\xBC).
func formatBytes(b []byte, typ string) string {
	if typ == "UUID" && len(b) == 16 {
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c <= 0x7E && c != '\\' && c != '\'' && c != '"' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, `\x%02X`, c)
		}
	}
	return sb.String()
}

// escapeControls returns s with its control characters written out, so
// none reaches a terminal raw (the table format): a newline as \n, as
// DuckDB's own table (its CLI's box renderer) writes one
// (src/common/box_renderer.cpp, ConvertRenderValue: a newline in a
// VARCHAR is "\\n", never a line break of the cell); the other C0 bytes
// and DEL as \x and two upper-case hex digits (DuckDB's BLOB notation:
// NUL is \x00, ESC \x1B, a tab \x09), C1 characters (U+0080-U+009F) as
// \u and four (U+009B: \u009B). Other text is kept as it is.
func escapeControls(s string) string {
	i := strings.IndexFunc(s, isControl)
	if i < 0 {
		return s
	}
	var sb strings.Builder
	sb.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r == '\n':
			sb.WriteString(`\n`)
		case r < 0x20 || r == 0x7F:
			fmt.Fprintf(&sb, `\x%02X`, r)
		case isControl(r):
			fmt.Fprintf(&sb, `\u%04X`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// isControl reports whether r is a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7F && r <= 0x9F }

// formatInterval prints an INTERVAL as months, days and a Go duration,
// omitting zero parts: "1 month 2 days 3h0m0.5s".
func formatInterval(iv duckdb.Interval) string {
	var parts []string
	plural := func(n int32, unit string) string {
		if n == 1 || n == -1 {
			return fmt.Sprintf("%d %s", n, unit)
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	if iv.Months != 0 {
		parts = append(parts, plural(iv.Months, "month"))
	}
	if iv.Days != 0 {
		parts = append(parts, plural(iv.Days, "day"))
	}
	if iv.Micros != 0 || len(parts) == 0 {
		parts = append(parts, (time.Duration(iv.Micros) * time.Microsecond).String())
	}
	return strings.Join(parts, " ")
}

// isNumeric reports whether DuckDB type typ prints as a number.
func isNumeric(typ string) bool {
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(typ, "DECIMAL")
}

// BlobText prints bytes as the query formats do (formatBytes): a UUID
// (typ "UUID") in its usual form, other bytes as DuckDB casts a BLOB to
// VARCHAR (\xAA\x00ab). The TUI's cells use it.
func BlobText(b []byte, typ string) string { return formatBytes(b, typ) }

// EscapeControls returns s with its control characters written out as
// the table format prints them (escapeControls: NUL \x00, ESC \x1B, C1
// U+009B \u009B), so none reaches a terminal raw. The TUI's cells use it.
func EscapeControls(s string) string { return escapeControls(s) }
