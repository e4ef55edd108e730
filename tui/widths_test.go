package tui

import (
	"slices"
	"testing"
)

// TestFitWidths: the Flows table of an IPv6 capture, whose name column's
// natural width is 74 (the name below); it was cut at 44 columns on any window, so the whole
// name showed only on Enter. A window with room shows it whole; a narrow
// one still cuts it at 44 and gives the last column what is left.
func TestFitWidths(t *testing.T) {
	name := len("[2001:db8:85a3::8a2e:370:7334]:49152>[2001:db8:85a3::8a2e:370:7335]:53/udp")
	if name != 74 {
		t.Fatalf("name is %d columns", name)
	}
	cases := []struct {
		natural []int
		xoff, w int
		want    []int
	}{
		// name, class, packets, bytes on a 200-column window: all whole
		{[]int{74, 7, 9, 11}, 0, 200, []int{74, 7, 9, 11}},
		// on 100 columns: 44+1+7+1+9+1+11 = 74 used, 26 back to the name
		{[]int{74, 7, 9, 11}, 0, 100, []int{70, 7, 9, 11}},
		// on 80 columns: 6 back
		{[]int{74, 7, 9, 11}, 0, 80, []int{50, 7, 9, 11}},
		// too narrow for the cut widths: cut at 44, nothing grows
		{[]int{74, 7, 9, 11}, 0, 60, []int{44, 7, 9, 11}},
		// events: a long message last takes the room first, then the rest
		{[]int{19, 60, 120}, 0, 150, []int{19, 44, 85}},
		{[]int{19, 60, 120}, 0, 250, []int{19, 60, 120}},
		// scrolled right past the first column: its width does not count
		{[]int{73, 60, 10}, 1, 80, []int{44, 60, 10}},
		{[]int{73, 60, 10}, 1, 60, []int{44, 49, 10}},
	}
	for _, c := range cases {
		if got := fitWidths(c.natural, c.xoff, c.w); !slices.Equal(got, c.want) {
			t.Errorf("fitWidths(%v, %d, %d) = %v, want %v", c.natural, c.xoff, c.w, got, c.want)
		}
	}
}
