package replay

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestSectionsPerInterface: in a pcapng of several sections, a packet's
// interface id names an interface of its own section (pcapng,
// draft-ietf-opsawg-pcapng §4.2: each section's IDBs are numbered from 0;
// a Simple Packet Block belongs to interface 0 of its section, cut to its
// snap length, §4.4), and that interface's link type, snap length and
// if_tsresol apply. The values are tshark 4.0.17's:
//
//	tshark -r F -T fields -e frame.interface_id -e frame.time_epoch -e frame.encap_type -e frame.cap_len -e frame.len
//
// (encap 1 Ethernet, 7 raw IP; a Simple Packet Block has no time: ours is
// the previous packet's, pkt.Meta.TimeBorrowed). tshark's interface names
// are wrong after the first section (edge 17's expected.md: it names
// section 2's interfaces 0 and 1 by section 1's); ours are the section's
// own. Edge 23 tells per-section ids from file-wide ones: read file-wide,
// packet 4 (section 2, id 1) would be section 1's raw-IP a1 at 10^-9 s a
// tick, packets 5 and 6 section 1's Ethernet a0 (no snap length: packet 6's
// 44 bytes not over b0's 40).
func TestSectionsPerInterface(t *testing.T) {
	type pk struct {
		id      int    // frame.interface_id: in its section
		name    string // ours (tshark: the first section's name of that id)
		section int
		epoch   string // frame.time_epoch; "" for none (a Simple Packet Block)
		link    pkt.LinkType
		capLen  uint32
		wireLen uint32
	}
	for _, c := range []struct {
		file    string
		want    []pk
		packets []int  // per interface, file-wide order (capinfos counts them by id: 2 2 0 0, 4 2 0 0)
		over    uint64 // packets over their interface's snap length (edge 23: b0's is 40, packet 6 holds 44)
	}{
		{"17-pcapng-sections-tsresol/input.pcapng", []pk{
			{0, "eth0", 0, "1700000000.123456000", pkt.LinkEthernet, 74, 74},
			{1, "eth1", 0, "1700000000.123458321", pkt.LinkEthernet, 74, 74},
			{0, "eth2", 1, "1700000001.500000000", pkt.LinkEthernet, 74, 74},
			{1, "raw1", 1, "1700000002.250000000", pkt.LinkRaw, 60, 60},
		}, []int{1, 1, 1, 1}, 0},
		{"23-pcapng-sections-snaplen/input.pcapng", []pk{
			{0, "a0", 0, "1700000000.000100000", pkt.LinkEthernet, 74, 74},
			{1, "a1", 0, "1700000000.000200300", pkt.LinkRaw, 60, 60},
			{0, "a0", 0, "", pkt.LinkEthernet, 74, 74},
			{1, "b1", 1, "1700000001.250000000", pkt.LinkEthernet, 74, 74},
			{0, "b0", 1, "", pkt.LinkRaw, 40, 60},
			{0, "b0", 1, "1700000002.005000000", pkt.LinkRaw, 44, 60},
		}, []int{2, 1, 2, 1}, 1},
	} {
		f, recs := openEdge(t, c.file)
		if len(recs) != len(c.want) {
			t.Fatalf("%s: %d packets, want %d", c.file, len(recs), len(c.want))
		}
		ifs := f.Interfaces()
		for i, n := range c.packets {
			if i >= len(ifs) || ifs[i].Packets != uint64(n) {
				t.Errorf("%s: interfaces %+v, want %v packets each", c.file, ifs, c.packets)
				break
			}
		}
		if s := f.Stats(); s.OverSnaplen != c.over || s.Sections != 2 {
			t.Errorf("%s: %d sections, %d packets over their snap length; want 2, %d", c.file, s.Sections, s.OverSnaplen, c.over)
		}
		for i, r := range recs {
			w := c.want[i]
			if int(r.m.Iface) >= len(ifs) {
				t.Fatalf("%s packet %d: interface %d of %d", c.file, i+1, r.m.Iface, len(ifs))
			}
			it := ifs[r.m.Iface]
			if it.ID != w.id || it.Name != w.name || it.Section != w.section || r.m.LinkType != w.link || r.m.CapLen != w.capLen || r.m.WireLen != w.wireLen {
				t.Errorf("%s packet %d: interface %+v, meta %+v; want id %d (%s) of section %d, link %v, %d of %d bytes",
					c.file, i+1, it, r.m, w.id, w.name, w.section, w.link, w.capLen, w.wireLen)
			}
			if w.epoch == "" {
				if !r.m.TimeBorrowed || r.m.TimeNs != recs[i-1].m.TimeNs {
					t.Errorf("%s packet %d: time %d (borrowed %v), want packet %d's", c.file, i+1, r.m.TimeNs, r.m.TimeBorrowed, i)
				}
			} else if r.m.TimeNs != parseEpoch(t, w.epoch) {
				t.Errorf("%s packet %d: time %d, want %s", c.file, i+1, r.m.TimeNs, w.epoch)
			}
		}
	}
}
