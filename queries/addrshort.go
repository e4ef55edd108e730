package queries

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
)

// IPv6 addresses shortened, with a legend. Two IPv6 connection ends
// ([2001:470:1f11:81f:c999:d94:aa7c:2e3e]:49185, 44 columns) took 94 of
// `tmonbench query tcp`'s 120 columns: the table fell back to one block
// per row, where connections can no longer be read down a column. An
// address cut (…) at its end reads as another address, so address columns
// are never cut (addrcut.go); instead, when the boxed table would leave
// columns out or not fit at all, each long IPv6 address of the address
// columns is written with its middle elided, as its first groups, "…" and
// its last group ([2001…2e3e]:49185: not an address, so never taken for
// one), the same label for the same address everywhere, and a legend
// under the table maps each label to the whole address (RFC 5952 text),
// as tcptrace names hosts by letters and lists them. The most leading
// groups that let the whole table fit are kept (3, then 2, then 1); two
// addresses that would share a label keep more groups until they differ.

// v6Long is the longest IPv6 address text (RFC 5952) printed whole when
// addresses are shortened: an address of at most 15 characters
// (2001:db8::1, fe80::1:2) is as wide as an IPv4 one (at most 15) and
// stays as it is.
const v6Long = 15

// v6Legend maps the labels of shortened addresses to the addresses, in
// the order they first appear in the table.
type v6Legend struct {
	labels, addrs []string
	cols          []int // the first column each label is in (per row, left to right)
}

// only is the legend of the labels in the first shown columns.
func (lg v6Legend) only(shown int) v6Legend {
	var out v6Legend
	for k, c := range lg.cols {
		if c < shown {
			out.labels = append(out.labels, lg.labels[k])
			out.addrs = append(out.addrs, lg.addrs[k])
			out.cols = append(out.cols, c)
		}
	}
	return out
}

// shortenV6 returns cells with the long IPv6 addresses (longer than
// v6Long) of the first shown address columns (addr) replaced by labels of
// lead leading groups, "…" and the last group (v6Labels), and the legend
// of those labels; the legend is empty, and cells returned as they are,
// when no such address is there. cells is not modified.
func shortenV6(cells [][]string, addr []bool, shown, lead int) ([][]string, v6Legend) {
	var order []netip.Addr
	seen := map[netip.Addr]bool{}
	eachV6(cells, addr, shown, func(a netip.Addr, _ [2]int) {
		if !seen[a] {
			seen[a] = true
			order = append(order, a)
		}
	})
	if len(order) == 0 {
		return cells, v6Legend{}
	}
	labels := v6Labels(order, lead)
	out := make([][]string, len(cells))
	copy(out, cells)
	var lg v6Legend
	inLegend := map[netip.Addr]bool{}
	for r, row := range cells {
		for i := 0; i < shown && i < len(row); i++ {
			if !addr[i] {
				continue
			}
			var b strings.Builder
			from := 0 // of row[i], copied up to here
			eachV6([][]string{{row[i]}}, []bool{true}, 1, func(a netip.Addr, at [2]int) {
				l := labels[a]
				if l == a.String() {
					return // as long as the address: kept whole
				}
				if !inLegend[a] {
					inLegend[a] = true
					lg.labels = append(lg.labels, l)
					lg.addrs = append(lg.addrs, a.String())
					lg.cols = append(lg.cols, i)
				} else if k := slices.Index(lg.labels, l); lg.cols[k] > i {
					lg.cols[k] = i
				}
				b.WriteString(row[i][from:at[0]])
				b.WriteString(l)
				from = at[1]
			})
			if from == 0 {
				continue
			}
			b.WriteString(row[i][from:])
			if &out[r][0] == &row[0] { // the caller's row: copied once
				out[r] = append([]string(nil), row...)
			}
			out[r][i] = b.String()
		}
	}
	return out, lg
}

