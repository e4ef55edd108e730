package tui

import "testing"

// TestCellControls: a cell prints a BLOB as DuckDB casts a BLOB to
// VARCHAR ('\xAA\x00ab'::BLOB::VARCHAR is \xAA\x00ab: queries'
// TestBlobText checks the same text against DuckDB) and a string's
// control characters written out as the query's table format does (NUL
// \x00, ESC \x1B, C1 U+009B \u009B), a newline as a space. Before, the
// BLOB printed as Go's [170 0 97 98] and the NUL and ESC reached the
// terminal raw, where an ESC [31m turns the screen red.
func TestCellControls(t *testing.T) {
	for _, c := range []struct {
		v    any
		typ  string
		want string
	}{
		{[]byte{0xAA, 0x00, 'a', 'b'}, "BLOB", `\xAA\x00ab`},
		{"x\x00\x1b[31m\u009by\nz", "VARCHAR", `x\x00\x1B[31m\u009By z`},
		{"plain text", "VARCHAR", "plain text"},
	} {
		if got := cell(c.v, c.typ, false); got != c.want {
			t.Errorf("cell(%q, %s) = %q, want %q", c.v, c.typ, got, c.want)
		}
	}
}
