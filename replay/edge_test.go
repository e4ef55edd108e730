package replay

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

func openEdge(t *testing.T, name string) (*File, []rec) {
	t.Helper()
	f, err := Open(filepath.Join(samplesDir(t), "edge", name))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	recs, err := readAll(t, f)
	if err != nil {
		t.Fatalf("read errors: 0 expected, got %v", err)
	}
	return f, recs
}

// Edge 15 (expected.md): link type 276 LINUX_SLL2 kept as 16 bits, 6 of 6
// packets; SLL2 header (protocol, interface index 2, packet type 4 on
// frames 1, 3, 5 and 0 on 2, 4, 6) at offset 0 of every record.
// Times: tshark -r input.pcap -T fields -e frame.time_epoch.
func TestEdge15LinuxSLL2(t *testing.T) {
	_, recs := openEdge(t, "15-linux-sll2/input.pcap")
	times := []string{"1700000000.000000000", "1700000000.000512000", "1700000001.000512000",
		"1700000001.001245000", "1700000002.001245000", "1700000002.003745000"}
	protos := []uint16{0x0800, 0x0800, 0x86dd, 0x86dd, 0x0800, 0x0800}
	if len(recs) != 6 {
		t.Fatalf("packets = %d, want 6", len(recs))
	}
	for i, r := range recs {
		if r.m.LinkType != pkt.LinkLinuxSLL2 || uint16(r.m.LinkType) != 276 {
			t.Errorf("frame %d: link type %d, want 276", i+1, r.m.LinkType)
		}
		if r.m.TimeNs != parseEpoch(t, times[i]) {
			t.Errorf("frame %d: time %d, want %s", i+1, r.m.TimeNs, times[i])
		}
		d := r.data
		wantType := byte(4)
		if i%2 == 1 {
			wantType = 0
		}
		if p, ifx := binary.BigEndian.Uint16(d[0:]), binary.BigEndian.Uint32(d[4:]); p != protos[i] || ifx != 2 || d[10] != wantType {
			t.Errorf("frame %d: SLL2 protocol 0x%04x ifindex %d pkttype %d, want 0x%04x 2 %d", i+1, p, ifx, d[10], protos[i], wantType)
		}
	}
}

// Edge 17 (expected.md): 4 packets, 2 sections, 4 interfaces eth0, eth1,
// eth2, raw1 with if_tsresol 10^-6 (default), 10^-9, 2^-20, 10^-3, one
// packet each; packet 4 is raw IPv4 (101); exact ns timestamps; interface
// ids restart per section (tshark gets packets 3 and 4's interface wrong).
func TestEdge17PcapngSections(t *testing.T) {
	f, recs := openEdge(t, "17-pcapng-sections-tsresol/input.pcapng")
	want := []struct {
		time string
		link pkt.LinkType
	}{
		{"1700000000.123456000", pkt.LinkEthernet},
		{"1700000000.123458321", pkt.LinkEthernet},
		{"1700000001.500000000", pkt.LinkEthernet},
		{"1700000002.250000000", pkt.LinkRaw},
	}
	if len(recs) != len(want) {
		t.Fatalf("packets = %d, want 4", len(recs))
	}
	for i, r := range recs {
		if r.m.TimeNs != parseEpoch(t, want[i].time) || r.m.LinkType != want[i].link || r.m.Iface != uint16(i) || r.m.Frame != uint64(i+1) {
			t.Errorf("packet %d: %+v, want time %s link %v iface %d", i+1, r.m, want[i].time, want[i].link, i)
		}
		if i > 0 && r.m.TimeNs < recs[i-1].m.TimeNs {
			t.Errorf("packet %d goes back in time", i+1)
		}
	}
	if d := recs[1].m.TimeNs - recs[0].m.TimeNs; d != 2321 {
		t.Errorf("eth0 -> eth1 delay = %d ns, want 2321", d)
	}
	if recs[3].data[0]>>4 != 4 {
		t.Errorf("packet 4 does not start with an IPv4 header: % x", recs[3].data[:4])
	}
	if s := f.Stats(); s.Sections != 2 {
		t.Errorf("sections = %d, want 2", s.Sections)
	}
	ifs := f.Interfaces()
	wantIf := []struct {
		name        string
		section, id int
		ticks       uint64
	}{{"eth0", 0, 0, 1e6}, {"eth1", 0, 1, 1e9}, {"eth2", 1, 0, 1 << 20}, {"raw1", 1, 1, 1e3}}
	if len(ifs) != 4 {
		t.Fatalf("interfaces = %d, want 4", len(ifs))
	}
	for i, w := range wantIf {
		g := ifs[i]
		if g.Name != w.name || g.Section != w.section || g.ID != w.id || g.TicksPerSecond != w.ticks || g.Packets != 1 {
			t.Errorf("interface %d = %+v, want %s section %d id %d ticks/s %d, 1 packet", i, g, w.name, w.section, w.id, w.ticks)
		}
	}
}