// eachV6 calls f for each long IPv6 address in the first shown address
// columns of cells, row by row, left to right: the address and its byte
// range in the cell.
func eachV6(cells [][]string, addr []bool, shown int, f func(a netip.Addr, at [2]int)) {
	for _, row := range cells {
		for i := 0; i < shown && i < len(row); i++ {
			if !addr[i] {
				continue
			}
			for _, sp := range addrSpans(row[i]) {
				if a, at, ok := v6In(row[i][sp[0]:sp[1]]); ok {
					f(a, [2]int{sp[0] + at[0], sp[0] + at[1]})
				}
			}
		}
	}
}

// v6In returns the long IPv6 address of an address token (an address,
// [v6], [v6]:port, v6:port) and its byte range in tok; false for IPv4,
// IPv4-mapped, zoned and short (v6Long) addresses.
func v6In(tok string) (netip.Addr, [2]int, bool) {
	from, to := 0, len(tok)
	if strings.HasPrefix(tok, "[") {
		from, to = 1, strings.IndexByte(tok, ']')
	} else if _, err := netip.ParseAddr(tok); err != nil {
		to = strings.LastIndexByte(tok, ':') // v6:port (tshark's)
	}
	if to <= from {
		return netip.Addr{}, [2]int{}, false
	}
	a, err := netip.ParseAddr(tok[from:to])
	if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" || len(a.String()) <= v6Long {
		return netip.Addr{}, [2]int{}, false
	}
	return a, [2]int{from, to}, true
}

// v6Labels gives each address its label: lead leading groups, "…", the
// last group (groups as RFC 5952 prints them, without leading zeros);
// addresses that would share a label keep one more leading group, until
// every label differs.
func v6Labels(addrs []netip.Addr, lead int) map[netip.Addr]string {
	keep := map[netip.Addr]int{}
	for _, a := range addrs {
		keep[a] = lead
	}
	label := func(a netip.Addr) string {
		b := a.As16()
		var g [8]string
		for i := range g {
			g[i] = strconv.FormatUint(uint64(b[2*i])<<8|uint64(b[2*i+1]), 16)
		}
		if keep[a] >= 7 {
			return a.String() // nothing left to elide
		}
		return strings.Join(g[:keep[a]], ":") + "…" + g[7]
	}
	for {
		by := map[string][]netip.Addr{}
		for _, a := range addrs {
			l := label(a)
			by[l] = append(by[l], a)
		}
		clash := false
		for _, same := range by {
			if len(same) > 1 {
				clash = true
				for _, a := range same {
					keep[a]++
				}
			}
		}
		if !clash {
			out := map[netip.Addr]string{}
			for _, a := range addrs {
				out[a] = label(a)
			}
			return out
		}
	}
}

