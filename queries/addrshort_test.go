package queries

import (
	"strings"
	"testing"
)

// TestShortenV6 (tmonbench query tcp over IPv6): two connection ends of
// 44 columns ([2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185) took 94 of
// 120 columns and the table printed one block per row. The rows below are
// zeek_ftp_ipv6.pcap's control connection and a data connection
// (tshark -r testdata/pcap/ftp-active/zeek_ftp_ipv6.pcap -q -z conv,tcp),
// and two addresses that differ only inside (2001:db8::/32 and
// 2001:470::/32, both ending :5). At 120 columns the table stays a table,
// one line a row, long addresses elided in their middle
// ([2001…2e3e]:49185), a short one (2001:db8::1, as wide as IPv4) whole,
// two addresses never sharing a label, and a legend under the table
// gives each label's address; uncut (width 0) nothing is shortened.
func TestShortenV6(t *testing.T) {
	res := &Result{
		Columns: []string{"probe", "client", "server", "dur_s", "state", "orig_bytes", "resp_bytes", "rtx", "irtt_ms"},
		Types:   []string{"VARCHAR", "VARCHAR", "VARCHAR", "DOUBLE", "VARCHAR", "UBIGINT", "UBIGINT", "UBIGINT", "DOUBLE"},
		Rows: [][]any{
			{"zeek_ftp_ipv6", "[2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185", "[2001:470:4867:99::21]:21", 26.768, "SF", uint64(310), uint64(3448), uint64(0), 107.014},
			{"zeek_ftp_ipv6", "[2001:470:4867:99::21]:55785", "[2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49189", 0.222, "SF", uint64(77), uint64(0), uint64(0), 108.351},
			{"made_up", "[2001:db8:1:2:3:4:ab:5]:40000", "[2001:470:1:2:3:4:ab:5]:443", 1.0, "SF", uint64(1), uint64(1), uint64(0), 1.0},
			{"made_up", "[2001:db8::1]:40001", "[2001:470:1:2:3:4:ab:5]:443", 1.0, "SF", uint64(1), uint64(1), uint64(0), 1.0},
		},
	}
	got := formatted(t, res, "table", Options{Width: 120})
	for _, want := range []string{
		"│ [2001…2e3e]:49185 ", "│ [2001…21]:21 ", "│ [2001…21]:55785 ", "│ [2001…2e3e]:49189 ",
		"│ [2001:db8…5]:40000 ", "│ [2001:470…5]:443 ", "│ [2001:db8::1]:40001 ",
		"\nIPv6 addresses shortened to fit (--width 0 prints them whole):\n" +
			"  2001…2e3e   2001:470:1f11:81f:c999:d94:aa7c:2e3e\n" +
			"  2001…21     2001:470:4867:99::21\n" +
			"  2001:db8…5  2001:db8:1:2:3:4:ab:5\n" +
			"  2001:470…5  2001:470:1:2:3:4:ab:5\n" +
			"(4 rows)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q in:\n%s", want, got)
		}
	}
	if w := maxLineWidth(got); w > 120 || strings.Contains(got, "─[ row") || strings.Count(got, "\n") != 4+4+5+1 {
		t.Errorf("%d columns wide, want a table of one line a row within 120:\n%s", w, got)
	}
	whole := formatted(t, res, "table", Options{})
	if strings.Contains(whole, "…") || strings.Contains(whole, "shortened") || !strings.Contains(whole, "│ [2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185 │") {
		t.Errorf("uncut table shortened:\n%s", whole)
	}
}
