package queries

import "testing"

// TestCondition: a typed condition that would escape its parentheses in
// Pager's "(brush) AND (typed)" is refused; quoted text may hold
// anything. The TUI's "where 1=1) or (1=1" under a brush of 12 flows
// listed all 84 flows of the lab FTP capture (TestWhereStaysInside).
func TestCondition(t *testing.T) {
	for _, ok := range []string{
		"bytes > 100000 and src_port = 40171",
		"(bytes > 1000000) or (packets > 700)",
		"name like '%)%'",
		`"odd)name" = 1`,
		"name = 'it''s (here'",
		"a - -1 > 0",
	} {
		if err := Condition(ok); err != nil {
			t.Errorf("%q: %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"1=1) or (1=1",
		"bytes > 0)",
		"(bytes > 0",
		"bytes > 0; select 1",
		"bytes > 0 -- the rest",
		"bytes > 0 /* the rest",
		"name = 'open",
	} {
		if err := Condition(bad); err == nil {
			t.Errorf("%q: nil, want an error", bad)
		}
	}
}
