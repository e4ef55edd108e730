package pkt

import "testing"

// TestNouns: singular for 1, plural otherwise (0 included: "0 packets").
func TestNouns(t *testing.T) {
	for _, c := range []struct {
		n    int
		s    string
		want string
	}{
		{1, "1 packet[s] with tcp_bad_option", "1 packet with tcp_bad_option"},
		{2, "2 packet[s] with tcp_bad_option", "2 packets with tcp_bad_option"},
		{0, "0 file[s]", "0 files"},
		{1, "1 tcp_connections histor[y|ies] cut", "1 tcp_connections history cut"},
		{3, "3 tcp_connections histor[y|ies] cut", "3 tcp_connections histories cut"},
		{1, "no marker [", "no marker ["},
	} {
		if got := Nouns(c.n, c.s); got != c.want {
			t.Errorf("Nouns(%d, %q) = %q, want %q", c.n, c.s, got, c.want)
		}
	}
}
