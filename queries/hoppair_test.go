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

// TestHopOrderMacro: hop_order sorts the pairs of a four-hop path A, RC,
// RS, B (samples/oneway-lab.yaml's class) as the reconciler gives them
// (design 4.3: the consecutive segments from the first hop on, then end
// to end: A>RC, RC>RS, RS>B, A>B), the pairs without indices (written
// before them) after those, by name, as the ORDER BY it replaces did
// (to_hop_index - from_hop_index, from_hop_index, from_hop, to_hop: NULLS
// LAST); its goldens (TestNamedGolden) are unchanged by it.
func TestHopOrderMacro(t *testing.T) {
	db := openTest(t)
	q := `SELECT hop_pair(f, t) FROM (VALUES ('Z', 'Y', NULL, NULL), ('A', 'B', 0, 3), ('RS', 'B', 2, 3), ('C', 'D', NULL, NULL),
		('RC', 'RS', 1, 2), ('A', 'RC', 0, 1)) v(f, t, fi, ti) ORDER BY `
	want := []string{"A>RC", "RC>RS", "RS>B", "A>B", "C>D", "Z>Y"}
	for _, order := range []string{"hop_order(f, t, fi::UTINYINT, ti::UTINYINT)", "ti - fi, fi, f, t"} {
		res, err := Run(db, q+order)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res.Rows {
			if r[0] != want[i] {
				t.Errorf("ORDER BY %s: row %d %v, want %v", order, i, r[0], want[i])
			}
		}
	}
}
