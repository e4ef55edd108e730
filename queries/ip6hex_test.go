package queries

import (
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestIP6HexMacro: ip6_hex spells out the IPv6 text the tables hold
// (netip.Addr.String: RFC 5952) as its 32 hex digits, as Go's As16 does,
// for every zero-run shape (leading, trailing, middle, none, all zero)
// and random addresses; NULL for IPv4.
func TestIP6HexMacro(t *testing.T) {
	db := openTest(t)
	addrs := []string{"::", "::1", "1::", "2001:db8::1", "2001:db8::", "fe80::1:2", "2001:db8:0:1:1:1:1:1", "1:2:3:4:5:6:7:8", "ff02::1:ff00:1"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var b [16]byte
		for i := range b {
			if r.IntN(3) > 0 { // zeros often, for "::" runs of every length
				b[i] = byte(r.IntN(256))
			}
		}
		if a := netip.AddrFrom16(b); !a.Is4In6() {
			addrs = append(addrs, a.String())
		}
	}
	for _, s := range addrs {
		res, err := Run(db, "SELECT ip6_hex('"+s+"')")
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		b := netip.MustParseAddr(s).As16()
		if got, want := res.Rows[0][0], hex.EncodeToString(b[:]); got != want {
			t.Errorf("ip6_hex(%s) = %v, want %s", s, got, want)
		}
	}
	if res, err := Run(db, "SELECT ip6_hex('10.0.0.1') IS NULL"); err != nil || res.Rows[0][0] != true {
		t.Errorf("ip6_hex of IPv4: %v %v, want NULL", res, err)
	}
}
