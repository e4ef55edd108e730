package pdu

import "testing"

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
