package pkt

import "strings"

// Nouns is the message s for a count n: each "[s]" in s is dropped when n
// is 1 and becomes "s" otherwise, each "[a|b]" becomes a when n is 1 and
// b otherwise. Nouns(1, "1 packet[s] with bad_option") is "1 packet with
// bad_option", Nouns(2, "2 histor[y|ies]") "2 histories". For event
// messages and command output (once per interval or run, never per
// packet: it allocates when s has a marker).
func Nouns[N ~int | ~int32 | ~int64 | ~uint32 | ~uint64](n N, s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "[")
		j := strings.Index(s[max(i, 0):], "]")
		if i < 0 || j < 0 {
			b.WriteString(s)
			return b.String()
		}
		j += i
		b.WriteString(s[:i])
		one, many := "", s[i+1:j]
		if k := strings.IndexByte(many, '|'); k >= 0 {
			one, many = many[:k], many[k+1:]
		}
		if n == 1 {
			b.WriteString(one)
		} else {
			b.WriteString(many)
		}
		s = s[j+1:]
	}
}
