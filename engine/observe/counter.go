package observe

import "strings"

// CounterName is the snake_case name under which a Stats counter (a Go
// field name) is written in the *_totals events, " name=value" (the
// probe's tcp_totals, rtt_totals, ..., the collector's oneway_totals):
// TooLong -> too_long, TSRingFull -> ts_ring_full, IP -> ip,
// EarlySYNsDropped -> early_syns_dropped (an acronym's plural s stays with
// it, as in the tcp_connections column client_stray_syns).
func CounterName(field string) string {
	var b strings.Builder
	r := []rune(field)
	isUp := func(i int) bool { return i < len(r) && r[i] >= 'A' && r[i] <= 'Z' }
	for i, c := range r {
		up := isUp(i)
		plural := i+1 < len(r) && r[i+1] == 's' && (i+2 == len(r) || isUp(i+2))
		startsWord := i+1 < len(r) && r[i+1] >= 'a' && r[i+1] <= 'z' && !plural
		if up && i > 0 && (!isUp(i-1) || startsWord) {
			b.WriteByte('_')
		}
		if up {
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}
