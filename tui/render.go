package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/queries"
)

// fit makes s exactly h lines of exactly w cells: longer lines are cut
// (ANSI-aware), shorter ones padded, missing lines added.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = pad(l, w)
	}
	return strings.Join(lines, "\n")
}

// pad cuts or pads one line to w cells.
func pad(l string, w int) string {
	n := ansi.StringWidth(l)
	if n > w {
		return ansi.Truncate(l, w, "…")
	}
	return l + strings.Repeat(" ", w-n)
}

// cut shortens plain text to w cells with an ellipsis.
func cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fmtTime prints a capture time in UTC with microseconds.
func fmtTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000")
}

// binText writes a bin width of s seconds in the unit that keeps it
// short: "250 ms", "1.5 s", "12 min", "3.2 h", "11.8 d" (a strip over
// captures days apart is not "1.02e+06 s").
func binText(s float64) string {
	switch {
	case s < 1e-3:
		return fmt.Sprintf("%.3g µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.3g ms", s*1e3)
	case s < 120:
		return fmt.Sprintf("%.3g s", s)
	case s < 2*3600:
		return fmt.Sprintf("%.3g min", s/60)
	case s < 2*86400:
		return fmt.Sprintf("%.3g h", s/3600)
	}
	return fmt.Sprintf("%.3g d", s/86400)
}

// fmtClock prints a capture time of day in UTC with microseconds.
func fmtClock(ns int64) string {
	return time.Unix(0, ns).UTC().Format("15:04:05.000000")
}

// stamp prints a capture time as the output's times are shown: the time
// of day when the output lies within one UTC day, else with its date
// (ISO 8601, "2020-12-08 19:10:08.018993"); see spanDated.
func stamp(ns int64, dated bool) string {
	if dated {
		return fmtTime(ns)
	}
	return fmtClock(ns)
}

// spanDated reports whether capture times from lo to hi (Unix ns) need
// their date: they do not all fall on one UTC day (the TUI shows UTC, as
// queries.TimeZone). A TUI decides it once per output, from its first and
// last seen (outputSpan), not per row: a column sorted by time that
// crosses midnight must not read 23:59:59 then 00:00:01 without dates.
func spanDated(lo, hi int64) bool {
	const day = 86400 * int64(1e9)
	floor := func(ns int64) int64 { // floor division: times before 1970 too
		d := ns / day
		if ns%day < 0 {
			d--
		}
		return d
	}
	return floor(lo) != floor(hi)
}

// cell formats a value for a table cell: times with µs (time of day, or
// with the date when dated: see spanDated), floats with six significant
// digits, NULL as "·", a newline as a space, other control characters
// and BLOBs written out as the query formats print them (\x00, \x1B:
// queries.EscapeControls, queries.BlobText), never raw to the terminal.
func cell(v any, typ string, dated bool) string {
	switch x := v.(type) {
	case nil:
		return "·"
	case time.Time:
		if typ == "DATE" { // a day: its midnight read 00:00:00.000000
			return x.UTC().Format("2006-01-02")
		}
		if dated {
			return x.UTC().Format("2006-01-02 15:04:05.000000")
		}
		return x.UTC().Format("15:04:05.000000")
	case float64:
		return fmtFloat(x)
	case float32:
		return fmtFloat(float64(x))
	case string:
		return queries.EscapeControls(strings.ReplaceAll(x, "\n", " "))
	case []byte:
		return queries.BlobText(x, typ)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e, "", dated)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

func fmtFloat(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'g', -1, 64)
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case math.Abs(f) >= 1e6:
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// human prints a count with thousands separators.
func human(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesIEC prints a byte count as B, KiB, MiB, GiB.
func bytesIEC(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// wrapItems joins items (styled or not) with sep into lines of at most w
// columns, breaking only between two items: a value such as "bytes
// 5,431,336 (5.2 MiB)" stays whole on one line. An item wider than w
// alone is wrapped on its own lines.
func wrapItems(w int, sep string, items ...string) string {
	var lines []string
	line, lw := "", 0
	sw := ansi.StringWidth(sep) // " · " is 3 cells, 4 bytes
	for _, it := range items {
		iw := ansi.StringWidth(it)
		switch {
		case lw == 0 && iw > w:
			lines = append(lines, ansi.Wrap(it, w, " "))
		case lw == 0:
			line, lw = it, iw
		case lw+sw+iw <= w:
			line, lw = line+sep+it, lw+sw+iw
		default:
			lines = append(lines, line)
			line, lw = "", 0
			if iw > w {
				lines = append(lines, ansi.Wrap(it, w, " "))
			} else {
				line, lw = it, iw
			}
		}
	}
	if lw > 0 {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
