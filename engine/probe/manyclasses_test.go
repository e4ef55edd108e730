package probe_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestEveryClassAccounted: a packet is counted in every class it matches,
// whatever their number: with 64 classes the probe takes them from the
// class set's first word, beyond 64 from all of its words (filter.Set).
// Every class here matches every packet (filter ""), so each class has the
// same flows as the next, with the same packet counts: tcp-mix at A has
// 6436 packets (tcpdump -r testdata/lab/tcp-mix/A.pcap | wc -l).
func TestEveryClassAccounted(t *testing.T) {
	for _, n := range []int{64, 70} {
		var y strings.Builder
		y.WriteString("interval_s: 60\nclasses:\n")
		for i := range n {
			fmt.Fprintf(&y, "  - name: c%d\n    filter: \"\"\n    granularity: [protocol]\n", i)
		}
		b := run(t, y.String(), "lab/tcp-mix/A.pcap")
		first := flowsOf(b, "c0")
		var packets uint64
		for _, f := range first {
			packets += f.Packets
		}
		if packets != 6436 {
			t.Errorf("%d classes: class c0 counts %d packets, want 6436", n, packets)
		}
		for i := 1; i < n; i++ {
			fs := flowsOf(b, fmt.Sprintf("c%d", i))
			if len(fs) != len(first) {
				t.Fatalf("%d classes: class c%d has %d flows, c0 %d", n, i, len(fs), len(first))
			}
			for j := range fs {
				if fs[j].Packets != first[j].Packets || fs[j].Protocol != first[j].Protocol {
					t.Errorf("%d classes: class c%d flow %d: %d packets of protocol %d, c0 %d of %d", n, i, j, fs[j].Packets, fs[j].Protocol, first[j].Packets, first[j].Protocol)
				}
			}
		}
	}
}
