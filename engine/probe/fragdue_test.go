package probe

import (
	"fmt"
	"math"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestDueFragmentsInOrder: the datagrams a timer forgets come in one
// order whatever the map's: those with held fragments by their first held
// fragment's capture ordinal (the order a Workers run numbers the flows
// their release creates: renum.prescan), then the others by key; only
// those expiring before the time given, every one for math.MaxInt64
// (flushFragments). Before, expireFragments and flushFragments walked
// p.frags, a Go map: the flows of several held datagrams released in one
// timer run got their ids in an order that changed from run to run.
func TestDueFragmentsInOrder(t *testing.T) {
	p := newTestProbe(t, config.Default())
	// 16 datagrams: even i holds a fragment of ordinal 100-i (the later
	// the datagram, the earlier its fragment), odd i holds none; all
	// expire at 10 but the last, at 1000
	for i := range 16 {
		k := fragKey{proto: 17, id: uint32(i), src: netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", 200-i)), dst: netip.MustParseAddr("198.51.100.1")}
		fi := fragInfo{held: -1, heldTail: -1, expiresNs: 10}
		if i == 15 {
			fi.expiresNs = 1000
		}
		if i%2 == 0 {
			p.held = append(p.held, heldFrag{next: -1, ord: uint64(100 - i)})
			fi.held = int32(len(p.held) - 1)
			fi.heldTail = fi.held
		}
		p.frags[k] = fi
	}
	// by the held ordinal: 14 (ord 86), 12, ..., 0 (ord 100); then by key
	// (the same proto and iface: by id): 1, 3, ..., 13 (15 expires later)
	want := []uint32{14, 12, 10, 8, 6, 4, 2, 0, 1, 3, 5, 7, 9, 11, 13}
	for run := range 20 {
		got := p.dueFragments(11)
		if len(got) != len(want) {
			t.Fatalf("run %d: %d datagrams due at 11, want %d", run, len(got), len(want))
		}
		for j, d := range got {
			if d.k.id != want[j] {
				t.Fatalf("run %d: datagram %d due %dth, want %d", run, d.k.id, j, want[j])
			}
		}
	}
	if n := len(p.dueFragments(math.MaxInt64)); n != 16 {
		t.Errorf("%d datagrams due at the end, want every one, 16", n)
	}
}
