package replay

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestOverlaps: the lab's ftp/A.pcap and ftp/RC.pcap (one FTP run seen at
// two points) read as one interface overlap by 7.425918166 s, A's last
// packet (1795964265.974954210) less RC's first (1795964258.549036044),
// capinfos -a -e; as two interfaces, or one file alone, nothing.
func TestOverlaps(t *testing.T) {
	index := func(name, iface string) *Indexer {
		path := testsamples.Path(t, "lab", "ftp", name)
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		ix := NewIndexer(f, "p", iface, path, 1000, 1e9)
		for {
			if _, _, err := ix.Next(); err != nil {
				break
			}
		}
		return ix
	}
	a, rc := index("A.pcap", "if0"), index("RC.pcap", "if0")
	got := Overlaps([]*Indexer{rc, a})
	if len(got) != 1 || got[0].Later != rc.Entries()[0].Path || got[0].Earlier != a.Entries()[0].Path || got[0].OverlapNs != 7_425_918_166 || got[0].Iface != "if0" {
		t.Errorf("A and RC as one interface: %+v, want RC starting 7425918166 ns before A ends", got)
	}
	if got := Overlaps([]*Indexer{a, index("RC.pcap", "if1")}); len(got) != 0 {
		t.Errorf("A and RC as two interfaces: %+v, want none", got)
	}
	if got := Overlaps([]*Indexer{a}); len(got) != 0 {
		t.Errorf("A alone: %+v, want none", got)
	}
}
