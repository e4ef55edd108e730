package tui

import (
	"os"
	"strings"
	"testing"
)

// TestOpenReadsFoldersOnce: the TUI opening an output (New) reads each of
// its folders once itself (the output's, each table's, each partition's:
// the output watch), queries.Open's own single pass aside (queries'
// TestOpenReadsFoldersOnce): zeek_wikipedia replayed, its tables in
// date=…/probe=… folders. It read them twice: the watch, then
// partTables counting the tables with parts, which the watch had just
// seen.
func TestOpenReadsFoldersOnce(t *testing.T) {
	out := replayed(t, "pcap/mixed/zeek_wikipedia.pcap")
	reads := map[string]int{}
	readDir = func(p string) ([]os.DirEntry, error) {
		reads[p]++
		return os.ReadDir(p)
	}
	t.Cleanup(func() { readDir = os.ReadDir })
	m := newTestModel(t, out)
	partitions := 0
	for p, n := range reads {
		if n != 1 {
			t.Errorf("%s read %d times, want once", p, n)
		}
		if strings.Contains(p, "probe=") {
			partitions++
		}
	}
	if partitions == 0 || m.e.tables == 0 || m.e.tables != len(m.e.watchTables) {
		t.Fatalf("%d partition folders read, %d tables with parts (the watch saw %v)", partitions, m.e.tables, m.e.watchTables)
	}
}
