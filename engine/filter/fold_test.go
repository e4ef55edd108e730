package filter

import (
	"fmt"
	"strings"
	"testing"
)

// TestFold: Fold hands translators the primitives as parsed, with
// libpcap's readings (pcap-filter(7): `net 10.10` is 10.10.0.0/16, a
// reversed portrange is swapped; icmp is IPv4's protocol 1).
func TestFold(t *testing.T) {
	e, err := Parse("net 10.10 and not (tcp src portrange 21-20 or icmp) or ip6 or len > 99")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Fold(e, func(p Primitive) (string, error) {
		var b strings.Builder
		b.WriteString(p.Kind)
		switch p.Kind {
		case "net":
			b.WriteString(" " + p.Prefix.String())
		case "portrange":
			fmt.Fprintf(&b, " %s %s %d %d-%d", p.Qual, p.Dir, p.QualProto, p.Lo, p.Hi)
		case "proto":
			if p.Lo == 1 && p.V4 && !p.V6 {
				b.WriteString(" 1 v4")
			}
		case "len":
			b.WriteString(" " + p.Text)
		}
		return b.String(), nil
	}, func(l, r string) string { return "(" + l + " & " + r + ")" },
		func(l, r string) string { return "(" + l + " | " + r + ")" },
		func(x string) string { return "!" + x })
	want := "(((net 10.10.0.0/16 & !(portrange tcp src 6 20-21 | proto 1 v4)) | ip6) | len len > 99)"
	if err != nil || got != want {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	for w, want := range map[string]bool{"tcp": true, "less": true, "tcp-syn": true, "ether": true, "icmp-echo": true, "link": true, "ftp": false, "TCP": false} {
		if IsKeyword(w) != want {
			t.Errorf("IsKeyword(%q) = %v", w, !want)
		}
	}
}
