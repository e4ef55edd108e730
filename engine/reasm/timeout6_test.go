package reasm

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// -update rewrites the generated captures under testdata/ (capgen.Golden
// reads the flag by name).
var _ = flag.Bool("update", false, "rewrite the generated captures under testdata/")

// goldenCapture writes frames as testdata/name (capgen.Golden: compared
// with the committed file, rewritten by -update) and reads it back as the
// probe would (replay, dissect).
func goldenCapture(t *testing.T, name string, frames []capgen.Frame) []testPkt {
	t.Helper()
	path, err := filepath.Abs(capgen.Golden(t, filepath.Join("testdata", name), capgen.PCAP(frames, true)))
	if err != nil {
		t.Fatal(err)
	}
	return readCapture(t, path)
}

// timeoutFrames builds testdata/timeout-per-version.pcap: three UDP
// datagrams of 2992 payload bytes, in 1232-byte fragments (IPv6) or
// 1480-byte ones (IPv4), whose last fragment comes late:
//
//	A IPv6 id 0x6a: fragments at 0 and 0.1 ms, the last at 45 s
//	B IPv4 id 0x4b: fragments at 0.2 and 0.3 ms, the last at 45.0001 s
//	C IPv6 id 0x6c: fragments at 0.4 and 0.5 ms, the last at 61 s
func timeoutFrames() []capgen.Frame {
	body := bytes.Repeat([]byte("0123456789abcdef"), 3000/16)
	a := capgen.Fragment6(capgen.UDP{Src: capgen.AP("[2001:db8::1]:40000"), Dst: capgen.AP("[2001:db8::2]:5000"), Payload: body}.Frame(), 1232, 0x6a)
	b := capgen.Fragment4(capgen.UDP{Src: capgen.AP("192.0.2.1:40001"), Dst: capgen.AP("198.51.100.2:5000"), IPID: 0x4b, Payload: body}.Frame(), 1480)
	c := capgen.Fragment6(capgen.UDP{Src: capgen.AP("[2001:db8::1]:40002"), Dst: capgen.AP("[2001:db8::2]:5000"), Payload: body}.Frame(), 1232, 0x6c)
	at := func(ms float64, d []byte) capgen.Frame { return capgen.Frame{TimeNs: capgen.Ms(ms), Data: d} }
	return []capgen.Frame{
		at(0, a[0]), at(0.1, a[1]), at(0.2, b[0]), at(0.3, b[1]), at(0.4, c[0]), at(0.5, c[1]),
		at(45000, a[2]), at(45000.1, b[2]), at(61000, c[2]),
	}
}

