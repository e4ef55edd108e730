package dissect_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// -update rewrites the generated captures (capgen.Golden reads the flag by name).
var _ = flag.Bool("update", false, "rewrite the generated captures under testdata/")

// PPPoEFrames are the 8 frames of testdata/pppoe.pcap, written by
// TestPPPoE with internal/capgen (PPPoE, PPPoESession, PPPoEDiscovery,
// VLAN; go test -update rewrites it), as an ISP access link carries them:
//
//  1. PADI (discovery, EtherType 0x8863): not IP
//  2. LCP Configure-Request (session 0x1234, PPP protocol 0xc021): not IP
//  3. IPv4 TCP SYN 192.0.2.10:40000 > 198.51.100.80:80 (session 0x1234)
//  4. its SYN-ACK
//  5. IPv6 UDP [2001:db8::10]:40001 > [2001:db8::53]:53 (PPP 0x0057)
//  6. IPv4 TCP ACK 192.0.2.10:40002 > 198.51.100.80:80 behind VLAN 100
//  7. IPv4 TCP SYN 192.0.2.10:40003 > 198.51.100.80:443
//  8. PADT (discovery): not IP
//
// tshark 4.0.17 (-r testdata/pppoe.pcap -T fields -e frame.number -e
// pppoe.code -e pppoe.session_id -e ppp.protocol -e vlan.id -e
// tcp.dstport -e udp.dstport) reads codes 0x09 (PADI) in 1 and 0xa7
// (PADT) in 8, the session 0x1234 in frames 2 to 8, PPP protocol 0xc021
// in 2, 0x0021 in 3, 4, 6, 7 and 0x0057 in 5, VLAN 100 in 6, TCP
// destination ports 80, 40000, 80, 443 in 3, 4, 6, 7 and UDP 53 in 5.
// tcpdump 4.99.3 (-r testdata/pppoe.pcap -nn F | wc -l) counts F =
// `pppoes and tcp port 80` 2 (frames 3, 4), `vlan and pppoes and tcp
// port 80` 1 (frame 6), `tcp port 80` 0 (it needs `pppoes` to look
// inside), `pppoes` 5 (the untagged session frames).
func pppoeFrames() []capgen.Frame {
	cli, srv := capgen.AP("192.0.2.10:40000"), capgen.AP("198.51.100.80:80")
	syn := capgen.TCP{Src: cli, Dst: srv, Flags: "S", Seq: 1000, Win: 64240, MSS: 1452}.Seg()
	synAck := capgen.TCP{Src: srv, Dst: cli, Flags: "SA", Seq: 5000, Ack: 1001, Win: 65160, MSS: 1452}.Seg()
	dns := capgen.UDP{Src: capgen.AP("[2001:db8::10]:40001"), Dst: capgen.AP("[2001:db8::53]:53"), Payload: make([]byte, 29)}.Frame()
	ack := capgen.TCP{Src: capgen.AP("192.0.2.10:40002"), Dst: srv, Flags: "A", Seq: 7000, Ack: 9000, Win: 502}.Seg()
	https := capgen.TCP{Src: capgen.AP("192.0.2.10:40003"), Dst: capgen.AP("198.51.100.80:443"), Flags: "S", Seq: 3000, Win: 64240}.Seg()
	bcast := bytes.Repeat([]byte{0xff}, 6)
	// PADI: Service-Name (empty) and Host-Uniq tags (RFC 2516 Appendix A)
	padi := capgen.PPPoEDiscovery(bcast, 0x09, 0, []byte{0x01, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef})
	// LCP Configure-Request, identifier 1, a Magic-Number option (RFC 1661 §5.1, §6.4)
	lcp := capgen.PPPoESession(syn[:12], 0x1234, 0xc021, []byte{0x01, 0x01, 0x00, 0x0a, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78})
	padt := capgen.PPPoEDiscovery(syn[:6], 0xa7, 0x1234, nil)
	return []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: padi},
		{TimeNs: capgen.Ms(10), Data: lcp},
		{TimeNs: capgen.Ms(20), Data: capgen.PPPoE(syn, 0x1234)},
		{TimeNs: capgen.Ms(30), Data: capgen.PPPoE(synAck, 0x1234)},
		{TimeNs: capgen.Ms(40), Data: capgen.PPPoE(dns, 0x1234)},
		{TimeNs: capgen.Ms(50), Data: capgen.VLAN(capgen.PPPoE(ack, 0x1234), 100)},
		{TimeNs: capgen.Ms(60), Data: capgen.PPPoE(https, 0x1234)},
		{TimeNs: capgen.Ms(70), Data: padt},
	}
}

