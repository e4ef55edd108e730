package queries

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestFormatQuerySameAsFormat: FormatQuery, which writes the rows as they
// come (the new user's walk of 2026-12-05: `query --format csv` of 3 M
// rows held 433 MB), prints exactly what Run and FormatOptions print, for
// every named query, every format, with and without a row limit.
func TestFormatQuerySameAsFormat(t *testing.T) {
	db := openTest(t)
	for _, n := range List() {
		if n.NeedsRollup {
			continue
		}
		for _, format := range Formats {
			for _, o := range []Options{{}, {MaxRows: 2, Width: 100}} {
				res, err := Run(db, n.SQL)
				if err != nil {
					t.Fatalf("%s: %v", n.Name, err)
				}
				var want, got bytes.Buffer
				if err := FormatOptions(&want, res, format, o); err != nil {
					t.Fatal(err)
				}
				if err := FormatQuery(context.Background(), &got, db, n.SQL, format, o); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("%s, %s, %+v:\nFormatQuery:\n%s\nFormatOptions:\n%s", n.Name, format, o, got.String(), want.String())
				}
			}
		}
	}
}

// TestFormatQueryCountsRowsNotKept: the table format keeps the rows it
// prints and counts the others.
func TestFormatQueryCountsRowsNotKept(t *testing.T) {
	db := openTest(t)
	var b bytes.Buffer
	if err := FormatQuery(context.Background(), &b, db, "select range from range(100000)", "table", Options{MaxRows: 40}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"│    39 │", "... 99960 more rows", "(100000 rows)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "│    40 │") {
		t.Errorf("row 41 printed:\n%s", b.String())
	}
}
