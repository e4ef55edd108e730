package queries

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestBlobText: a BLOB prints as DuckDB casts it to VARCHAR (its CLI's
// text; the expected text is that cast's, checked against DuckDB in the
// same query) in every format, and no control character of any value,
// VARCHAR too, reaches the table raw. A BLOB of valid UTF-8 (\x00 is)
// printed its bytes raw: a NUL in the CSV and the table.
func TestBlobText(t *testing.T) {
	db := openTest(t)
	res := run(t, db, `SELECT '\xAA\x00ab'::BLOB AS b, '\x00'::BLOB AS nul, 'a''"\x5C'::BLOB AS quote,
		'\xAA\x00ab'::BLOB::VARCHAR AS b_cast, '\x00'::BLOB::VARCHAR AS nul_cast, 'a''"\x5C'::BLOB::VARCHAR AS quote_cast,
		'x' || chr(0) || chr(27) || '[31m' || chr(155) || 'y' || chr(10) AS s`)
	want := map[string]string{ // DuckDB 1.x: SELECT '\xAA\x00ab'::BLOB::VARCHAR
		"b":     `\xAA\x00ab`,
		"nul":   `\x00`,
		"quote": `a\x27\x22\x5C`,
	}
	for i, c := range res.Columns[:3] {
		got := text(res.Rows[0][i], res.Types[i])
		if got != want[c] {
			t.Errorf("%s: text %q, want %q", c, got, want[c])
		}
		if cast := res.Rows[0][i+3]; got != cast {
			t.Errorf("%s: text %q, DuckDB's cast %q", c, got, cast)
		}
	}
	var csvOut, js, tb bytes.Buffer
	if err := FormatCSV(&csvOut, res); err != nil {
		t.Fatal(err)
	}
	if line := strings.Split(csvOut.String(), "\n")[1]; !strings.HasPrefix(line, `\xAA\x00ab,\x00,a\x27\x22\x5C,`) {
		t.Errorf("CSV row %q", line)
	}
	if err := FormatJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(js.Bytes(), &rows); err != nil || rows[0]["b"] != `\xAA\x00ab` {
		t.Errorf("JSON %s: %v", js.String(), err)
	}
	if err := FormatTable(&tb, res); err != nil {
		t.Fatal(err)
	}
	for _, r := range tb.String() {
		if r != '\n' && isControl(r) {
			t.Fatalf("table holds control character %U:\n%q", r, tb.String())
		}
	}
	if !strings.Contains(tb.String(), `x\x00\x1B[31m\u009By\n`) || !strings.Contains(tb.String(), `\xAA\x00ab`) {
		t.Errorf("table lacks the escaped values:\n%s", tb.String())
	}
}

// TestTableNewlineAndNames: the table format writes a newline of a VARCHAR
// as \n, in the wrapped last column too, and escapes the control
// characters of column names as of values. The source is DuckDB's own
// table (src/common/box_renderer.cpp, ConvertRenderValue, which its box
// renderer applies to column names and values alike: a newline is "\\n",
// ESC "\\e"; we keep \x1B for the others, the BLOB notation). Before, the
// newline printed as \x0A and a column alias's ESC and newline reached the
// terminal raw.
func TestTableNewlineAndNames(t *testing.T) {
	db := openTest(t)
	res := run(t, db, `SELECT 1 AS "a`+"\x1b"+`[31mb", 'first line' || chr(10) || 'second line' AS "m`+"\n"+`sg"`)
	for _, width := range []int{0, 37, 30} { // whole, wrapped, one block a row
		var b bytes.Buffer
		if err := FormatOptions(&b, res, "table", Options{Width: width}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, r := range out {
			if r != '\n' && isControl(r) {
				t.Fatalf("width %d: table holds control character %U:\n%q", width, r, out)
			}
		}
		flat := strings.Join(strings.Fields(strings.NewReplacer("│", " ", "┃", " ").Replace(out)), " ")
		for _, want := range []string{`a\x1B[31mb`, `m\nsg`, `line\nsecond`} {
			if !strings.Contains(flat, want) {
				t.Errorf("width %d: table lacks %q:\n%s", width, want, out)
			}
		}
	}
}