// TestPPPoE: IP in PPPoE session frames (EtherType 0x8864, RFC 2516 §5,
// then the PPP protocol, RFC 1661 §2) is dissected behind the 8 bytes of
// PPPoE and PPP header, also behind a VLAN tag, and marked HasPPPoE with
// its session; discovery frames (0x8863) and PPP control protocols (LCP)
// are not IP. The values are tshark's (see pppoeFrames). Before, all 8
// frames were "not IP": an ISP access capture gave no flow.
func TestPPPoE(t *testing.T) {
	path := capgen.Golden(t, "testdata/pppoe.pcap", capgen.PCAP(pppoeFrames(), false))
	type want struct {
		ip             uint8 // 0: not IP
		sport, dport   uint16
		tcpFlags, vlan uint16
	}
	wants := []want{{}, {}, {4, 40000, 80, dissect.TCPSyn, 0}, {4, 80, 40000, dissect.TCPSyn | dissect.TCPAck, 0},
		{6, 40001, 53, 0, 0}, {4, 40002, 80, dissect.TCPAck, 100}, {4, 40003, 443, dissect.TCPSyn, 0}, {}}
	d := dissectEach(t, path, len(wants), func(i int, m pkt.Meta, err error, x *dissect.Dissection) {
		w := wants[i]
		if w.ip == 0 {
			if err != dissect.ErrNotIP {
				t.Errorf("frame %d: %v, want not IP", m.Frame, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("frame %d: %v", m.Frame, err)
		}
		if x.IPVersion != w.ip || x.SrcPort != w.sport || x.DstPort != w.dport || x.TCPFlags != w.tcpFlags ||
			x.NVLAN != b2n(w.vlan != 0) || x.VLANs[0] != w.vlan || !x.Has(dissect.HasPPPoE) || x.PPPoESession != 0x1234 ||
			x.NetOff != uint32(22+4*b2n(w.vlan != 0)) {
			t.Errorf("frame %d: IPv%d %d > %d flags %#x, %d VLANs %v, PPPoE %v session %#x, IP at %d; want IPv%d %d > %d flags %#x, VLAN %d, PPPoE session 0x1234",
				m.Frame, x.IPVersion, x.SrcPort, x.DstPort, x.TCPFlags, x.NVLAN, x.VLANs, x.Has(dissect.HasPPPoE), x.PPPoESession, x.NetOff,
				w.ip, w.sport, w.dport, w.tcpFlags, w.vlan)
		}
	})
	if s := d.Stats; s.Packets != 8 || s.IP != 5 || s.NotIP != 3 || s.Malformed != 0 {
		t.Errorf("stats %+v, want 8 packets, 5 IP, 3 not IP", s)
	}
}

// TestPPPoECooked: a Linux cooked capture (SLL, SLL2) whose protocol
// field says 0x8864 holds the PPPoE session header after the cooked
// header, as in an Ethernet frame after the EtherType (Wireshark: sll.etype
// 0x8864, then pppoes); a PPPoE header cut short is a truncated link
// header (malformed), as a cut VLAN tag is.
func TestPPPoECooked(t *testing.T) {
	eth := capgen.PPPoE(capgen.TCP{Src: capgen.AP("192.0.2.10:40000"), Dst: capgen.AP("198.51.100.80:80"), Flags: "S", Seq: 1}.Seg(), 7)
	body := eth[14:] // PPPoE header, PPP protocol, IP
	sll := append(append(make([]byte, 14), 0x88, 0x64), body...)
	sll2 := append([]byte{0x88, 0x64}, append(make([]byte, 18), body...)...)
	for _, c := range []struct {
		lt   pkt.LinkType
		data []byte
	}{{pkt.LinkLinuxSLL, sll}, {pkt.LinkLinuxSLL2, sll2}, {pkt.LinkEthernet, eth}} {
		d := dissect.New()
		var x dissect.Dissection
		m := pkt.Meta{LinkType: c.lt, CapLen: uint32(len(c.data)), WireLen: uint32(len(c.data))}
		if err := d.Dissect(c.data, m, &x); err != nil || x.DstPort != 80 || x.PPPoESession != 7 || !x.Has(dissect.HasPPPoE) {
			t.Errorf("%s: %v, port %d session %d", c.lt, err, x.DstPort, x.PPPoESession)
		}
		hdr := len(c.data) - len(body)
		m.CapLen = uint32(hdr + 7)
		if err := d.Dissect(c.data[:hdr+7], m, &x); err != dissect.ErrMalformed || d.Stats.Kinds[dissect.KindLinkTruncated] != 1 {
			t.Errorf("%s cut in the PPPoE header: %v, %d link_truncated", c.lt, err, d.Stats.Kinds[dissect.KindLinkTruncated])
		}
	}
	if binary.BigEndian.Uint16(eth[12:]) != 0x8864 {
		t.Fatal("capgen.PPPoE: not a PPPoE session frame")
	}
}

func b2n(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
