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
func ElideMiddle(s string, w int) string { return elideAt(s, w, w/2) }

// elideAt is ElideMiddle with the "…" after head columns of s (clamped
// to 0..w-1), the rest of w at s's end: where a column's names differ
// (elideSplit).
func elideAt(s string, w, head int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	if w <= 1 {
		return runewidth.Truncate("…", max(w, 0), "")
	}
	head = min(max(head, 0), w-1)
	tail := w - 1 - head // w-1 columns around the …
	rs := []rune(s)
	h, hw := 0, 0 // runes and columns of the head
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
// (ElideMiddle; after head columns when head >= 0: elideSplit) when it
// holds no address, else at its end and never inside an address (cut).
func fitCell(s string, width, head int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	if len(addrSpans(s)) > 0 {
		return cut(s, width)
	}
	if head < 0 {
		head = width / 2
	}
	return elideAt(s, width, head)
}

// maxSplitNames bounds the names elideSplit tries other splits for: a
// column of probe or class names, not one of thousands of distinct texts
// (each split tried is a pass over them).
const maxSplitNames = 256

// elideSplit returns where the name cells of column i (those without an
// address: cut never splits one) are elided at width w so that they stay
// as many distinct values as whole (two probes never print the same):
// the middle (w/2) when that does, else the split nearest to it that does
// (lab-brussels-probe-A-eth0-2026 and ...-B-eth0-2026 differ at the 20th
// column, the 11th from the end: at 22 columns the middle keeps 11 and
// 10, the same text twice; 20 and 1 tell them apart); ok is false when
// none does (or the column holds more than maxSplitNames names and the
// middle does not).
func elideSplit(cells [][]string, i, w int) (head int, ok bool) {
	whole := make(map[string]struct{})
	for _, row := range cells {
		if len(addrSpans(row[i])) == 0 {
			whole[row[i]] = struct{}{}
		}
	}
	if len(whole) < 2 {
		return w / 2, true
	}
	short := make(map[string]struct{}, len(whole))
	distinct := func(h int) bool {
		clear(short)
		for s := range whole {
			short[fitCell(s, w, h)] = struct{}{}
		}
		return len(short) == len(whole)
	}
	if distinct(w / 2) {
		return w / 2, true
	}
	if len(whole) > maxSplitNames {
		return 0, false
	}
	for d := 1; d < w; d++ { // outward from the middle, the longer head first
		for _, h := range []int{w/2 + d, w/2 - d} {
			if h >= 0 && h <= w-1 && distinct(h) {
				return h, true
			}
		}
	}
	return 0, false
}

// distinctFloor returns the narrowest width from lo up to hi at which the
// name cells of column i, elided (elideSplit), are as many distinct
// values as whole; hi when none narrower is.
func distinctFloor(cells [][]string, i, lo, hi int) int {
	for w := lo; w < hi; w++ {
		if _, ok := elideSplit(cells, i, w); ok {
			return w
		}
	}
	return hi
}
