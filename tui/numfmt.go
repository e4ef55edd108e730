package tui

import (
	"math"
	"strconv"
	"strings"
)

// Floating-point columns (rtt_ms, duration_s, throughput_mbps, a SQL
// expression's sums) are drawn with one number of decimals per column, so
// that their decimal points line up under the right-aligned header:
// 12.649, 5.958, 1.934 rather than 12.6492, 5.958, 1.9343 (six
// significant digits, cell's format, which a column of round trips reads
// as ragged).

// floatDecimalsMax is the most decimals a float column named name shows:
// time quantities to the microsecond, as the TUI shows its times (_s 6,
// _ms 3, _us 0), rates to the kbit/s (_mbps 3), shares to 0.01 %
// (_pct 2); a column without a unit in its name shows up to 6.
func floatDecimalsMax(name string) int {
	for _, u := range []struct {
		suffix string
		dec    int
	}{{"_s", 6}, {"_ms", 3}, {"_us", 0}, {"_mbps", 3}, {"_pct", 2}} {
		if strings.HasSuffix(name, u.suffix) {
			return u.dec
		}
	}
	return 6
}

// isFloat reports whether a DuckDB type is drawn with fixed decimals.
func isFloat(typ string) bool { return typ == "FLOAT" || typ == "DOUBLE" }

// floatDecimals returns the decimals of a float column named name over
// the values shown (vals): as many as the value that needs the most under
// cell's six significant digits (0 when every value is whole, as a
// column of interval_s 60 is), at most floatDecimalsMax(name).
func floatDecimals(name string, vals []any) int {
	most := floatDecimalsMax(name)
	d := 0
	for _, v := range vals {
		f, ok := asFloat(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := fmtFloat(f)
		if strings.ContainsAny(s, "eE") { // 1.5e-05: beyond six decimals
			return most
		}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			d = max(d, len(s)-i-1)
		}
	}
	return min(d, most)
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

// columnCells formats the values of one column shown together (a table's
// window, a result's page): a float column with floatDecimals decimals
// (NULL "·", NaN and Inf as cell), any other as cell.
func columnCells(name, typ string, vals []any, dated bool) []string {
	out := make([]string, len(vals))
	dec := -1
	if isFloat(typ) {
		dec = floatDecimals(name, vals)
	}
	for i, v := range vals {
		f, ok := asFloat(v)
		if dec < 0 || !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			out[i] = cell(v, typ, dated)
			continue
		}
		out[i] = strconv.FormatFloat(f, 'f', dec, 64)
	}
	return out
}
