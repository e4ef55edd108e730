package queries

import "testing"

// TestHopPairMacro: hop_pair(from_hop, to_hop) spells a hop pair "A>B",
// as the narrow one-way queries' hops column did inline (from_hop || '>'
// || to_hop); their goldens (TestNamedGolden) are unchanged by it.
func TestHopPairMacro(t *testing.T) {
	db := openTest(t)
	res, err := Run(db, `SELECT hop_pair('A', 'B'), hop_pair('A', NULL) IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r[0] != "A>B" || r[1] != true {
		t.Errorf("hop_pair: %v, want [A>B true]", r)
	}
}
