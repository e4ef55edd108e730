package filter

import (
	"errors"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// fuzzPackets are the hand-built dissections of semantics_test.go: IPv4 and
// IPv6, fragments, ICMP error, VLAN tags, non-IP.
var fuzzPackets = []*dissect.Dissection{&tcpSyn, &udpFrag2, &udpFrag1, &dns6, &dns6Frag, &mld, &icmpErr, &arpVLAN, &qinq, &triple}

// FuzzParse: Parse never panics; its errors are *SyntaxError with an offset
// inside the input; anything it accepts compiles, prints a canonical form
// that parses to the same canonical form and the same verdicts, and the
// compiled sieve agrees with Expr.Match on every sample packet.
// Crashers are kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, c := range plainFilters {
		f.Add(c.ours)
	}
	for _, s := range []string{
		"host 1.2.3.4 or 5.6.7.8", "tcp dst port 80 or 443", "not host 1.2.3.4 or 1.2.3.5",
		"host (1.2.3.4 or 5.6.7.8) and not (port 1 or 2)", "vlan 10 and vlan 20 and tcp-syn",
		"net 10 mask 255.0.0.0", "ip6 net 2001:db8::/32 and udp portrange 1-1023", "60 < len",
		`ip proto \tcp`, "dscp 46 or len != 60", "((tcp))", "!(!tcp)", "src and dst host 10.0.0.1 and host 10.0.0.2",
		complexFilter(3), "tcp port x", "(", ")", "host", "net 10.1.2.3/8",
		"tcp[13] & 2 != 0", "ip[6:2] & 0x3fff != 0 or ip[2:2] % 3 + 1 > ip[8]", "-len < 5 and ether[0] = 1",
		"not icmp6[0] / (ip6[7] - 64) > 1", "(((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Parse(%q): bad error %#v", s, err)
			}
			_ = se.Caret()
			return
		}
		sv, err := CompileExprs([]Expr{e})
		if err != nil {
			t.Fatalf("Parse accepted %q but Compile failed: %v", s, err)
		}
		canon := e.String()
		e2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if e2.String() != canon {
			t.Fatalf("canonical form of %q: %q reparses as %q", s, canon, e2.String())
		}
		var set Set
		for i, d := range fuzzPackets {
			want := e.Match(d)
			if e2.Match(d) != want {
				t.Fatalf("%q and its canonical form %q disagree on packet %d", s, canon, i)
			}
			sv.Match(d, &set)
			if set.Has(0) != want || set.Count() != b2i(want) {
				t.Fatalf("%q on packet %d: sieve %v, Expr.Match %v", s, i, set.Has(0), want)
			}
		}
	})
}