// write prints the legend under the table: one line per label, the
// labels aligned; nothing when empty.
func (lg v6Legend) write(w io.Writer) error {
	if len(lg.labels) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("IPv6 addresses shortened to fit (--width 0 prints them whole):\n")
	width := 0
	for _, l := range lg.labels {
		width = max(width, runewidth.StringWidth(l))
	}
	for i, l := range lg.labels {
		fmt.Fprintf(&b, "  %s  %s\n", runewidth.FillRight(l, width), lg.addrs[i])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ShortenV6Fit returns s, a text holding addresses (a flow's name,
// [2001:db8:1:2::a]:443>[2001:db8:9::b]:80/tcp), within w display
// columns: as it is when it fits, elided at field boundaries
// (ElideFields) when that keeps an address whole, else with its long IPv6 addresses
// (longer than v6Long) written as their leading groups, "…" and their
// last group as `tmonbench query` writes them (v6Labels: 3 leading
// groups, then 2, then 1, addresses of s that would share a label keep
// more), the most groups that fit; when even 1 does not, the 1-group form
// is elided at field boundaries (ElideFields). The TUI's Flows screen at
// 60 columns elided whole addresses of IPv6 names, so that several rows
// read "…/icmp6" alike; the labels keep each end's first and last groups.
func ShortenV6Fit(s string, w int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	var addrs []netip.Addr
	eachV6([][]string{{s}}, []bool{true}, 1, func(a netip.Addr, _ [2]int) {
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	})
	if e := ElideFields(s, w); len(addrs) == 0 || len(addrSpans(e)) > 0 {
		return e // an address kept whole, as before
	}
	var short string
	for lead := 3; lead >= 1; lead-- {
		out, _ := shortenV6([][]string{{s}}, []bool{true}, 1, lead)
		short = out[0][0]
		if runewidth.StringWidth(short) <= w {
			return short
		}
	}
	return elideEnds(short, w)
}

// ShortenV6Column returns the cells of one column of addresses or flow
// names within w display columns each, as ShortenV6Fit does one, but with
// one label per address for the whole column, unless elided at field
// boundaries one by one (ElideFields) each keeps an address whole and no
// two differ only there: the most leading groups (3,
// 2, then 1) with which every cell fits, addresses of the column that
// would share a label keeping more groups (v6Labels), so two rows of
// different addresses never read alike (per cell, 3ffe:501:1800:2345::2
// and 3ffe:501:0:1001::2 were both 3ffe…2). Cells still too wide then
// lose whole ends of their middle (elideEnds), or, without a long IPv6
// address, whole fields (ElideFields). cells is returned as it is when
// it holds no long IPv6 address. cells is not modified.
func ShortenV6Column(cells []string, w int) []string {
	fits := func(c []string) bool {
		for _, s := range c {
			if runewidth.StringWidth(s) > w {
				return false
			}
		}
		return true
	}
	if fits(cells) {
		return cells
	}
	rows := make([][]string, len(cells))
	for i, s := range cells {
		rows[i] = []string{s}
	}
	if _, lg := shortenV6(rows, []bool{true}, 1, 1); len(lg.labels) == 0 {
		return cells // elideText elides them one by one
	}
	// Elided at field boundaries one by one (ElideFields), as they were,
	// when each keeps an address whole and distinct cells stay distinct.
	elided := map[string]string{}
	distinct := true
	for _, s := range cells {
		e := ElideFields(s, w)
		if o, ok := elided[e]; (ok && o != s) || len(addrSpans(e)) == 0 {
			distinct = false
			break
		}
		elided[e] = s
	}
	if distinct {
		return cells
	}
	out := make([]string, len(cells))
	for lead := 3; lead >= 1; lead-- {
		short, _ := shortenV6(rows, []bool{true}, 1, lead)
		for i := range short {
			out[i] = short[i][0]
		}
		if fits(out) {
			return out
		}
	}
	for i, s := range out {
		if s == cells[i] { // no long IPv6 address: at field boundaries, the ports kept
			out[i] = ElideFields(s, w)
		} else {
			out[i] = elideEnds(s, w)
		}
	}
	return out
}

// elideEnds shortens s, a flow name whose IPv6 addresses are labels
// (ShortenV6Column), to at most w display columns by putting "…" in place
// of whole ends and protocols of its middle: it cuts only beside a '>' or
// a '/', or before the port of a bracketed [label]:port, never inside a
// label or an address (ElideFields takes the
// ':' of 3ffe:501:1800…2 for field boundaries and wrote 3ffe:…:0…2). It
// keeps both ends of s when it can, then the most columns; "…" alone when
// nothing fits.
func elideEnds(s string, w int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	b := []int{0, len(s)}
	for k := range len(s) {
		switch {
		case s[k] == '>' || s[k] == '/':
			b = append(b, k, k+1)
		case s[k] == ']' && k+1 < len(s) && s[k+1] == ':': // [label]:port: the port kept alone
			b = append(b, k+1)
		}
	}
	slices.Sort(b)
	b = slices.Compact(b)
	bestBoth, bestKept, bi, bj := -1, -1, 0, len(s)
	for _, i := range b {
		if i > 0 && i < len(s) && s[i] == ':' && s[i-1] == ']' {
			continue // a port is kept with what follows it, never cut from its address
		}
		for _, j := range b {
			if j <= i {
				continue
			}
			head, tail := s[:i], s[j:]
			kept := runewidth.StringWidth(head) + runewidth.StringWidth(tail)
			both := 0
			if hasField(head) && hasField(tail) {
				both = 1
			}
			if kept+1 <= w && (both > bestBoth || both == bestBoth && kept > bestKept) {
				bestBoth, bestKept, bi, bj = both, kept, i, j
			}
		}
	}
	return s[:bi] + "…" + s[bj:]
}
