package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/queries"
)

// maxColWidth is the most a key column counts for when deciding whether
// the key columns scrolled past stay at the left (pagedTable.kept).
const maxColWidth = 44

// minTextWidth is the least a text column is shrunk to (its header's
// width when wider) before a column is left out. A column of addresses
// or flow names is kept whole up to two fifths of the window
// (addrLeast), and elided at field boundaries beyond (elideText): at 80
// columns the one-way screen cut *>198.51.100.10:9000 to
// *>198.51.….10:9000, inside the address.
const minTextWidth = 16

// addrLeast is the least width of a text column: minTextWidth or its
// header's width, two fifths of a window w wide for a column of
// addresses or flow names (cells: every one not empty starts with an
// address, queries.StartsWithAddr; at least one), at most natural.
func addrLeast(cells []string, hw, natural, w int) int {
	least := max(hw, minTextWidth)
	addr := false
	for _, s := range cells {
		if s == "" || s == "NULL" {
			continue
		}
		if !queries.StartsWithAddr(s) {
			addr = false
			break
		}
		addr = true
	}
	if addr {
		least = max(least, w*2/5)
	}
	return min(natural, least)
}

// fitColumns fits columns of natural widths (header and values) to a
// window w terminal columns wide, one space between two: it shows the
// first n columns whose least widths fit (at least one), then, while they
// are wider than w, takes a column from the widest one that can still
// shrink (the addresses or flow names, elided in the middle, before a
// probe name) down to its least; numbers and times have least = natural
// and keep their width. The columns after n are left out whole, never cut
// at the window's edge (the table says how many: colLayout.hiddenText).
// Key columns (key[i]: the row's name, tableSpec.key) shrink only once
// the others are at their least. It returns the n widths.
func fitColumns(natural, least []int, key []bool, w int) (widths []int, n int) {
	used := -1
	for i := range natural {
		if n > 0 && used+1+least[i] > w {
			break
		}
		used += 1 + least[i]
		n++
	}
	widths = slices.Clone(natural[:n])
	total := n - 1
	for _, x := range widths {
		total += x
	}
	widest := func(keys bool) int {
		j := -1
		for i := range widths {
			if key[i] == keys && widths[i] > least[i] && (j < 0 || widths[i] > widths[j]) {
				j = i
			}
		}
		return j
	}
	for total > w {
		j := widest(false)
		if j < 0 {
			j = widest(true)
		}
		if j < 0 {
			break
		}
		widths[j]--
		total--
	}
	if total > w && n > 0 { // one column alone wider than the window
		widths[n-1] = max(widths[n-1]-(total-w), 1)
	}
	return widths, n
}

// colLayout is what a table screen shows of its columns.
type colLayout struct {
	vis         []int // shown columns (indexes into the shown list), kept key columns first
	widths      []int // their widths, as vis
	left, right int   // columns not shown: scrolled past (not kept), beyond the right edge
}

// hiddenText says which columns the window does not show, "" when it
// shows them all: "← 2 columns · 3 more columns →".
func (l colLayout) hiddenText() string {
	var parts []string
	plural := func(n int) string {
		if n == 1 {
			return "column"
		}
		return "columns"
	}
	if l.left > 0 {
		parts = append(parts, fmt.Sprintf("← %d %s", l.left, plural(l.left)))
	}
	if l.right > 0 {
		parts = append(parts, fmt.Sprintf("%d more %s →", l.right, plural(l.right)))
	}
	return strings.Join(parts, " · ")
}

// shortHidden is hiddenText in fewer columns (← 2 · 3 more →), for an
// info line that cannot hold the long form.
func (l colLayout) shortHidden() string {
	var parts []string
	if l.left > 0 {
		parts = append(parts, fmt.Sprintf("← %d", l.left))
	}
	if l.right > 0 {
		parts = append(parts, fmt.Sprintf("%d more →", l.right))
	}
	return strings.Join(parts, " · ")
}

// elideText shortens a text cell to w columns: prose (an event's message,
// a sample's detail) loses its end, names their middle, so that both ends
// (a probe's -A or -B) stay; addresses and flow names lose whole fields
// of their middle (queries.ElideFields), never part of an address.
func elideText(col, s string, w int) string {
	switch col {
	case "message", "detail", "history":
		return cut(s, w)
	}
	return elideName(s, w)
}

// elideName shortens a name to w columns: when it starts with an
// address (a flow's name), its long IPv6 addresses written as their
// first and last groups (2001:470:1f11…2e3e, as `tmonbench query` writes
// them), then at field boundaries (queries.ShortenV6Fit, ElideFields):
// at 60 columns the Flows screen elided both IPv6 ends whole, and several
// rows read "…/icmp6" alike; else in its middle.
func elideName(s string, w int) string {
	if queries.StartsWithAddr(s) {
		return queries.ShortenV6Fit(s, w)
	}
	return elideMiddle(s, w)
}

// narrowNames returns the cells of column col (of DuckDB type typ) for a
// width of w: as they are but for a column of addresses or flow names
// wider than w, whose long IPv6 addresses are then written as their first
// and last groups with one label per address for the whole column
// (queries.ShortenV6Column), so two rows of different addresses never
// read alike: at 60 columns the Flows screen of an IPv6 ICMP capture
// (testdata/pcap/ipv6/zeek_communityid_icmp6.pcap) showed five rows
// "…/icmp6". elideText then shortens what still does not fit.
func narrowNames(col, typ string, cells []string, w int) []string {
	if isNumeric(typ) || isTime(typ) {
		return cells
	}
	switch col {
	case "message", "detail", "history":
		return cells
	}
	for _, s := range cells {
		if ansi.StringWidth(s) > w && queries.StartsWithAddr(s) {
			return queries.ShortenV6Column(cells, w)
		}
	}
	return cells
}

// isTime reports whether a DuckDB type is a time, drawn whole.
func isTime(typ string) bool {
	return strings.HasPrefix(typ, "TIMESTAMP") || typ == "DATE" || typ == "TIME"
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
