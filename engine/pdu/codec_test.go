package pdu

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
)

// TestAddrString: the one address-column codec of the row records (ftp,
// rtt, tcpconn) gives back every string unchanged, spends 1, 5 or 17
// bytes on empty and canonical addresses, and does not allocate.
func TestAddrString(t *testing.T) {
	for _, c := range []struct {
		s     string
		bytes int
	}{
		{"", 1}, {"10.0.0.1", 5}, {"2001:db8::1", 17}, {"::ffff:1.2.3.4", 17},
		{"010.0.0.1", 11}, {"fe80::1%eth0", 14}, {"2001:DB8::1", 13}, {"host.example", 14},
	} {
		var e Enc
		e.AddrString(c.s)
		e.Byte(0x7f) // the next field is untouched
		if len(e.B) != c.bytes+1 {
			t.Errorf("%q: %d bytes, want %d", c.s, len(e.B)-1, c.bytes)
		}
		d := Dec{B: e.B}
		if got := d.AddrString(); got != c.s || d.Byte() != 0x7f || d.Err() != nil || !d.Done() {
			t.Errorf("%q: read back %q (err %v)", c.s, got, d.Err())
		}
	}
	e := Enc{B: make([]byte, 0, 64)}
	if n := testing.AllocsPerRun(100, func() { e.B = e.B[:0]; e.AddrString("2001:db8::1") }); n != 0 {
		t.Errorf("AddrString allocates %v times", n)
	}
}

// TestAddrStringIPv4Fast: AddrString's dotted-quad path (canonicalIPv4)
// writes the bytes of its general path (ParseAddr, the canonical-text
// check, Addr; addrStringGeneral below) for every string: canonical
// addresses (tag 4 and the 4 bytes), and the near misses netip refuses or
// does not print so (leading zeros, octets past 255, missing or extra
// parts, zones, spaces), which stay text (tag 1).
func TestAddrStringIPv4Fast(t *testing.T) {
	cases := []string{"0.0.0.0", "255.255.255.255", "10.0.0.1", "192.0.2.10", "1.2.3.4",
		"256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "00.0.0.0", "1.2.3", "1.2.3.4.5", "1.2.3.4 ", " 1.2.3.4",
		"1234.1.1.1", "1.2.3.1234", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4%eth0", "::ffff:1.2.3.4", "a.b.c.d", "1.2.3.-4", "999.999.999.999"}
	r := rand.New(rand.NewPCG(14, 14))
	for range 2000 {
		var parts [4]string
		for k := range parts {
			parts[k] = strconv.Itoa(r.IntN(300))
			if r.IntN(20) == 0 {
				parts[k] = "0" + parts[k]
			}
		}
		cases = append(cases, parts[0]+"."+parts[1]+"."+parts[2]+"."+parts[3])
	}
	for _, s := range cases {
		var got, want Enc
		got.AddrString(s)
		if s == "" {
			want.Addr(netip.Addr{})
		} else {
			want.addrStringParsed(s)
		}
		if string(got.B) != string(want.B) {
			t.Errorf("%q: % x, want % x", s, got.B, want.B)
		}
	}
	var e Enc
	e.AddrString("192.0.2.10")
	if want := []byte{4, 192, 0, 2, 10}; string(e.B) != string(want) {
		t.Errorf("192.0.2.10: % x, want % x", e.B, want)
	}
}
