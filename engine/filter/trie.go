package filter

// trie maps a 64-bit key to its segment in a few dependent loads: a
// multibit trie (strides of 12, 8, 8, 4 bits for 32-bit keys; 11, 8 for
// the 19-bit port keys) whose entries are either a segment (leafBit set)
// or the offset of a child node. A key range that lies inside one segment
// is a leaf at the first level where that holds, so most keys resolve in
// one or two loads whatever the number of segments.
type trie struct {
	nodes []uint32
	shift [4]uint8  // right shift of the key at each level
	mask  [4]uint32 // entry index mask at each level
}

const leafBit = 1 << 31

// maxTrieEntries bounds a trie's size (4 MiB); past it the field keeps
// binary search.
const maxTrieEntries = 1 << 20

// find returns the segment of k (k within the field's domain).
// The shifts are masked to 63 (they are below 32): Go then shifts
// without its test for counts of 64 and more.
func (t *trie) find(k uint64) int {
	e := t.nodes[k>>(t.shift[0]&63)]
	for l := 1; e&leafBit == 0; l++ {
		e = t.nodes[e+uint32(k>>(t.shift[l]&63))&t.mask[l]]
	}
	return int(e &^ leafBit)
}

// buildTrie returns a trie over keys of width bits for the segments
// starting at starts (sorted, starts[0] == 0), or nil when it would exceed
// maxTrieEntries.
func buildTrie(starts []uint64, width int) *trie {
	var strides []int
	switch width {
	case 19:
		strides = []int{11, 8}
	case 32:
		strides = []int{12, 8, 8, 4}
	default:
		return nil
	}
	t := &trie{}
	rem := width
	for i, s := range strides {
		rem -= s
		t.shift[i] = uint8(rem)
		t.mask[i] = 1<<s - 1
	}
	ok := true
	var node func(lo uint64, level int) uint32
	node = func(lo uint64, level int) uint32 {
		n := 1 << strides[level]
		off := len(t.nodes)
		if off+n > maxTrieEntries {
			ok = false
			return 0
		}
		t.nodes = append(t.nodes, make([]uint32, n)...)
		below := uint(t.shift[level]) // key bits under one entry
		for e := 0; e < n && ok; e++ {
			elo := lo + uint64(e)<<below
			ehi := elo + (uint64(1)<<below - 1)
			seg := search64(starts, elo)
			if seg+1 >= len(starts) || starts[seg+1] > ehi {
				t.nodes[off+e] = leafBit | uint32(seg)
				continue
			}
			child := node(elo, level+1)
			t.nodes[off+e] = child
		}
		return uint32(off)
	}
	node(0, 0)
	if !ok {
		return nil
	}
	return t
}
