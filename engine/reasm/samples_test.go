package reasm

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func fragFile(t *testing.T, dir, name string) []testPkt {
	t.Helper()
	return readCapture(t, filepath.Join(samplesDir(t), "pcap", dir, name))
}

// checkIPv4 verifies the reassembled IPv4 header: total length, MF and
// offset cleared, header checksum valid.
func checkIPv4(t *testing.T, dg []byte) {
	t.Helper()
	hl := int(dg[0]&0x0f) * 4
	if got := int(binary.BigEndian.Uint16(dg[2:])); got != len(dg) {
		t.Errorf("total length %d, datagram %d bytes", got, len(dg))
	}
	if fl := binary.BigEndian.Uint16(dg[6:]); fl&0x3fff != 0 {
		t.Errorf("flags/offset %#04x: MF or offset left set", fl)
	}
	if c := checksum(dg[:hl]); c != 0 {
		t.Errorf("IPv4 header checksum does not verify (%#04x)", c)
	}
}

// TestChrisSandersIPv4 reassembles 8 ICMP echo datagrams of 3 in-order
// fragments each.
func TestChrisSandersIPv4(t *testing.T) {
	pkts := fragFile(t, "ipv4-fragments", "chrissanders_ppa1e_ipfragments.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	// tshark -r chrissanders_ppa1e_ipfragments.pcap -o ip.defragment:TRUE \
	//   -Y ip.reassembled.length -T fields -e ip.id -e ip.reassembled.length
	// -> 8 rows, ids 0x61d1 0x4fd8 0x61d4 0x4fd9 0x61e3 0x4fda 0x61e4 0x4fdb,
	//    each 3080 bytes of IP payload (+20-byte header = 3100).
	wantIDs := []uint32{0x61d1, 0x4fd8, 0x61d4, 0x4fd9, 0x61e3, 0x4fda, 0x61e4, 0x4fdb}
	if len(done) != 8 || len(inc) != 0 {
		t.Fatalf("complete %d incomplete %d, want 8 and 0", len(done), len(inc))
	}
	for i, res := range done {
		if res.ID != wantIDs[i] || len(res.Datagram) != 3100 || res.Fragments != 3 || res.IPVersion != 4 {
			t.Errorf("datagram %d: id %#x len %d frags %d v%d, want id %#x len 3100 frags 3 v4",
				i, res.ID, len(res.Datagram), res.Fragments, res.IPVersion, wantIDs[i])
		}
		checkIPv4(t, res.Datagram)
		// The ICMP checksum covers the whole 3080-byte message: it only
		// verifies if every fragment landed at its place.
		if c := checksum(res.Datagram[20:]); c != 0 {
			t.Errorf("datagram %d: ICMP checksum does not verify", i)
		}
	}
	// tshark -r ... -T fields -e frame.number -e frame.time_epoch -e ip.id
	// frames 1 and 3 (id 0x61d1): 1168038824.117936000, 1168038824.118030000
	if done[0].FirstNs != 1168038824117936000 || done[0].LastNs != 1168038824118030000 {
		t.Errorf("first datagram times %d..%d", done[0].FirstNs, done[0].LastNs)
	}
	// frames 22 and 24 (id 0x4fdb): 1168038827.124050000, 1168038827.124433000
	if done[7].FirstNs != 1168038827124050000 || done[7].LastNs != 1168038827124433000 {
		t.Errorf("last datagram times %d..%d", done[7].FirstNs, done[7].LastNs)
	}
	st := r.Stats()
	if st.Fragments != 24 || st.Datagrams != 8 || st.Overlaps != 0 || st.Duplicates != 0 || r.Len() != 0 {
		t.Errorf("stats %+v len %d", st, r.Len())
	}
}

// TestZeekFragmented1 has an overlapping offset-0 fragment filling a hole.
//
// tshark -r zeek_ipv4_fragmented-1.pcap -T fields -e ip.flags.mf -e ip.frag_offset -e ip.len
// -> (1, 0, 38) (0, 48, 136) (1, 0, 324); Wireshark reassembles 164 bytes.
func TestZeekFragmented1(t *testing.T) {
	pkts := fragFile(t, "ipv4-fragments", "zeek_ipv4_fragmented-1.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 1 || len(inc) != 0 {
		t.Fatalf("complete %d incomplete %d, want 1 and 0", len(done), len(inc))
	}
	dg := done[0].Datagram
	if len(dg) != 20+164 || done[0].Fragments != 3 {
		t.Fatalf("len %d frags %d, want 184 and 3", len(dg), done[0].Fragments)
	}
	checkIPv4(t, dg)
	// First wins: bytes 0-15 from frame 1 (18 bytes trimmed to 16, MF set),
	// 16-47 from frame 3, 48-163 from frame 2. (Wireshark lets the later
	// frame 3 overwrite, so its bytes differ from 18 on.)
	f1 := pkts[0].data[14+20:]
	f2 := pkts[1].data[14+20 : 14+136]
	f3 := pkts[2].data[14+20:]
	want := append(append(append([]byte(nil), f1[:16]...), f3[16:48]...), f2...)
	if !bytes.Equal(dg[20:], want) {
		t.Errorf("payload\n%x\nwant\n%x", dg[20:], want)
	}
	st := r.Stats()
	if st.Overlaps != 1 || st.Unaligned != 1 || st.Duplicates != 0 {
		t.Errorf("stats %+v: want 1 overlap, 1 unaligned", st)
	}
}

// TestZeekFragmented2 leaves a hole and repeats the first fragment.
//
// tshark -r zeek_ipv4_fragmented-2.pcap -T fields -e ip.flags.mf -e ip.frag_offset -e ip.len
// -> (1, 0, 38) (0, 48, 136) (1, 0, 38): no reassembly.
func TestZeekFragmented2(t *testing.T) {
	pkts := fragFile(t, "ipv4-fragments", "zeek_ipv4_fragmented-2.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 0 || len(inc) != 1 {
		t.Fatalf("complete %d incomplete %d, want 0 and 1", len(done), len(inc))
	}
	in := inc[0]
	want := Incomplete{
		Iface: 0, IPVersion: 4,
		SrcAddr:  netip.MustParseAddr("164.1.123.163"),
		DstAddr:  netip.MustParseAddr("164.1.123.61"),
		Protocol: 17, ID: 0xf2,
		FirstNs:   pkts[0].d.Meta.TimeNs, // 950988235.200823
		LastNs:    pkts[1].d.Meta.TimeNs, // 950988235.200928: the duplicate (frame 3) does not count
		Fragments: 2,
		BytesHave: 16 + 116, TotalBytes: 164,
		HaveFirst: true, HaveLast: true,
		Reason: ReasonFlush,
	}
	if in != want {
		t.Errorf("incomplete\n%+v\nwant\n%+v", in, want)
	}
	if in.FirstNs != 950988235200823000 || in.LastNs != 950988235200928000 {
		t.Errorf("times %d..%d", in.FirstNs, in.LastNs)
	}
	if st := r.Stats(); st.Duplicates != 1 || st.Flushed != 1 || st.Fragments != 3 {
		t.Errorf("stats %+v: want 1 duplicate, 1 flushed, 3 fragments", st)
	}
}

// TestZeekFragmented3 never sends its last fragment.
//
// tshark -r zeek_ipv4_fragmented-3.pcap -T fields -e ip.flags.mf -e ip.frag_offset
// -> MF=1 at offsets 0, 1480, 2960, 4440, 5920 (ip.len 1500 each).
func TestZeekFragmented3(t *testing.T) {
	pkts := fragFile(t, "ipv4-fragments", "zeek_ipv4_fragmented-3.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 0 || len(inc) != 1 {
		t.Fatalf("complete %d incomplete %d, want 0 and 1", len(done), len(inc))
	}
	in := inc[0]
	if in.Fragments != 5 || in.BytesHave != 5*1480 || !in.HaveFirst || in.HaveLast ||
		in.TotalBytes != 0 || in.Protocol != 6 || in.ID != 0x4bc5 || in.Reason != ReasonFlush {
		t.Errorf("incomplete %+v", in)
	}
	// frame 1 964750760.184607, frame 5 964750760.259631
	if in.FirstNs != 964750760184607000 || in.LastNs != 964750760259631000 {
		t.Errorf("times %d..%d", in.FirstNs, in.LastNs)
	}
	// With a 50 ms timeout, Expire at frame 4 (+55.3 ms) gives up frames
	// 1-3 (ReasonTimeout); frames 4-5 start a new context, flushed at the end.
	r = New(Config{TimeoutNs: 50_000_000})
	done, inc = feed(t, r, pkts)
	if len(done) != 0 || len(inc) != 2 || inc[0].Reason != ReasonTimeout || inc[0].Fragments != 3 ||
		inc[1].Reason != ReasonFlush || inc[1].Fragments != 2 {
		t.Errorf("50 ms timeout: done %d inc %+v", len(done), inc)
	}
}

// TestZeekFragmented4 sends an HTTP request in 4 fragments out of order
// with an overlap (offsets 0, 48, 72, then 24 over 48-71).
//
// tshark -r zeek_ipv4_fragmented-4.pcap -o ip.defragment:TRUE -Y ip.reassembled.length \
//
//	-T fields -e ip.reassembled.length   -> 89
func TestZeekFragmented4(t *testing.T) {
	pkts := fragFile(t, "ipv4-fragments", "zeek_ipv4_fragmented-4.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 1 || len(inc) != 0 {
		t.Fatalf("complete %d incomplete %d, want 1 and 0", len(done), len(inc))
	}
	dg := done[0].Datagram
	if len(dg) != 20+89 || done[0].Fragments != 4 {
		t.Fatalf("len %d frags %d", len(dg), done[0].Fragments)
	}
	checkIPv4(t, dg)
	tcp := dg[20:]
	payload := string(tcp[int(tcp[12]>>4)*4:])
	if !strings.HasPrefix(payload, "GET ") {
		t.Fatalf("TCP payload %q does not start with GET", payload)
	}
	// First wins keeps bytes 48-71 from the fragment at 48 ("winnt/system32/cm"),
	// the classic evasion: Wireshark (last wins) shows the decoy
	// "RKNWUrdooM+WskO2IiALQTI\x00" instead.
	const want = "GET /msadc/..%2f../..%2f../..%2f../winnt/system32/cmd.exe?/c+dir+c:\\\n"
	if payload != want {
		t.Errorf("payload %q\nwant    %q", payload, want)
	}
	if st := r.Stats(); st.Overlaps != 1 {
		t.Errorf("overlaps %d, want 1", st.Overlaps)
	}
}

// TestTeardrop: the second fragment (offset 24, 4 bytes, MF=0) lies inside
// the first (36 bytes, MF=1, trimmed to 32).
//
// tshark -r lwerdna_teardrop.pcap -o ip.defragment:TRUE -Y ip.reassembled.length \
//
//	-T fields -e frame.number -e ip.reassembled.length   -> 9  28
func TestTeardrop(t *testing.T) {
	pkts := fragFile(t, "ipv4-fragments", "lwerdna_teardrop.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 1 || len(inc) != 0 {
		t.Fatalf("complete %d incomplete %d, want 1 and 0", len(done), len(inc))
	}
	dg := done[0].Datagram
	if len(dg) != 20+28 {
		t.Fatalf("len %d, want 48", len(dg))
	}
	checkIPv4(t, dg)
	// Wireshark's reassembled bytes: 7c ab 4e e5 00 24 then 22 zero bytes.
	want := append([]byte{0x7c, 0xab, 0x4e, 0xe5, 0x00, 0x24}, make([]byte, 22)...)
	if !bytes.Equal(dg[20:], want) {
		t.Errorf("payload %x", dg[20:])
	}
	if st := r.Stats(); st.Overlaps != 1 || st.Unaligned != 1 || st.Fragments != 2 {
		t.Errorf("stats %+v", st)
	}
}

// icmp6Checksum verifies an upper-layer checksum with the IPv6
// pseudo-header (RFC 8200 §8.1); it returns 0 when valid.
func icmp6Checksum(dg []byte, nh uint8, upper []byte) uint16 {
	ph := make([]byte, 0, 40+len(upper))
	ph = append(ph, dg[8:40]...)
	ph = binary.BigEndian.AppendUint32(ph, uint32(len(upper)))
	ph = append(ph, 0, 0, 0, nh)
	ph = append(ph, upper...)
	return checksum(ph)
}

// TestChrisSandersIPv6 reassembles 10 ICMPv6 echo datagrams of 2 fragments.
//
// tshark -r chrissanders_ipv6_fragments.pcapng -Y ipv6.reassembled.length \
//
//	-T fields -e ipv6.reassembled.length -e icmpv6.checksum.status
//
// -> 10 rows "1508 1" (1508-byte ICMPv6 message, checksum good).
func TestChrisSandersIPv6(t *testing.T) {
	pkts := fragFile(t, "ipv6", "chrissanders_ipv6_fragments.pcapng")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 10 || len(inc) != 0 {
		t.Fatalf("complete %d incomplete %d, want 10 and 0", len(done), len(inc))
	}
	for i, res := range done {
		dg := res.Datagram
		if len(dg) != 40+1508 || res.Fragments != 2 || res.IPVersion != 6 {
			t.Errorf("datagram %d: len %d frags %d", i, len(dg), res.Fragments)
			continue
		}
		if plen := binary.BigEndian.Uint16(dg[4:]); plen != 1508 || dg[6] != 58 {
			t.Errorf("datagram %d: payload length %d next header %d, want 1508 and 58", i, plen, dg[6])
		}
		if c := icmp6Checksum(dg, 58, dg[40:]); c != 0 {
			t.Errorf("datagram %d: ICMPv6 checksum does not verify", i)
		}
	}
	// frames 1 and 2 (ident 0xcde00817): 1409713333.192548, 1409713333.192602
	if done[0].ID != 0xcde00817 || done[0].FirstNs != 1409713333192548000 || done[0].LastNs != 1409713333192602000 {
		t.Errorf("first datagram id %#x times %d..%d", done[0].ID, done[0].FirstNs, done[0].LastNs)
	}
}

// TestZeekIPv6FragmentedDNS: a lone last fragment (ident 1) and a DNS
// response in 3 fragments (ident 2). SOURCES.md says "2 responses each in 2
// fragments"; tshark shows otherwise:
//
// tshark -r zeek_ipv6-fragmented-dns.pcap -T fields -e frame.number -e ipv6.fraghdr.ident \
//
//	-e ipv6.fraghdr.offset -e ipv6.fraghdr.more -e ipv6.reassembled.length -e dns.id
//
// -> 4 0x1 362 0; 6 0x2 0 1; 7 0x2 179 1; 8 0x2 358 0 3238 0x9f91
func TestZeekIPv6FragmentedDNS(t *testing.T) {
	pkts := fragFile(t, "ipv6", "zeek_ipv6-fragmented-dns.pcap")
	r := New(DefaultConfig())
	done, inc := feed(t, r, pkts)
	if len(done) != 1 || len(inc) != 1 {
		t.Fatalf("complete %d incomplete %d, want 1 and 1", len(done), len(inc))
	}
	in := inc[0]
	want := Incomplete{
		IPVersion: 6,
		SrcAddr:   netip.MustParseAddr("2607:f740:b::f93"),
		DstAddr:   netip.MustParseAddr("2001:470:1f11:81f:d138:5f55:6d4:1fe2"),
		Protocol:  17, ID: 1,
		FirstNs: 1331084293681153000, LastNs: 1331084293681153000,
		Fragments: 1, BytesHave: 350 - 8, TotalBytes: 2896 + 350 - 8,
		HaveLast: true, Reason: ReasonFlush,
	}
	if in != want {
		t.Errorf("incomplete\n%+v\nwant\n%+v", in, want)
	}
	res := done[0]
	if res.ID != 2 || res.Fragments != 3 || len(res.Datagram) != 40+3238 {
		t.Fatalf("complete id %d frags %d len %d", res.ID, res.Fragments, len(res.Datagram))
	}
	pk := gopacket.NewPacket(res.Datagram, layers.LayerTypeIPv6, gopacket.Default)
	udp, _ := pk.Layer(layers.LayerTypeUDP).(*layers.UDP)
	dns, _ := pk.Layer(layers.LayerTypeDNS).(*layers.DNS)
	if udp == nil || dns == nil {
		t.Fatalf("reassembled datagram does not decode as UDP/DNS: %v", pk.ErrorLayer())
	}
	// tshark frame 8: udp.length 3238, ports 53 -> 51851; dns.id 0x9f91,
	// 1 question txtpadding_3230.n1.netalyzr.icsi.berkeley.edu, 1 answer,
	// 1 authority, 2 additional.
	if udp.Length != 3238 || udp.SrcPort != 53 || udp.DstPort != 51851 {
		t.Errorf("udp %d %d->%d", udp.Length, udp.SrcPort, udp.DstPort)
	}
	if dns.ID != 0x9f91 || !dns.QR || len(dns.Questions) != 1 ||
		string(dns.Questions[0].Name) != "txtpadding_3230.n1.netalyzr.icsi.berkeley.edu" ||
		len(dns.Answers) != 1 || len(dns.Authorities) != 1 || len(dns.Additionals) != 2 {
		t.Errorf("dns id %#x qr %v q %d an %d ns %d ar %d", dns.ID, dns.QR, len(dns.Questions),
			len(dns.Answers), len(dns.Authorities), len(dns.Additionals))
	}
	if c := icmp6Checksum(res.Datagram, 17, res.Datagram[40:]); c != 0 {
		t.Errorf("UDP checksum does not verify")
	}
	// frames 6 and 8: 1331084298.675583, 1331084298.676270
	if res.FirstNs != 1331084298675583000 || res.LastNs != 1331084298676270000 {
		t.Errorf("times %d..%d", res.FirstNs, res.LastNs)
	}
}
