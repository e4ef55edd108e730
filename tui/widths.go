package tui

// maxColWidth is the width, in terminal columns, a column is cut to when
// the window cannot show every column whole.
const maxColWidth = 44

// fitWidths returns the columns' widths for a window w columns wide whose
// first shown column is xoff: each natural width (header and values) is
// cut to maxColWidth, then the room the window has left goes back to the
// cut columns, the last column (an event's message) first and then left to
// right, so a wide terminal shows a long IPv6 flow name whole (a 64-column
// [2001:db8:...]:port>[...]:port/tcp name was cut at 44 on any window).
func fitWidths(natural []int, xoff, w int) []int {
	widths := make([]int, len(natural))
	room := w
	for i, n := range natural {
		widths[i] = min(n, maxColWidth)
		if i >= xoff {
			room -= widths[i] + 1
		}
	}
	room++ // no separator after the last column
	if len(widths) == 0 || room <= 0 {
		return widths
	}
	order := append([]int{len(widths) - 1}, make([]int, 0, len(widths))...)
	for i := xoff; i < len(widths)-1; i++ {
		order = append(order, i)
	}
	for _, i := range order {
		grow := min(natural[i]-widths[i], room)
		if grow > 0 {
			widths[i] += grow
			room -= grow
		}
	}
	return widths
}