// TestTimeoutPerVersion: an IPv6 reassembly is given up 60 s after its
// first fragment (RFC 8200 §4.5: "within 60 seconds of the reception of
// the first-arriving fragment"; Linux IPV6_FRAG_TIMEOUT, 60*HZ, in
// include/net/ipv6.h, sysctl ip6frag_time), an IPv4 one after 30 s (Linux
// IP_FRAG_TIME, 30*HZ, in include/net/ip.h, sysctl ipfrag_time). Before,
// IPv6 took IPv4's 30 s: A was reported Incomplete and never reassembled.
//
// tshark 4.0 keeps no reassembly timeout at all: tshark -r
// testdata/timeout-per-version.pcap -o ip.defragment:TRUE -o
// ipv6.defragment:TRUE -Y 'ip.reassembled.length or
// ipv6.reassembled.length' reassembles all three (frames 7, 8 and 9),
// B and C included, which Linux would have given up.
func TestTimeoutPerVersion(t *testing.T) {
	pkts := goldenCapture(t, "timeout-per-version.pcap", timeoutFrames())
	r := New(DefaultConfig())
	if c := r.Config(); c.TimeoutNs != 30e9 || c.IPv6TimeoutNs != 60e9 {
		t.Fatalf("default timeouts %d and %d ns, want 30e9 and 60e9", c.TimeoutNs, c.IPv6TimeoutNs)
	}
	done, inc := feed(t, r, pkts)
	if len(done) != 1 || done[0].IPVersion != 6 || done[0].ID != 0x6a || done[0].Fragments != 3 ||
		done[0].FirstNs != capgen.Ms(0) || done[0].LastNs != capgen.Ms(45000) || len(done[0].Datagram) != 40+8+2992 {
		for _, d := range done {
			t.Errorf("reassembled IPv%d id %#x: %d fragments, %d..%d ns, %d bytes", d.IPVersion, d.ID, d.Fragments, d.FirstNs, d.LastNs, len(d.Datagram))
		}
		t.Fatalf("want A alone (IPv6 id 0x6a, 3 fragments, 0 to 45 s, 3040 bytes)")
	}
	type want struct {
		version   uint8
		id        uint32
		fragments int
		reason    Reason
	}
	wants := []want{
		{4, 0x4b, 2, ReasonTimeout}, // B at 45 s: 30 s after 0.2 ms
		{6, 0x6c, 2, ReasonTimeout}, // C at 61 s: 60 s after 0.4 ms
		{4, 0x4b, 1, ReasonFlush},   // B's last fragment, a context of its own
		{6, 0x6c, 1, ReasonFlush},   // C's last fragment
	}
	if len(inc) != len(wants) {
		t.Fatalf("incomplete %+v, want %d", inc, len(wants))
	}
	for i, w := range wants {
		if g := inc[i]; g.IPVersion != w.version || g.ID != w.id || g.Fragments != w.fragments || g.Reason != w.reason {
			t.Errorf("incomplete %d: %+v, want %+v", i, g, w)
		}
	}
}

// TestExpirePerVersion: contexts are listed per IP version, so an IPv4
// context created after an IPv6 one still expires first when its deadline
// is: IPv6 at 0 (deadline 60 s), IPv4 at 10 s (deadline 40 s). A single
// arrival-ordered list would hold the IPv4 one behind the IPv6 head until
// 60 s. Flush and eviction still take the oldest by arrival.
func TestExpirePerVersion(t *testing.T) {
	body := seqBody(64)
	r := New(DefaultConfig())
	s6 := fragSpec{off: 0, n: 16, mf: true, timeNs: 0}
	add(t, r, build6(6, 17, nil, nil, body, s6), s6)
	s4 := fragSpec{off: 0, n: 16, mf: true, timeNs: 10e9}
	add(t, r, build4(4, 17, nil, body, s4), s4)
	if inc := collect(r, 39_999_999_999, false); len(inc) != 0 {
		t.Fatalf("expired early: %+v", inc)
	}
	if inc := collect(r, 40e9, false); len(inc) != 1 || inc[0].IPVersion != 4 || inc[0].Reason != ReasonTimeout {
		t.Fatalf("at 40 s: %+v, want the IPv4 context", inc)
	}
	if inc := collect(r, 60e9, false); len(inc) != 1 || inc[0].IPVersion != 6 || inc[0].Reason != ReasonTimeout {
		t.Fatalf("at 60 s: %+v, want the IPv6 context", inc)
	}
	// Eviction (MaxDatagrams 2) takes the first arrived, across versions.
	r = New(Config{MaxDatagrams: 2})
	add(t, r, build6(7, 17, nil, nil, body, s6), s6)
	add(t, r, build4(8, 17, nil, body, s4), s4)
	s := fragSpec{off: 0, n: 16, mf: true, timeNs: 11e9}
	add(t, r, build4(9, 17, nil, body, s), s)
	inc := collect(r, 0, true)
	if len(inc) != 3 || inc[0].ID != 7 || inc[0].Reason != ReasonEvicted || inc[1].ID != 8 || inc[2].ID != 9 || inc[2].Reason != ReasonFlush {
		t.Fatalf("eviction and flush order %+v, want 7 evicted, then 8 and 9 flushed", inc)
	}
}
