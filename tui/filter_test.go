package tui

import (
	"strings"
	"testing"
)

// TestPcapFilterError: text that starts like a pcap-filter expression but
// does not parse ("tcp port": the trial's filter became a text search
// showing "no rows of 0") is an error in the status line with the column
// where it goes wrong, and the rows of the previous filter stay; a plain
// word is still a text search.
func TestPcapFilterError(t *testing.T) {
	m, press, expect := screenModel(t, replayed(t, ftpLab))
	filter := func(text string) {
		t.Helper()
		press("/", "ctrl+u")
		for _, r := range text {
			press(string(r))
		}
		press("enter")
	}
	press("2")
	filter("port 20")
	expect("filter", "filter: port 20", "of 28") // select count(*) from flows where 20 in (src_port, dst_port)
	for _, tc := range []struct{ text, want string }{
		{"tcp port", `filter "tcp port" is no pcap filter: the expression ends early at offset 8`},
		{"tcp port 21 foo", `filter "tcp port 21 foo" is no pcap filter: unexpected "foo" at offset 12`},
		{"host 10.0.0.x and tcp", `filter "host 10.0.0.x and tcp" is no pcap filter: "10.0.0.x" is not an address at offset 5`},
		{"(tcp port 21", `filter "(tcp port 21" is no pcap filter: the expression ends early at offset 12`},
	} {
		filter(tc.text)
		if !strings.HasPrefix(m.e.errMsg, tc.want) {
			t.Errorf("%q: error %q, want %q", tc.text, m.e.errMsg, tc.want)
		}
		s := plain(m)
		if !strings.Contains(s, "error: "+tc.want[:20]) || !strings.Contains(s, "filter: port 20") || !strings.Contains(s, "of 28") {
			t.Errorf("%q: the previous rows and filter are gone, or no error shown:\n%s", tc.text, s)
		}
	}
	// a plain word searches the text columns: the FTP class's flows
	filter("ftp")
	if m.e.errMsg != "" {
		t.Fatalf("ftp: error %q", m.e.errMsg)
	}
	expect("text search", "filter: ftp", "of 42")
}
