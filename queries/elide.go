package queries

import (
	"github.com/mattn/go-runewidth"
)

// ElideMiddle shortens s to at most w display columns by replacing its
// middle with "…" (the head keeps the odd column), so that names sharing
// a long prefix or suffix (chrissanders_dns_axfr, chrissanders_dns_lab)
// stay told apart; s is returned as it is when it fits, w = 1 gives "…"
// and w <= 0 "". Plain text only (no escapes). Shared by the query table
// printer and the TUI.
func ElideMiddle(s string, w int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	if w <= 1 {
		return runewidth.Truncate("…", max(w, 0), "")
	}
	rs := []rune(s)
	head, tail := w/2, (w-1)/2 // w-1 columns around the …, the head gets the odd one
	h, hw := 0, 0              // runes and columns of the head
	for h < len(rs) {
		cw := runewidth.RuneWidth(rs[h])
		if hw+cw > head {
			break
		}
		h, hw = h+1, hw+cw
	}
	t, tw := len(rs), 0 // first rune and columns of the tail
	for t > h {
		cw := runewidth.RuneWidth(rs[t-1])
		if tw+cw > tail {
			break
		}
		t, tw = t-1, tw+cw
	}
	return string(rs[:h]) + "…" + string(rs[t:])
}

// fitCell shortens the text cell s to width columns: in the middle
// (ElideMiddle) when it holds no address, else at its end and never
// inside an address (cut).
func fitCell(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	if len(addrSpans(s)) > 0 {
		return cut(s, width)
	}
	return ElideMiddle(s, width)
}

// distinctFloor returns the narrowest width from lo up to hi at which the
// name cells of column i (those without an address: cut never splits one,
// so cells holding one may not be told apart by cutting), elided in the
// middle, are as many distinct values as whole (two probes never print
// the same); hi when none narrower is.
func distinctFloor(cells [][]string, i, lo, hi int) int {
	whole := make(map[string]struct{})
	for _, row := range cells {
		if len(addrSpans(row[i])) == 0 {
			whole[row[i]] = struct{}{}
		}
	}
	if len(whole) < 2 {
		return lo
	}
	short := make(map[string]struct{}, len(whole))
	for w := lo; w < hi; w++ {
		clear(short)
		for s := range whole {
			short[fitCell(s, w)] = struct{}{}
		}
		if len(short) == len(whole) {
			return w
		}
	}
	return hi
}
