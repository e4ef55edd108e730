package dissect

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testframes"
)

// TestShardSymmetricAndSpread: both directions of a pair share a shard, and
// the corpus' kind of addresses (10.i.x.y clients, a few servers) spread
// over the workers.
func TestShardSymmetricAndSpread(t *testing.T) {
	srv := []netip.Addr{netip.MustParseAddr("198.19.0.1"), netip.MustParseAddr("198.19.0.2"), netip.MustParseAddr("2001:db8::53")}
	for _, n := range []int{2, 3, 4} {
		count := make([]int, n)
		for i := range 4096 {
			c := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), byte(i * 7)})
			if i%5 == 0 {
				c = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i), 14: byte(i >> 8)})
			}
			s := srv[i%len(srv)]
			a, b := ShardOfAddrs(c, s, n), ShardOfAddrs(s, c, n)
			if a != b || a < 0 || a >= n {
				t.Fatalf("n=%d %s %s: %d and %d", n, c, s, a, b)
			}
			count[a]++
		}
		for w, k := range count {
			if k < 4096/n/2 {
				t.Errorf("n=%d: worker %d gets %d of 4096 pairs", n, w, k)
			}
		}
	}
	if ShardOfAddrs(srv[0], srv[1], 1) != 0 {
		t.Error("one worker")
	}
}

// TestShardKnownValue pins the rule (a kernel cBPF program must agree):
// 10.0.0.1 ^ 198.19.0.1 = 0xc8130000; *0x9E3779B1 = 0x50230000 (mod 2^32,
// computed with python3 -c 'print(hex((0xc8130000*0x9E3779B1)&0xffffffff))');
// >>16 = 0x5023 = 20515; 20515 % 2 = 1, % 3 = 1, % 5 = 0.
func TestShardKnownValue(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("198.19.0.1")
	for n, want := range map[int]int{2: 1, 3: 1, 5: 0} {
		if got := ShardOfAddrs(a, b, n); got != want {
			t.Errorf("n=%d: %d, want %d", n, got, want)
		}
	}
}

// TestShardFragmentsAndDirections: on the lab's fragmented pings (every
// fragment, both directions) one pair gives one shard, whatever the
// fragment's offset.
func TestShardFragmentsAndDirections(t *testing.T) {
	frames, metas := testframes.Frames(t, "lab/frag/A.pcap")
	dis := New()
	var d Dissection
	seen := map[[2]netip.Addr]int{}
	frags := 0
	for i, f := range frames {
		if dis.Dissect(f, metas[i], &d) != nil || d.Flags&HasIP == 0 {
			continue
		}
		if d.Flags&IsFrag != 0 {
			frags++
		}
		k := [2]netip.Addr{d.SrcAddr, d.DstAddr}
		if k[1].Less(k[0]) {
			k[0], k[1] = k[1], k[0]
		}
		s := d.Shard(4)
		if prev, ok := seen[k]; ok && prev != s {
			t.Fatalf("frame %d: pair %v in shard %d and %d", metas[i].Frame, k, prev, s)
		}
		seen[k] = s
	}
	if frags == 0 {
		t.Fatal("no fragment in the capture")
	}
}
