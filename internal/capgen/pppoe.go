package capgen

import "encoding/binary"

// PPPoE session and discovery frames (RFC 2516) and 802.1Q tags, built
// around the Ethernet frames of this package.

// PPPoE returns frame, an Ethernet frame of IPv4 or IPv6 as TCP.Seg and
// UDP.Frame build, as a PPPoE session stage frame (RFC 2516 §5):
// EtherType 0x8864, the 6-byte session header (version 1, type 1, code 0,
// session, length) and the 2-byte PPP protocol (0x0021 IPv4, 0x0057 IPv6)
// before the IP packet.
func PPPoE(frame []byte, session uint16) []byte {
	proto := uint16(0x0021)
	if binary.BigEndian.Uint16(frame[12:]) == 0x86dd {
		proto = 0x0057
	}
	return PPPoESession(frame[:12], session, proto, frame[ethLen:])
}

// PPPoESession returns a PPPoE session frame from the 12 address bytes
// addrs carrying a PPP packet of protocol proto (0xc021 LCP, ...) and
// payload.
func PPPoESession(addrs []byte, session, proto uint16, payload []byte) []byte {
	f := append([]byte(nil), addrs[:12]...)
	f = binary.BigEndian.AppendUint16(f, 0x8864)
	f = append(f, 0x11, 0x00) // version 1, type 1; code 0 (session data)
	f = binary.BigEndian.AppendUint16(f, session)
	f = binary.BigEndian.AppendUint16(f, uint16(2+len(payload)))
	f = binary.BigEndian.AppendUint16(f, proto)
	return append(f, payload...)
}

// PPPoEDiscovery returns a PPPoE discovery stage frame (RFC 2516 §5.1 to
// §5.5: EtherType 0x8863) of code (0x09 PADI, 0x07 PADO, 0x19 PADR, 0x65
// PADS, 0xa7 PADT) from macA to dst, with session and the tags in tags.
func PPPoEDiscovery(dst []byte, code uint8, session uint16, tags []byte) []byte {
	f := append(append([]byte(nil), dst[:6]...), macA...)
	f = binary.BigEndian.AppendUint16(f, 0x8863)
	f = append(f, 0x11, code)
	f = binary.BigEndian.AppendUint16(f, session)
	f = binary.BigEndian.AppendUint16(f, uint16(len(tags)))
	return append(f, tags...)
}

// VLAN returns frame with an 802.1Q tag of VLAN id (priority 0) after its
// addresses.
func VLAN(frame []byte, id uint16) []byte {
	f := append([]byte(nil), frame[:12]...)
	f = binary.BigEndian.AppendUint16(f, 0x8100)
	f = binary.BigEndian.AppendUint16(f, id&0xfff)
	return append(f, frame[12:]...)
}
