package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

// TestEventsMessageAtEveryWidth (new-user trial): `query events --width
// 100` on edge case 19 printed every column but the message ("not shown:
// message"), while at 80 each event was a block with its message. At 80,
// 100, 120 and 0 (no limit) every event's message is printed whole (its
// words, as `--format csv` gives them), no column is left out and no line
// is wider than asked; at 80 and 100 the events are blocks (the message
// would have under 20 columns beside the time, source, kind, severity),
// at 120 and 0 a table.
func TestEventsMessageAtEveryWidth(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	f := filepath.Join(samples(t), "edge", "19-pcap-caplen-over-snaplen", "input.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, f); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
	rows := csvRows(t, "--out", out, "events")
	if len(rows) < 3 || rows[0][len(rows[0])-1] != "message" {
		t.Fatalf("events: %d rows, columns %v: want the message last", len(rows)-1, rows[0])
	}
	words := func(s string) string { return strings.Join(strings.Fields(s), "") }
	for _, width := range []int{80, 100, 120, 0} {
		code, stdout, stderr := tmon(t, "query", "--out", out, "--width", fmt.Sprint(width), "events")
		if code != 0 {
			t.Fatalf("--width %d: exit %d: %s", width, code, stderr)
		}
		// the messages read back: the last cell of a table's line, or the
		// value of a block's message line and the lines that go on with it
		var text strings.Builder
		for _, l := range strings.Split(stdout, "\n") {
			if f := strings.Split(l, "│"); len(f) == len(rows[0])+2 {
				text.WriteString(words(f[len(f)-2]))
			} else if len(f) == 2 && (strings.HasPrefix(l, "message ") || strings.HasPrefix(l, "  ")) {
				text.WriteString(words(f[1]))
			}
			if w := runewidth.StringWidth(l); width > 0 && w > width {
				t.Errorf("--width %d: a line of %d columns: %q", width, w, l)
			}
		}
		for _, r := range rows[1:] {
			if !strings.Contains(text.String(), words(r[len(r)-1])) {
				t.Errorf("--width %d: the message %q is not printed whole:\n%s", width, r[len(r)-1], stdout)
			}
		}
		blocks := strings.HasPrefix(stdout, "─[ row 1 ]")
		if strings.Contains(stdout, "not shown") || blocks != (width == 80 || width == 100) {
			t.Errorf("--width %d: a column left out, or blocks %v:\n%s", width, blocks, stdout)
		}
	}
}
