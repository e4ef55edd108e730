package tui

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The Packets screen's decoding of one packet: its header pane
// (headerLines) in tcpdump's words.

// wirePayload is the transport payload's length on the wire, as tcpdump
// prints it: from the IP header's length (a packet cut by the snap
// length carries less), hdr being the transport header's length; the
// captured length when the IP header says nothing usable (IPv6 extension
// headers, a jumbogram).
func wirePayload(pk gopacket.Packet, hdr, captured int) int {
	n := -1
	switch ip := pk.NetworkLayer().(type) {
	case *layers.IPv4:
		n = int(ip.Length) - int(ip.IHL)*4 - hdr
	case *layers.IPv6:
		if ip.NextHeader == layers.IPProtocolTCP || ip.NextHeader == layers.IPProtocolUDP {
			n = int(ip.Length) - hdr
		}
	}
	if n < captured {
		return captured
	}
	return n
}

// headerLines is the decoded header pane: one line per layer.
func headerLines(pk gopacket.Packet) []string {
	var out []string
	for _, l := range pk.Layers() {
		switch x := l.(type) {
		case *layers.Ethernet:
			out = append(out, fmt.Sprintf("Ethernet  %s > %s  type %s", x.SrcMAC, x.DstMAC, x.EthernetType))
		case *layers.Dot1Q:
			out = append(out, fmt.Sprintf("802.1Q    vlan %d  prio %d  type %s", x.VLANIdentifier, x.Priority, x.Type))
		case *layers.IPv4:
			out = append(out, fmt.Sprintf("IPv4      %s > %s  len %d  id %d  ttl %d  tos 0x%02x  flags %s  frag %d  proto %s  csum 0x%04x",
				x.SrcIP, x.DstIP, x.Length, x.Id, x.TTL, x.TOS, x.Flags, int(x.FragOffset)*8, x.Protocol, x.Checksum))
		case *layers.IPv6:
			out = append(out, fmt.Sprintf("IPv6      %s > %s  payload %d  hop %d  class 0x%02x  flow 0x%05x  next %s",
				x.SrcIP, x.DstIP, x.Length, x.HopLimit, x.TrafficClass, x.FlowLabel, x.NextHeader))
		case *layers.TCP:
			payload := fmt.Sprint(len(x.Payload))
			if n := wirePayload(pk, int(x.DataOffset)*4, len(x.Payload)); n > len(x.Payload) {
				payload = fmt.Sprintf("%d (%d captured)", n, len(x.Payload))
			}
			out = append(out, fmt.Sprintf("TCP       %d > %d  seq %d  ack %d  win %d  hdr %d  csum 0x%04x  payload %s",
				x.SrcPort, x.DstPort, x.Seq, x.Ack, x.Window, int(x.DataOffset)*4, x.Checksum, payload))
			if len(x.Options) > 0 {
				out = append(out, "          options "+tcpOptions(x.Options))
			}
		case *layers.UDP:
			out = append(out, fmt.Sprintf("UDP       %d > %d  len %d  csum 0x%04x", x.SrcPort, x.DstPort, x.Length, x.Checksum))
		case *layers.ICMPv4:
			out = append(out, fmt.Sprintf("ICMP      %s  id %d  seq %d", x.TypeCode, x.Id, x.Seq))
		case *layers.ICMPv6:
			out = append(out, fmt.Sprintf("ICMPv6    %s", x.TypeCode))
		case *layers.DNS:
			q := ""
			if len(x.Questions) > 0 {
				q = string(x.Questions[0].Name) + " " + x.Questions[0].Type.String()
			}
			out = append(out, fmt.Sprintf("DNS       id %d  qr %v  %s  rcode %s  answers %d", x.ID, x.QR, q, x.ResponseCode, len(x.Answers)))
		case gopacket.Payload:
			out = append(out, fmt.Sprintf("Payload   %s  %s", count(len(x), "byte"), cut(printable(x), 64)))
		case *gopacket.Payload:
			out = append(out, fmt.Sprintf("Payload   %s  %s", count(len(*x), "byte"), cut(printable(*x), 64)))
		default:
			out = append(out, l.LayerType().String())
		}
	}
	if el := pk.ErrorLayer(); el != nil {
		out = append(out, "decode error: "+el.Error().Error())
	}
	return out
}

func printable(b []byte) string {
	r := make([]byte, len(b))
	for i, c := range b {
		if c < 32 || c > 126 {
			c = '.'
		}
		r[i] = c
	}
	return string(r)
}

// packetCount is "1 packet", "N packets".
func packetCount(n int) string { return count(n, "packet") }

// count is n and its noun, singular for 1 ("1 byte", "0 bytes"; the
// engines' pkt.Nouns, which the TUI does not import).
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// humanCount is n grouped as human groups it and one or many after it
// ("1 heartbeat", "1,204 heartbeats"; "1 pkt", "3 pkts").
func humanCount(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return human(n) + " " + many
}

// tcpOptions writes TCP options as tcpdump does (print-tcp.c): "[mss
// 1460,sackOK,TS val 1828805 ecr 0,nop,wscale 7]"; SACK edges absolute,
// as the detail's seq and ack (tcpdump -S). It printed gopacket's
// "TCPOption(MSS:1460 0x05b4) TCPOption(SACKPermitted:) ...", cut before
// the window scale (trial3 D6).
func tcpOptions(opts []layers.TCPOption) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		d := o.OptionData
		var p string
		switch {
		case o.OptionType == layers.TCPOptionKindEndList:
			p = "eol"
		case o.OptionType == layers.TCPOptionKindNop:
			p = "nop"
		case o.OptionType == layers.TCPOptionKindMSS && len(d) == 2:
			p = fmt.Sprintf("mss %d", binary.BigEndian.Uint16(d))
		case o.OptionType == layers.TCPOptionKindWindowScale && len(d) == 1:
			p = fmt.Sprintf("wscale %d", d[0])
		case o.OptionType == layers.TCPOptionKindSACKPermitted:
			p = "sackOK"
		case o.OptionType == layers.TCPOptionKindSACK && len(d)%8 == 0:
			p = fmt.Sprintf("sack %d", len(d)/8)
			for i := 0; i < len(d); i += 8 {
				p += fmt.Sprintf(" {%d:%d}", binary.BigEndian.Uint32(d[i:]), binary.BigEndian.Uint32(d[i+4:]))
			}
		case o.OptionType == layers.TCPOptionKindTimestamps && len(d) == 8:
			p = fmt.Sprintf("TS val %d ecr %d", binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:]))
		case o.OptionType == 34 || (o.OptionType == 253 || o.OptionType == 254) && len(d) >= 2 && binary.BigEndian.Uint16(d) == 0xf989:
			p = "tfo" // RFC 7413; the experimental form carries the magic 0xf989
			if o.OptionType != 34 {
				p, d = "exp-tfo", d[2:]
			}
			if len(d) == 0 {
				p += " cookiereq"
			} else {
				p += " cookie " + hex.EncodeToString(d)
			}
		default:
			p = fmt.Sprintf("unknown-%d", o.OptionType)
			if len(d) > 0 {
				p += " 0x" + hex.EncodeToString(d)
			}
		}
		parts = append(parts, p)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
