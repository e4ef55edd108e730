package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FloorCounts is what the decode-only floor saw; the counts keep the
// decoding from being optimised away and cross-check the full run.
type FloorCounts struct {
	Packets, Bytes         uint64
	IPv4, IPv6, TCP, UDP   uint64
	ICMP, DecodeErrors     uint64
	CapturedBytes, Records uint64
}

// Floor is the decode-only reference of shared/bench/floor (gofloor): a
// pcapgo reader with zero-copy reads over a 1 MiB buffer and a gopacket
// DecodingLayerParser over Ethernet, 802.1Q, IPv4, IPv6, TCP, UDP and
// ICMPv4. r is a pcap or pcapng stream, either gzip-compressed (as
// replay reads them); a record cut short or damaged (a length past the
// snap length) ends it as replay's reader does (the packets before the
// damage count); errors are those of the file header.
func Floor(r io.Reader) (FloorCounts, error) {
	var c FloorCounts
	pr, err := floorReader(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return c, err
	}
	var (
		eth   layers.Ethernet
		dot1q layers.Dot1Q
		ip4   layers.IPv4
		ip6   layers.IPv6
		tcp   layers.TCP
		udp   layers.UDP
		icmp  layers.ICMPv4
		pl    gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &icmp, &pl)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 10)
	for {
		data, ci, err := pr.ZeroCopyReadPacketData()
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return c, nil
		}
		if err != nil { // a damaged record: the packets before it count, as replay keeps them
			return c, nil
		}
		c.Packets++
		c.Bytes += uint64(ci.Length)
		c.CapturedBytes += uint64(len(data))
		if err := parser.DecodeLayers(data, &decoded); err != nil {
			c.DecodeErrors++
		}
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeIPv4:
				c.IPv4++
			case layers.LayerTypeIPv6:
				c.IPv6++
			case layers.LayerTypeTCP:
				c.TCP++
			case layers.LayerTypeUDP:
				c.UDP++
			case layers.LayerTypeICMPv4:
				c.ICMP++
			}
		}
	}
}

// floorReader opens br as pcapgo does (gzip, then pcap), or with pcapgo's
// pcapng reader when the (decompressed) stream starts with a pcapng
// section header block.
func floorReader(br *bufio.Reader) (interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}, error) {
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		br = bufio.NewReaderSize(zr, 1<<20)
	}
	if magic, _ := br.Peek(4); bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		return pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true}) // every packet, as replay
	}
	return pcapgo.NewReader(br)
}
