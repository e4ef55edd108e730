package reasm

import (
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// IPv6 extension header types the tests build (IANA "IPv6 Extension
// Header Types"; walked by dissect.IPv6ExtLen).
const (
	nhHopByHop = 0
	nhAH       = 51 // length in 4-octet units minus 2 (RFC 4302 §2.2)
	nhDestOpts = 60
)

// eth6Frag returns an Ethernet frame holding an IPv6 fragment from
// 2001:db8::1 to 2001:db8::2: fixed header, Fragment header (next header
// nh, offset off, M more, identification id), then data.
func eth6Frag(nh uint8, off int, more bool, id uint32, data []byte) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x86, 0xdd}
	ip := make([]byte, 40, 48+len(data))
	ip[0], ip[6], ip[7] = 0x60, nhFragment, 64
	copy(ip[8:], []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1})
	copy(ip[24:], []byte{0x20, 0x01, 0x0d, 0xb8, 15: 2})
	binary.BigEndian.PutUint16(ip[4:], uint16(8+len(data)))
	om := uint16(off)
	if more {
		om |= 1
	}
	ip = append(ip, nh, 0, byte(om>>8), byte(om), 0, 0, 0, 0)
	binary.BigEndian.PutUint32(ip[44:], id)
	return append(append(b, ip...), data...)
}

// chainFrames builds testdata/v6-short-chain.pcap: three IPv6 datagrams
// whose fragmentable part starts with a Destination Options header (PadN
// only), 0.1 ms apart:
//
//	X id 0x71: Dest Opts (24 bytes) | UDP 40000 > 5000, 1200 bytes; first
//	  fragment 24 bytes: the Dest Opts header only, no UDP header
//	Y id 0x72: Dest Opts (8) | TCP 40001 > 80, 1000 bytes; first
//	  fragment 16 bytes: 8 bytes of the TCP header
//	Z id 0x73: Dest Opts (8) | UDP 40002 > 5000, 1200 bytes; first
//	  fragment 16 bytes: the whole chain, UDP header included
//
// Upper-layer checksums are right (RFC 8200 §8.1).
func chainFrames() []capgen.Frame {
	pseudo := eth6Frag(0, 0, false, 0, nil)[14:] // the addresses, for the checksum
	// part returns a fragmentable part: Dest Opts of dstOpts bytes, then upper
	part := func(dstOpts int, nh uint8, upper []byte) []byte {
		b := make([]byte, dstOpts, dstOpts+len(upper))
		b[0], b[1] = nh, byte(dstOpts/8-1)
		b[2], b[3] = 1, byte(dstOpts-4) // PadN
		sum := icmp6Checksum(pseudo, nh, upper)
		off := 6 // UDP checksum
		if nh == 6 {
			off = 16
		}
		upper[off], upper[off+1] = byte(sum>>8), byte(sum)
		return append(b, upper...)
	}
	udp := func(sport uint16, n int) []byte {
		u := make([]byte, 8+n)
		binary.BigEndian.PutUint16(u, sport)
		binary.BigEndian.PutUint16(u[2:], 5000)
		binary.BigEndian.PutUint16(u[4:], uint16(8+n))
		for i := 8; i < len(u); i++ {
			u[i] = byte('a' + i%26)
		}
		return u
	}
	tcp := make([]byte, 20+1000)
	binary.BigEndian.PutUint16(tcp, 40001)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	binary.BigEndian.PutUint32(tcp[4:], 1)
	tcp[12], tcp[13] = 5<<4, 0x18 // data offset 5 words; PSH, ACK
	binary.BigEndian.PutUint32(tcp[8:], 1)
	binary.BigEndian.PutUint16(tcp[14:], 1000)
	for i := 20; i < len(tcp); i++ {
		tcp[i] = byte('A' + i%26)
	}
	x, y, z := part(24, 17, udp(40000, 1200)), part(8, 6, tcp), part(8, 17, udp(40002, 1200))
	var out []capgen.Frame
	for i, d := range [][]byte{
		eth6Frag(nhDestOpts, 0, true, 0x71, x[:24]), eth6Frag(nhDestOpts, 24, false, 0x71, x[24:]),
		eth6Frag(nhDestOpts, 0, true, 0x72, y[:16]), eth6Frag(nhDestOpts, 16, false, 0x72, y[16:]),
		eth6Frag(nhDestOpts, 0, true, 0x73, z[:16]), eth6Frag(nhDestOpts, 16, false, 0x73, z[16:]),
	} {
		out = append(out, capgen.Frame{TimeNs: capgen.Ms(float64(i) * 0.1), Data: d})
	}
	return out
}

