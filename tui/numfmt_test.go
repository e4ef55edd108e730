package tui

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestColumnCells: a float column's values get one number of decimals,
// from the unit in its name (time to the µs, as the TUI's times) and the
// values shown; other columns are cell's.
func TestColumnCells(t *testing.T) {
	cases := []struct {
		name, typ string
		vals      []any
		want      []string
	}{
		// the RTT screen's first rows (lab dns-snmp-ntp A): six significant
		// digits gave 12.6492, 5.958, 1.9343, their points apart
		{"rtt_ms", "DOUBLE", []any{12.64923, 5.958, 1.9343, nil}, []string{"12.649", "5.958", "1.934", "·"}},
		{"rtt_ms", "DOUBLE", []any{0.000012}, []string{"0.000"}}, // below the µs: 1.2e-05 was printed
		{"interval_s", "DOUBLE", []any{60.0, 1.0}, []string{"60", "1"}},
		{"duration_s", "DOUBLE", []any{0.048235, 12.5}, []string{"0.048235", "12.500000"}},
		{"delay_us", "DOUBLE", []any{1234.567, 17.0}, []string{"1235", "17"}},
		{"throughput_mbps", "DOUBLE", []any{2.0, 4.34567}, []string{"2.000", "4.346"}},
		{"overhead_pct", "DOUBLE", []any{3.14159}, []string{"3.14"}},
		{"sum", "DOUBLE", []any{1.5, 2.0, 3.25}, []string{"1.50", "2.00", "3.25"}},
		{"sum", "DOUBLE", []any{math.NaN(), 2.5}, []string{"NaN", "2.5"}},
		{"rtt_ms", "FLOAT", []any{float32(1.5), float32(2)}, []string{"1.5", "2.0"}}, // as many as the values need
		{"packets", "BIGINT", []any{int64(7)}, []string{"7"}},
		{"name", "VARCHAR", []any{"a\nb"}, []string{"a b"}},
	}
	for _, c := range cases {
		if got := columnCells(c.name, c.typ, c.vals, false); !slices.Equal(got, c.want) {
			t.Errorf("columnCells(%s %s, %v) = %q, want %q", c.name, c.typ, c.vals, got, c.want)
		}
	}
}

// TestRTTDecimalsAligned: the RTT screen (lab FTP capture, rtt_ms
// descending) draws every rtt_ms with three decimals, their points in one
// screen column under a right-aligned header; the first is the lab's
// largest SYN→SYN/ACK (ground_truth.json, µs with three decimals) in ms,
// rounded to the µs.
func TestRTTDecimalsAligned(t *testing.T) {
	m, press, expect := screenModel(t, replayed(t, ftpLab))
	press("5")
	expect("rtt", "sorted by rtt_ms ↓")
	var maxUs float64
	for _, c := range labConnections(t) {
		if c.SawSyn {
			maxUs = max(maxUs, c.HandshakeUs)
		}
	}
	lines := strings.Split(plain(m), "\n")
	hdr := lines[2]
	at := strings.Index(hdr, "rtt_ms")
	if at < 0 {
		t.Fatalf("no rtt_ms header: %q", hdr)
	}
	end := at + len("rtt_ms") // byte offsets: the header and the cells left of it are ASCII
	n, point := 0, -1
	for _, l := range lines[3:] {
		if !strings.Contains(l, "tcp_handshake") || len(l) < end {
			continue
		}
		f := strings.Fields(l[:end])
		v := f[len(f)-1]
		if n == 0 {
			if want := strconv.FormatFloat(maxUs/1000, 'f', 3, 64); v != want {
				t.Errorf("first rtt_ms %q, lab truth %v µs: want %q", v, maxUs, want)
			}
		}
		p := strings.LastIndex(l[:end], ".")
		if i := strings.IndexByte(v, '.'); i < 0 || len(v)-i-1 != 3 || l[end-1] == ' ' {
			t.Errorf("rtt_ms %q in %q: want three decimals ending under the header's end", v, l)
		}
		if point >= 0 && p != point {
			t.Errorf("rtt_ms %q's point at %d, the first row's at %d:\n%s", v, p, point, strings.Join(lines, "\n"))
		}
		point = p
		n++
	}
	if n < 5 {
		t.Fatalf("%d rtt rows seen:\n%s", n, strings.Join(lines, "\n"))
	}
}
