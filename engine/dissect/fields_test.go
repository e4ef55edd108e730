package dissect_test

import (
	"io"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/replay"
)

// frames dissects every packet of a capture under ../shared/samples.
func frames(t *testing.T, rel string) []dissect.Dissection {
	t.Helper()
	all, _ := framesOf(t, filepath.Join(samplesDir(t), rel))
	return all
}

// framesOf dissects every IP packet of the capture at path (frames that
// are not IP are left out; any other dissection error fails the test),
// without the slices borrowed from the reader's buffer, and the dissector
// (its Stats).
func framesOf(t *testing.T, path string) ([]dissect.Dissection, *dissect.Dissector) {
	t.Helper()
	src, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := dissect.New()
	var all []dissect.Dissection
	for {
		data, m, err := src.Next()
		if err == io.EOF {
			return all, d
		}
		if err != nil {
			t.Fatal(err)
		}
		var out dissect.Dissection
		if err := d.Dissect(data, m, &out); err == dissect.ErrNotIP {
			continue
		} else if err != nil {
			t.Fatalf("frame %d: %v", m.Frame, err)
		}
		out.Payload = nil // borrowed from the reader's buffer
		out.IPOptions = nil
		all = append(all, out)
	}
}

func TestTCPOptions(t *testing.T) {
	// tshark -r zeek_tcp_options.pcap -T fields -e tcp.options.mss_val
	//   -e tcp.options.wscale.shift -e tcp.options.sack_perm
	//   -e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr
	//   1  1460  6  0402  4294923497  0
	//   2  1380  7  0402  419445911   4294923497
	//   3                 4294923545  419445911
	f := frames(t, "pcap/tcp-options/zeek_tcp_options.pcap")
	want := []struct {
		mss          uint16
		ws           int16
		sack         bool
		tsval, tsecr uint32
	}{{1460, 6, true, 4294923497, 0}, {1380, 7, true, 419445911, 4294923497}, {0, -1, false, 4294923545, 419445911}}
	for i, w := range want {
		g := f[i]
		if g.MSS != w.mss || g.WScale != w.ws || g.SACKPerm != w.sack || g.TSVal != w.tsval || g.TSEcr != w.tsecr || !g.Has(dissect.HasTCPTS) {
			t.Errorf("frame %d: mss %d ws %d sack %v ts %d/%d; want %+v", i+1, g.MSS, g.WScale, g.SACKPerm, g.TSVal, g.TSEcr, w)
		}
	}
	if f[0].TCPFlags != dissect.TCPSyn || f[1].TCPFlags != dissect.TCPSyn|dissect.TCPAck {
		t.Errorf("flags %x %x", f[0].TCPFlags, f[1].TCPFlags)
	}
	// tshark -r zeek_tcp_window-scale-range.pcap -T fields -e tcp.options.wscale.shift: 255, 7
	ws := frames(t, "pcap/tcp-options/zeek_tcp_window-scale-range.pcap")
	if ws[0].WScale != 255 || ws[1].WScale != 7 {
		t.Errorf("window scale %d %d, want 255 7 (kept as sent)", ws[0].WScale, ws[1].WScale)
	}
}

func TestICMPErrorQuotesFlow(t *testing.T) {
	// tshark -r zeek_icmp-destunreach-udp.pcap -V: 192.168.1.102 -> 192.168.1.1,
	// type 3 code 3, quoting UDP 192.168.1.1:53 -> 192.168.1.102:59207.
	g := frames(t, "pcap/icmp-errors/zeek_icmp-destunreach-udp.pcap")[0]
	if !g.IsICMPError() || g.ICMPType != 3 || g.ICMPCode != 3 || !g.Has(dissect.HasInner) {
		t.Fatalf("not an ICMP error with a quoted packet: %+v", g)
	}
	if g.InnerSrcAddr != netip.MustParseAddr("192.168.1.1") || g.InnerDstAddr != netip.MustParseAddr("192.168.1.102") ||
		g.InnerProtocol != dissect.ProtoUDP || g.InnerSrcPort != 53 || g.InnerDstPort != 59207 {
		t.Errorf("quoted %v:%d > %v:%d proto %d", g.InnerSrcAddr, g.InnerSrcPort, g.InnerDstAddr, g.InnerDstPort, g.InnerProtocol)
	}
	if g.SrcAddr != netip.MustParseAddr("192.168.1.102") || g.DstAddr != netip.MustParseAddr("192.168.1.1") {
		t.Errorf("outer %v > %v", g.SrcAddr, g.DstAddr)
	}
}

func TestQinQ(t *testing.T) {
	// tshark -r zeek_q-in-q.pcap -T fields -e vlan.id -e ip.src -e udp.dstport: 13,10 172.19.51.37 47808
	g := frames(t, "pcap/vlan/zeek_q-in-q.pcap")[0]
	if g.NVLAN != 2 || g.VLANs != [2]uint16{13, 10} || g.SrcAddr != netip.MustParseAddr("172.19.51.37") || g.DstPort != 47808 {
		t.Errorf("vlans %d %v src %v dport %d", g.NVLAN, g.VLANs, g.SrcAddr, g.DstPort)
	}
}

func TestLinuxSLL2(t *testing.T) {
	// edge/15-linux-sll2/expected.md: 6 of 6 packets decoded to IP; ICMP id 8,
	// ICMPv6 id 9, DNS 192.0.2.190:51000 -> 192.0.2.191:53.
	f := frames(t, "edge/15-linux-sll2/input.pcap")
	if len(f) != 6 {
		t.Fatalf("%d packets, want 6", len(f))
	}
	if f[0].ICMPID != 8 || f[0].ICMPSeq != 1 || !f[0].IsEcho() || f[2].IPVersion != 6 || f[2].ICMPID != 9 {
		t.Errorf("echo ids: %d/%d, v%d %d", f[0].ICMPID, f[0].ICMPSeq, f[2].IPVersion, f[2].ICMPID)
	}
	if f[4].SrcPort != 51000 || f[4].DstPort != 53 || f[4].SrcAddr != netip.MustParseAddr("192.0.2.190") {
		t.Errorf("dns %v:%d > %d", f[4].SrcAddr, f[4].SrcPort, f[4].DstPort)
	}
}

func TestIPv6Fragments(t *testing.T) {
	// tshark -o ipv6.defragment:FALSE -r chrissanders_ipv6_fragments.pcapng
	//   -Y ipv6.fraghdr -T fields -e frame.number -e ipv6.fraghdr.offset
	//   -e ipv6.fraghdr.more: 20 fragments in 10 pairs, offset 0 with M=1,
	//   then offset 181 (5 requests) or 161 (5 replies; 8-octet units) with M=0.
	n := 0
	for _, g := range frames(t, "pcap/ipv6/chrissanders_ipv6_fragments.pcapng") {
		if !g.Fragment() {
			continue
		}
		n++
		if g.FragOff == 0 && (!g.MoreFrags || !g.Has(dissect.HasICMP)) {
			t.Errorf("first fragment without M or ICMPv6 header: %+v", g)
		}
		if g.FragOff > 0 && ((g.FragOff != 181*8 && g.FragOff != 161*8) || g.MoreFrags || g.Has(dissect.HasL4) || g.Protocol != dissect.ProtoICMPv6) {
			t.Errorf("last fragment: off %d M %v flags %x proto %d", g.FragOff, g.MoreFrags, g.Flags, g.Protocol)
		}
	}
	if n != 20 {
		t.Errorf("%d fragments, want 20", n)
	}
}