// TestShortHeaderChain: an IPv6 first fragment that does not hold the
// whole header chain through the upper-layer header (RFC 7112 §5; RFC
// 8200 §4.5: "that fragment should be discarded and an ICMP Parameter
// Problem, Code 3, message should be sent") abandons its datagram: it is
// reported Incomplete with ReasonShortChain (incomplete_header_chain),
// counted in Stats.ShortChain, never reassembled. X's first fragment
// ends with its Destination Options header; Y's holds 8 bytes of TCP
// header (Linux, ipv6_frag_thdr_truncated in net/ipv6/reassembly.c,
// wants sizeof(struct tcphdr), 20; 8 for UDP and ICMPv6, 1 otherwise).
// Linux drops the first fragment (IPSTATS_MIB_INHDRERRORS) and the
// queue of the rest times out; here the datagram is given up at once.
// Before, X and Y were reassembled as any datagram.
//
// tshark 4.0 -r testdata/v6-short-chain.pcap -o ipv6.defragment:TRUE
// -T fields -e frame.number -e ipv6.reassembled.length: reassembles all
// three (frames 2, 4 and 6; 1232, 1028 and 1216 bytes, checksums good)
// without an expert note: Wireshark does not check RFC 7112.
func TestShortHeaderChain(t *testing.T) {
	pkts := goldenCapture(t, "v6-short-chain.pcap", chainFrames())
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 1 || done[0].ID != 0x73 || len(done[0].Datagram) != 40+8+8+1200 {
		t.Fatalf("%d reassembled, want Z alone (id 0x73, 1256 bytes)", len(done))
	}
	if len(inc) != 2 {
		t.Fatalf("incomplete %+v, want X and Y", inc)
	}
	for i, id := range []uint32{0x71, 0x72} {
		if g := inc[i]; g.ID != id || g.Reason != ReasonShortChain || g.Fragments != 2 || !g.HaveFirst || !g.HaveLast || g.Protocol != nhDestOpts {
			t.Errorf("incomplete %d: %+v, want id %#x incomplete_header_chain, 2 fragments", i, g, id)
		}
	}
	if inc[0].Reason.String() != "incomplete_header_chain" {
		t.Errorf("reason %q", inc[0].Reason)
	}
	if st := r.Stats(); st.ShortChain != 2 || st.Flushed != 2 || st.Datagrams != 1 || st.Malformed != 0 {
		t.Errorf("stats %+v: want ShortChain 2, Flushed 2, 1 datagram", st)
	}
}

// TestChainShort: the header chain rule on its own. p holds a
// fragmentable part from pos 0; total is where the fragment ends.
func TestChainShort(t *testing.T) {
	dst := func(n int, next uint8) []byte { // a Dest Opts header of n bytes
		b := make([]byte, n)
		b[0], b[1] = next, byte(n/8-1)
		return b
	}
	for _, c := range []struct {
		name  string
		p     []byte
		nh    uint8
		total int // 0: len(p)
		lim   int // 0: len(p)
		want  bool
	}{
		{"UDP header whole", make([]byte, 8), 17, 0, 0, false},
		{"UDP header cut", make([]byte, 7), 17, 0, 0, true},
		{"TCP 16 bytes", make([]byte, 16), 6, 0, 0, true},
		{"TCP 20 bytes", make([]byte, 20), 6, 0, 0, false},
		{"ICMPv6 8 bytes", make([]byte, 8), 58, 0, 0, false},
		{"other protocol, 1 byte", make([]byte, 1), 132, 0, 0, false},
		{"other protocol, none", nil, 132, 0, 0, true},
		{"Dest Opts then nothing", dst(8, 17), nhDestOpts, 0, 0, true},
		{"Dest Opts cut", dst(16, 17)[:8], nhDestOpts, 0, 0, true},
		{"Dest Opts, No Next Header", dst(8, nhNoNext), nhDestOpts, 0, 0, false},
		{"Dest Opts, UDP", append(dst(8, 17), make([]byte, 8)...), nhDestOpts, 0, 0, false},
		{"captured short: not judged", append(dst(8, 17), make([]byte, 8)...)[:8], nhDestOpts, 16, 0, false},
	} {
		total, lim := c.total, c.lim
		if total == 0 {
			total = len(c.p)
		}
		if lim == 0 {
			lim = len(c.p)
		}
		if got := chainShort(c.p, 0, total, lim, c.nh); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
