package queries

import (
	"testing"

	"github.com/mattn/go-runewidth"
)

// TestShortenV6Column: a column of IPv6 flow names in 25 columns (the
// TUI's Flows screen at 60) keeps every row distinct. Per cell, with one
// leading group, 3ffe:501:1800:2345::2 and 3ffe:501:0:1001::2 both read
// 3ffe…2; labelled for the whole column they keep the groups that tell
// them apart, and a name still too wide loses a whole end beside '>' or
// '/', never part of a label (ElideFields wrote 3ffe:…:0…2). Names from
// testdata/pcap/ipv6/zeek_communityid_icmp6.pcap (tmonbench query --sql
// "select name from flows").
func TestShortenV6Column(t *testing.T) {
	in := []string{
		"3ffe:507:0:1:260:97ff:fe07:69ea>3ffe:507:0:1:200:86ff:fe05:80da/icmp6",
		"3ffe:501:1800:2345::2>3ffe:507:0:1:200:86ff:fe05:80da/icmp6",
		"3ffe:501:0:1001::2>3ffe:507:0:1:200:86ff:fe05:80da/icmp6",
		"3ffe:507:0:1:200:86ff:fe05:80da>3ffe:501:0:1001::2/icmp6",
		"fe80::260:97ff:fe07:69ea>ff02::1/icmp6",
	}
	want := []string{
		"3ffe…69ea>3ffe…80da/icmp6",
		"3ffe:501:1800…2>…/icmp6",
		"3ffe:501:0…2>…/icmp6",
		"3ffe…80da>…/icmp6",
		"fe80…69ea>ff02::1/icmp6",
	}
	got := ShortenV6Column(in, 25)
	seen := map[string]bool{}
	for i := range in {
		if got[i] != want[i] {
			t.Errorf("%q: %q, want %q", in[i], got[i], want[i])
		}
		if runewidth.StringWidth(got[i]) > 25 || seen[got[i]] {
			t.Errorf("%q: %q too wide or not distinct", in[i], got[i])
		}
		seen[got[i]] = true
	}
	if got := ShortenV6Column(in[4:], 40); got[0] != in[4] {
		t.Errorf("a name that fits: %q, want it whole", got[0])
	}
	// no long IPv6 address: as they are, for ElideFields cell by cell
	// (which keeps the ports: 198.51.100.10:40171>…:37982/tcp)
	v4 := []string{"198.51.100.10:40171>10.10.1.100:37982/tcp"}
	if got := ShortenV6Column(v4, 31); got[0] != v4[0] {
		t.Errorf("an IPv4 name: %q, want it as it is", got[0])
	}
}
