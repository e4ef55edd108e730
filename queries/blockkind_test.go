package queries

import (
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

// TestMachineNamesWholeInBlocks: the row-per-block layout (a terminal too
// narrow for the table) cut an event's kind as it cut any text: `query
// --width 30` on the events of testdata/edge/19 (records longer than the
// file's snaplen) read "kind     │ capture_o…r_snaplen". The kind and
// severity (MachineName: event kind names as docs/tables.md lists them,
// the engines' own spelling) now print whole, as the table layout keeps
// them; the message still wraps within the width, the source is still
// cut. ip_reassembly_too_many_fragments (32 characters) is the longest
// kind of docs/tables.md: at 30 columns it goes past the width, as a
// number too long for the room does.
func TestMachineNamesWholeInBlocks(t *testing.T) {
	msg := "/captures/site-brussels-probe-A/2026-12-07/input.pcap: 2 records longer than the declared snap length, kept whole (as libpcap and Wireshark)"
	res := &Result{Columns: []string{"source", "severity", "kind", "message"},
		Types: []string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"},
		Rows: [][]any{
			{"capture:/captures/site-brussels-probe-A/2026-12-07/input.pcap", "info", "capture_over_snaplen", msg},
			{"probe:site-brussels-probe-A", "warning", "ip_reassembly_too_many_fragments", "too many fragments"},
		}}
	got := formatted(t, res, "table", Options{Width: 30})
	if !strings.HasPrefix(got, "─[ row 1 ]") {
		t.Fatalf("at 30 columns, want one block a row:\n%s", got)
	}
	for _, want := range []string{"\nkind     │ capture_over_snaplen\n", "\nseverity │ info\n",
		"\nkind     │ ip_reassembly_too_many_fragments\n", "\nseverity │ warning\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("want the line %q whole:\n%s", strings.Trim(want, "\n"), got)
		}
	}
	var text []string
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if strings.HasPrefix(l, "kind ") {
			continue
		}
		if w := runewidth.StringWidth(l); w > 30 {
			t.Errorf("a line of %d columns past 30: %q", w, l)
		}
		if f := strings.Split(l, " │ "); len(f) == 2 && (strings.HasPrefix(l, "message ") || strings.HasPrefix(l, "        ")) {
			text = append(text, f[1])
		}
	}
	if !strings.Contains(strings.Join(text, " "), "kept whole (as libpcap and Wireshark)") {
		t.Errorf("the message not wrapped whole (%q):\n%s", strings.Join(text, " "), got)
	}
}
