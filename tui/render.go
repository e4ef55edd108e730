package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
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

// fmtClock prints a capture time of day in UTC with microseconds.
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

func fmtClock(ns int64) string {
	return time.Unix(0, ns).UTC().Format("15:04:05.000000")
}

// cell formats a value for a table cell: times of day with µs, floats
// with six significant digits, NULL as "·".
func cell(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "·"
	case time.Time:
		return x.UTC().Format("15:04:05.000000")
	case float64:
		return fmtFloat(x)
	case float32:
		return fmtFloat(float64(x))
	case string:
		return strings.ReplaceAll(x, "\n", " ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e, "")
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
