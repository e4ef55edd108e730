package queries

import "testing"

// TestPercentMacro: percent(part, whole) is part in % of whole (by
// arithmetic: 1 of 8 is 12.5 %, 3 of 3 is 100 %), NULL where whole is 0
// (no packet sent), with the type the queries' loss_pct had before the
// macro (100.0 * part / nullif(whole, 0): DOUBLE over UBIGINT counts).
func TestPercentMacro(t *testing.T) {
	db := openTest(t)
	res, err := Run(db, `SELECT percent(1::UBIGINT, 8::UBIGINT), percent(3, 3), percent(1, 0) IS NULL,
		typeof(percent(1::UBIGINT, 8::UBIGINT)) = typeof(100.0 * 1::UBIGINT / nullif(8::UBIGINT, 0))`)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r[0] != 12.5 || r[1] != 100.0 || r[2] != true || r[3] != true {
		t.Errorf("percent: %v, want [12.5 100 true true]", r)
	}
}
