package pdu

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// TestSixteenBitFields: a flow definition whose interface index, port or
// VLAN id on the wire exceeds 16 bits is ErrCorrupt. Decode narrowed the
// varint to uint16: interface 65,536 read as interface 0, the flow
// landing on another interface's name. 65,535, the largest, still reads.
// The record is built as FlowDef.Append writes it, the one field's varint
// swapped for 65,535 or 65,536 (binary.AppendUvarint).
func TestSixteenBitFields(t *testing.T) {
	build := func(field int, v uint64) []byte {
		var e Enc
		e.Uvarint(7)                       // FlowID
		vals := [4]uint64{3, 1000, 53, 10} // Iface, SrcPort, DstPort, VLAN
		vals[field] = v
		e.Uvarint(vals[0])
		e.String("dns")
		e.Byte(FieldSrcPort | FieldDstPort | FieldVLAN)
		e.Byte(4)
		e.Byte(17)
		e.Addr(netip.MustParseAddr("192.0.2.1"))
		e.Addr(netip.MustParseAddr("192.0.2.53"))
		e.Uvarint(vals[1])
		e.Uvarint(vals[2])
		e.Byte(0)
		e.Uvarint(vals[3])
		e.Byte(0)
		e.Varint(1)
		return e.B
	}
	for field, name := range []string{"interface", "source port", "destination port", "VLAN"} {
		var f FlowDef
		d := Dec{B: build(field, 65535)}
		f.Decode(&d)
		got := [4]uint16{f.Iface, f.SrcPort, f.DstPort, f.VLAN}
		if d.Err() != nil || !d.Done() || got[field] != 65535 || f.FirstSeenNs != 1 {
			t.Errorf("%s 65535: %+v, %v", name, f, d.Err())
		}
		f = FlowDef{}
		d = Dec{B: build(field, 65536)}
		f.Decode(&d)
		if !errors.Is(d.Err(), ErrCorrupt) {
			got = [4]uint16{f.Iface, f.SrcPort, f.DstPort, f.VLAN}
			t.Errorf("%s 65536: read as %d, error %v; want ErrCorrupt", name, got[field], d.Err())
		}
	}
}

// TestHelloInterfaceCount: a Hello naming 65,537 interfaces (each an
// empty name, one byte) is ErrCorrupt: pkt.Meta.Iface numbers at most
// 65,536 (0..65535), the most a probe has (probe.New). 65,536 decode.
func TestHelloInterfaceCount(t *testing.T) {
	for _, n := range []int{65536, 65537} {
		b := binary.AppendUvarint(nil, 1)
		b = append(b, 'P')
		b = binary.AppendUvarint(b, uint64(n))
		b = append(b, make([]byte, n)...)
		var h Hello
		d := Dec{B: b}
		h.Decode(&d)
		switch {
		case n == 65536 && (d.Err() != nil || len(h.Interfaces) != n):
			t.Errorf("%d names: %d decoded, %v", n, len(h.Interfaces), d.Err())
		case n == 65537 && !errors.Is(d.Err(), ErrCorrupt):
			t.Errorf("%d names: %d decoded, %v; want ErrCorrupt", n, len(h.Interfaces), d.Err())
		}
	}
}
