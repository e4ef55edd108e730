package queries

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/mattn/go-runewidth"
)

// An address cut the table format never makes: a cell cut in the middle
// of an IP address or address:port (141.142.220.118:80 cut to
// 141.142.220.11…) reads as another, valid-looking address. Columns whose
// cells are addresses (client, server, flow names) are never cut; a
// free-text cell is cut before an address it would split, not inside it.

// addrChar reports whether c may be part of an address token: hex
// digits, dots, colons and IPv6 brackets.
func addrChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':' || c == '[' || c == ']'
}

// isAddr reports whether tok is an IP address, address:port,
// [v6]:port, [v6], or an unbracketed v6 followed by :port (as tshark's
// conversation tables print it, and SQL over tcp_connections may).
func isAddr(tok string) bool {
	if _, err := netip.ParseAddr(tok); err == nil {
		return true
	}
	if _, err := netip.ParseAddrPort(tok); err == nil {
		return true
	}
	if strings.HasPrefix(tok, "[") {
		if i := strings.IndexByte(tok, ']'); i > 0 {
			_, err := netip.ParseAddr(tok[1:i])
			return err == nil
		}
	}
	if i := strings.LastIndexByte(tok, ':'); i > 0 && strings.Count(tok, ":") > 2 {
		a, err := netip.ParseAddr(tok[:i])
		return err == nil && a.Is6() && allDigits(tok[i+1:])
	}
	return false
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// addrSpans returns the byte ranges [start, end) of the addresses in s,
// each with its ":port" or ":name" suffix ([2001:db8::1]:high).
func addrSpans(s string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(s); {
		if !addrChar(s[i]) || (i > 0 && isWordChar(s[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(s) && addrChar(s[j]) {
			j++
		}
		end := j
		for end > i && (s[end-1] == '.' || s[end-1] == ':') {
			end--
		}
		if end > i && isAddr(s[i:end]) {
			if end < len(s) && s[end] == ':' { // a named port: [v6]:high
				k := end + 1
				for k < len(s) && isWordChar(s[k]) {
					k++
				}
				if k > end+1 {
					end = k
				}
			}
			spans = append(spans, [2]int{i, end})
			j = end
		}
		i = j
	}
	return spans
}

// isWordChar reports whether c is a letter, digit or underscore.
func isWordChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// startsWithAddr reports whether s begins with an address, or with the
// wildcard side of a flow name whose class leaves the source out
// (*>198.51.100.10:9000, a one-way flow).
func startsWithAddr(s string) bool {
	s = strings.TrimPrefix(s, "*>")
	sp := addrSpans(s)
	return len(sp) > 0 && sp[0][0] == 0
}

// addrColumns marks the text columns every cell of which (NULL aside)
// starts with an address: client, server, flow names. They are never
// cut; other text is cut before an address, not inside it (cut).
func addrColumns(types []string, cells [][]string) []bool {
	addr := make([]bool, len(types))
	for i, typ := range types {
		if !cuttable(typ) {
			continue
		}
		seen := false
		addr[i] = true
		for _, row := range cells {
			if row[i] == "NULL" {
				continue
			}
			if !startsWithAddr(row[i]) {
				addr[i] = false
				break
			}
			seen = true
		}
		addr[i] = addr[i] && seen
	}
	return addr
}

// cut shortens s to width display columns, ending it with … when cut,
// and never inside an address: the cut moves back to the address's
// start, or, for an address at the start wider than width, after its
// end (an address is printed whole or not at all).
func cut(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	kept := len(runewidth.Truncate(s, width-1, ""))
	for _, sp := range addrSpans(s) {
		if sp[0] < kept && kept < sp[1] {
			kept = sp[0]
			if kept == 0 {
				kept = sp[1]
			}
			break
		}
	}
	if kept == len(s) {
		return s
	}
	return s[:kept] + "…"
}

// StartsWithAddr reports whether s begins with an IP address, or with the
// wildcard side of a one-way flow's name (*>198.51.100.10:9000): a cell
// of an address column (client, server, a flow's name), which the TUI
// elides at field boundaries (ElideFields). Shared by the query table
// printer and the TUI.
func StartsWithAddr(s string) bool { return startsWithAddr(s) }

// ElideFields shortens s, a text holding addresses (a flow's name,
// 10.10.1.100:39598>198.51.100.10:20/tcp), to at most w display columns
// by putting "…" in place of whole fields of its middle (addresses,
// ports, the protocol and the separators between them), never of part of
// one: 198.51.….10:9000 reads as no address at all, or as another. It
// keeps the most ports along with an address (an address goes before
// its port: at 40 columns
// 10.100.200.201:49152>198.151.100.210:443/tcp was cut to
// "10.100.200.201:49152>198.151.100.210…tcp", its server port lost; it
// is now "10.100.200.201:49152>…:443/tcp"), then both ends when it can
// (the source, the protocol), then the most columns that
// fit, then the more even ends; "…" alone when no field fits. s is
// returned as it is when it fits.
func ElideFields(s string, w int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	b := fieldBounds(s)
	spans := addrSpans(s)
	ports := portSpans(spans, s)
	type choice struct{ ports, both, kept, even int }
	better := func(a, c choice) bool {
		if a.ports != c.ports {
			return a.ports > c.ports
		}
		if a.both != c.both {
			return a.both > c.both
		}
		if a.kept != c.kept {
			return a.kept > c.kept
		}
		return a.even > c.even
	}
	best, bi, bj := choice{-1, -1, -1, -1}, 0, len(s)
	for _, i := range b {
		hw := runewidth.StringWidth(s[:i])
		for _, j := range b {
			if j <= i {
				continue
			}
			tw := runewidth.StringWidth(s[j:])
			c := choice{kept: hw + tw, even: min(hw, tw)}
			for _, p := range ports {
				if p[1] <= i || p[0] >= j { // not in the part elided
					c.ports++
				}
			}
			if !keepsAddr(spans, i, j) {
				c.ports = 0 // a port alone ("*>…:9000") says less than an address ("*>198.51.100.10…")
			}
			if hasField(s[:i]) && hasField(s[j:]) { // not the "*>" of a one-way flow alone
				c.both = 1
			}
			if c.kept+1 <= w && better(c, best) {
				best, bi, bj = c, i, j
			}
		}
	}
	return s[:bi] + "…" + s[bj:]
}

// keepsAddr reports whether eliding s[i:j] keeps one of the addresses
// (spans: addrSpans) whole.
func keepsAddr(spans [][2]int, i, j int) bool {
	for _, sp := range spans {
		if sp[1] <= i || sp[0] >= j {
			return true
		}
	}
	return false
}

// portSpans returns the byte spans in s of the ports of its addresses
// (spans: addrSpans; 443 of 198.51.100.10:443 or [2001:db8::1]:443).
func portSpans(spans [][2]int, s string) [][2]int {
	var out [][2]int
	for _, sp := range spans {
		if a := s[sp[0]:sp[1]]; !isPlainAddr(a) {
			if c := strings.LastIndexByte(a, ':'); c > 0 {
				out = append(out, [2]int{sp[0] + c + 1, sp[1]})
			}
		}
	}
	return out
}

// hasField reports whether s holds a letter or digit: a field, not
// separators alone.
func hasField(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x80 && isWordChar(byte(r)) || r >= 0x80 }) >= 0
}

// fieldBounds returns the byte offsets in s where a field starts or ends:
// s's ends, each address's (addrSpans) start, end and port separator
// (the last ':' of 198.51.100.10:9000 or [2001:db8::1]:443), and either
// side of each other character that is not a letter or digit (> / *).
func fieldBounds(s string) []int {
	b := []int{0, len(s)}
	spans := addrSpans(s)
	in := make([]bool, len(s))
	for _, sp := range spans {
		b = append(b, sp[0], sp[1])
		for k := sp[0]; k < sp[1]; k++ {
			in[k] = true
		}
		if a := s[sp[0]:sp[1]]; !isPlainAddr(a) {
			if c := strings.LastIndexByte(a, ':'); c > 0 {
				b = append(b, sp[0]+c)
			}
		}
	}
	for k := range len(s) {
		if !in[k] && !isWordChar(s[k]) && s[k] < 0x80 {
			b = append(b, k, k+1)
		}
	}
	slices.Sort(b)
	return slices.Compact(b)
}

// isPlainAddr reports whether a is an address without a port.
func isPlainAddr(a string) bool {
	_, err := netip.ParseAddr(a)
	return err == nil
}
