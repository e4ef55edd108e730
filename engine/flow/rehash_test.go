package flow

import (
	"slices"
	"testing"
)

// TestRehash places by hand: into 8 slots, hashes 1 and 9 share home 1
// (9 goes on to 2), 7 takes 7 and 15 (home 7, taken) wraps to 0; the
// empty slots of old (0) are not placed.
func TestRehash(t *testing.T) {
	old := []int{0, 1, 9, 0, 7, 15, 0, 0}
	dst := make([]int, 8)
	Rehash(dst, old, func(s int) (int, bool) { return s, s == 0 })
	if want := []int{15, 1, 9, 0, 0, 0, 0, 7}; !slices.Equal(dst, want) {
		t.Fatalf("Rehash = %v, want %v", dst, want)
	}
}