// Edge 18 (expected.md): header snaplen 0 = not declared; 11 packets, none
// rejected; largest 9014 B; 11,022 bytes captured in total.
// Caplens: tshark -r input.pcap -T fields -e frame.cap_len.
func TestEdge18SnaplenZero(t *testing.T) {
	f, recs := openEdge(t, "18-pcap-snaplen-zero/input.pcap")
	caplens := []uint32{58, 58, 54, 9014, 54, 1514, 54, 54, 54, 54, 54}
	checkCaplens(t, recs, caplens)
	if f.Snaplen() != 0 {
		t.Errorf("Snaplen = %d, want 0 (not declared)", f.Snaplen())
	}
	if s := f.Stats(); s.Bytes != 11022 || s.OverSnaplen != 0 {
		t.Errorf("stats %+v, want 11022 bytes, 0 over snaplen", s)
	}
}

// Edge 19 (expected.md): 13 records, each at its own boundary; frames 4 and
// 6 kept whole at 9014 B although the header snaplen is 1500 (counted as
// over snaplen, not as errors). Caplens from tshark as for edge 18.
func TestEdge19CaplenOverSnaplen(t *testing.T) {
	f, recs := openEdge(t, "19-pcap-caplen-over-snaplen/input.pcap")
	caplens := []uint32{58, 58, 54, 9014, 54, 9014, 54, 154, 54, 54, 54, 54, 54}
	checkCaplens(t, recs, caplens)
	if f.Snaplen() != 1500 {
		t.Errorf("Snaplen = %d, want 1500", f.Snaplen())
	}
	if s := f.Stats(); s.OverSnaplen != 2 {
		t.Errorf("OverSnaplen = %d, want 2", s.OverSnaplen)
	}
	// Every record at its own boundary: each frame is Ethernet/IPv4 to TCP
	// port 9000 or from it, never payload read as a header.
	for i, r := range recs {
		d := r.data
		if binary.BigEndian.Uint16(d[12:]) != 0x0800 || d[23] != 6 {
			t.Fatalf("frame %d is not Ethernet/IPv4/TCP: % x", i+1, d[:24])
		}
		sport, dport := binary.BigEndian.Uint16(d[34:]), binary.BigEndian.Uint16(d[36:])
		if sport != 9000 && dport != 9000 {
			t.Errorf("frame %d: ports %d -> %d", i+1, sport, dport)
		}
	}
}

func checkCaplens(t *testing.T, recs []rec, want []uint32) {
	t.Helper()
	if len(recs) != len(want) {
		t.Fatalf("packets = %d, want %d", len(recs), len(want))
	}
	for i, r := range recs {
		if r.m.CapLen != want[i] || r.m.WireLen != want[i] {
			t.Errorf("frame %d: caplen %d wirelen %d, want %d", i+1, r.m.CapLen, r.m.WireLen, want[i])
		}
	}
}
