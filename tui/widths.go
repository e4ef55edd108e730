package tui

import "github.com/charmbracelet/x/ansi"

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
	give := func(i int) {
		grow := min(natural[i]-widths[i], room)
		if grow > 0 {
			widths[i] += grow
			room -= grow
		}
	}
	give(len(widths) - 1)
	for i := xoff; i < len(widths)-1; i++ {
		give(i)
	}
	return widths
}

// nameWidths returns the widths of a table's probe and interface columns
// over rows (of gives a row's probe and interface names): probeW and
// ifaceW, or the longest names when room (the columns beyond the row's
// fixed width) lets them grow, the interface first (a --pair's IF1+IF2).
func nameWidths[T any](rows []T, of func(T) (probe, iface string), probeW, ifaceW, room int) (int, int) {
	p, i := probeW, ifaceW
	for _, r := range rows {
		probe, iface := of(r)
		p, i = max(p, ansi.StringWidth(probe)), max(i, ansi.StringWidth(iface))
	}
	room = max(room, 0)
	i = ifaceW + min(i-ifaceW, room)
	p = probeW + min(p-probeW, room-(i-ifaceW))
	return p, i
}
