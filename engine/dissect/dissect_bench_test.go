package dissect_test

import (
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testframes"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// BenchmarkDissectVsDecodingLayerParser decodes the same real capture held
// in memory (the Wikipedia browsing trace: 136 Ethernet frames, 126 of them
// IPv4 or IPv6 with TCP or UDP, 10 not IP) with our Dissector and with
// gopacket's DecodingLayerParser, the fastest way gopacket offers
// (preallocated layers, IgnoreUnsupported). One operation is one packet. The gopacket side does less than ours: it stops
// at the headers' raw fields (net.IP slices, an unparsed TCP option list),
// counts nothing and does not read the flow quoted in ICMP errors; the
// figures are quoted in doc.go.
func BenchmarkDissectVsDecodingLayerParser(b *testing.B) {
	frames, metas := testframes.Frames(b, "pcap/mixed/zeek_wikipedia.pcap")
	for _, m := range metas {
		if m.LinkType != pkt.LinkEthernet {
			b.Fatalf("frame %d: link type %d, the gopacket parser starts at Ethernet", m.Frame, m.LinkType)
		}
	}
	report := func(b *testing.B) {
		testsamples.ReportPerPacket(b, b.N)
	}
	b.Run("dissect", func(b *testing.B) {
		d := dissect.New()
		var out dissect.Dissection
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			j := i % len(frames)
			_ = d.Dissect(frames[j], metas[j], &out)
		}
		report(b)
	})
	b.Run("gopacket", func(b *testing.B) {
		var (
			eth     layers.Ethernet
			dot1q   layers.Dot1Q
			ip4     layers.IPv4
			ip6     layers.IPv6
			tcp     layers.TCP
			udp     layers.UDP
			icmp4   layers.ICMPv4
			icmp6   layers.ICMPv6
			payload gopacket.Payload
		)
		p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &icmp4, &icmp6, &payload)
		p.IgnoreUnsupported = true
		decoded := make([]gopacket.LayerType, 0, 10)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_ = p.DecodeLayers(frames[i%len(frames)], &decoded)
		}
		report(b)
	})
}

// TestDissectAllocatesNothing backs the package's claim of no allocation
// per packet, over captures exercising VLAN and Q-in-Q tags, MPLS, Linux
// SLL2, PPPoE, IPv6 extension headers and fragments (a tiny first
// fragment among them), TCP options and bogus data offsets, TCP and UDP
// headers the IP length cuts, ICMP errors
// and IPv6 jumbograms.
func TestDissectAllocatesNothing(t *testing.T) {
	for _, file := range []string{
		"pcap/mixed/zeek_wikipedia.pcap", "pcap/tcp-options/zeek_tcp_options.pcap", "pcap/ipv6/zeek_communityid_icmp6.pcap", "pcap/ipv6/zeek_ipv6-fragmented-dns.pcap",
		"pcap/vlan/zeek_q-in-q.pcap", "pcap/icmp-errors/zeek_icmp-destunreach-udp.pcap",
		"pcap/ipv4-fragments/zeek_ipv4_fragmented-4.pcap", "pcap/linux-sll/zeek_linux_dlt_sll2.pcap",
		"pcap/icmp-errors/tcpdump_mpls-traceroute.pcap",
		abs(t, "testdata/pppoe.pcap"), abs(t, "testdata/tcp-tiny-fragment.pcap"), abs(t, "testdata/ipv6-zero-length.pcap"), abs(t, "testdata/icmp6-quoted-ext.pcap"),
		abs(t, "testdata/tcp-bad-offset.pcap"), abs(t, "testdata/transport-beyond-ip-length.pcap"),
	} {
		frames, metas := testframes.Frames(t, file)
		d := dissect.New()
		var out dissect.Dissection
		i := 0
		if n := testing.AllocsPerRun(len(frames), func() {
			_ = d.Dissect(frames[i%len(frames)], metas[i%len(frames)], &out)
			i++
		}); n != 0 {
			t.Errorf("%s: %v allocations per packet", file, n)
		}
	}
}

// abs returns the absolute path of a file of the package's testdata/.
func abs(t *testing.T, path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
