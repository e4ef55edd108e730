package filter

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// writePcap writes frames (captured = wire length) as a pcap file of link
// type lt in dir.
func writePcap(t *testing.T, dir string, lt pkt.LinkType, frames [][]byte) string {
	t.Helper()
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint64(b, 0) // thiszone, sigfigs
	b = binary.LittleEndian.AppendUint32(b, 262144)
	b = binary.LittleEndian.AppendUint32(b, uint32(lt))
	for i, f := range frames {
		b = binary.LittleEndian.AppendUint32(b, uint32(1000+i))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	path := filepath.Join(dir, lt.String()+".pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTcpdumpARPLinkTypes runs the ARP filters against tcpdump on the
// link types without an EtherType, where libpcap's `arp` is never true
// (gencode.c gen_linktype: DLT_RAW, DLT_NULL and DLT_LOOP give gen_false
// for ETHERTYPE_ARP): the frames of the README's sample capture
// (zeek_wikipedia.pcap) with their Ethernet header replaced by the link's,
// its 6 ARP packets included (after a raw link header they read as an IP
// version 0, after a loopback header as address family 0x0806).
func TestTcpdumpARPLinkTypes(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	src := loadFrames(t, filepath.Join(samplesDir(t), "pcap/mixed/zeek_wikipedia.pcap"))
	dir := t.TempDir()
	for _, lt := range []pkt.LinkType{pkt.LinkRaw, pkt.LinkNull, pkt.LinkLoop} {
		var frames [][]byte
		arps := 0
		for _, fr := range src {
			et := binary.BigEndian.Uint16(fr.data[12:])
			if et == etherARP {
				arps++
			}
			var hdr []byte
			switch {
			case lt == pkt.LinkNull && et == 0x86dd:
				hdr = binary.LittleEndian.AppendUint32(nil, 24) // AF_INET6, BSD
			case lt == pkt.LinkNull && et == 0x0800:
				hdr = binary.LittleEndian.AppendUint32(nil, 2)
			case lt == pkt.LinkNull:
				hdr = binary.LittleEndian.AppendUint32(nil, uint32(et))
			case lt == pkt.LinkLoop && et == 0x86dd:
				hdr = binary.BigEndian.AppendUint32(nil, 24)
			case lt == pkt.LinkLoop && et == 0x0800:
				hdr = binary.BigEndian.AppendUint32(nil, 2)
			case lt == pkt.LinkLoop:
				hdr = binary.BigEndian.AppendUint32(nil, uint32(et))
			}
			frames = append(frames, append(hdr, fr.data[14:]...))
		}
		if arps != 6 {
			t.Fatalf("zeek_wikipedia.pcap: %d ARP frames, want 6 (tcpdump -r F arp)", arps)
		}
		path := writePcap(t, dir, lt, frames)
		caps := byLinkType(t, []string{path})
		t.Run(lt.String(), func(t *testing.T) {
			equivalence(t, caps[0], true, arpFilters, func(string, int) {})
		})
	}
}

// TestARPParse: arp, rarp, `ether proto` and the arp/rarp qualifiers of
// host and net read as pcap-filter(7) writes them; the canonical form
// parses back to itself.
func TestARPParse(t *testing.T) {
	for in, want := range map[string]string{
		"arp":                           "arp",
		"rarp":                          "rarp",
		`ether proto \arp`:              "arp",
		"ether proto 0x0806":            "arp",
		"ether proto 32821":             "rarp",
		`ether proto \ip6`:              "ip6",
		"not (arp or ip)":               "not (arp or ip)",
		"arp host 10.0.0.1":             "arp host 10.0.0.1",
		"arp src 10.0.0.1 or 10.0.0.2":  "(arp src host 10.0.0.1 or arp src host 10.0.0.2)",
		"rarp dst net 10.1.0.0/16":      "rarp dst net 10.1.0.0/16",
		"arp src and dst 192.168.22.81": "arp src and dst host 192.168.22.81",
	} {
		e, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if e.String() != want {
			t.Errorf("Parse(%q) = %q, want %q", in, e.String(), want)
		}
		if e2, err := Parse(e.String()); err != nil || e2.String() != want {
			t.Errorf("Parse(%q) again: %q, %v", want, e2.String(), err)
		}
	}
	for in, want := range map[string]string{
		"arp host ::1":       `filter: 'arp' modifier applied to ip6 host at offset 9`, // libpcap: same words
		"arp port 80":        `filter: illegal qualifier of 'port' at offset 9`,
		"rarp proto 6":       `filter: illegal qualifier of 'proto': "rarp" at offset 11`,
		"ether proto 0x88cc": `filter: unsupported EtherType 0x88cc: ether proto takes \ip (0x0800), \ip6 (0x86dd), \arp (0x0806) or \rarp (0x8035) at offset 12`,
		"arp[0] = 1":         `filter: unsupported primitive "arp[]" (loads of ARP fields are not translated: write ether[N], N counted from the frame's first byte) at offset 0`,
	} {
		if _, err := Parse(in); err == nil || err.Error() != want {
			t.Errorf("Parse(%q): %v, want %s", in, err, want)
		}
	}
}

// TestARPMatchAllocs: ARP and RARP tests read the frame in place, without
// allocating (--filter runs Expr.Match on every packet); the verdicts are
// those of the capture's first frame, an ARP request from 192.168.22.1
// for 192.168.22.160 (tcpdump -r zeek_linuxsll-arp.pcap -c 1).
func TestARPMatchAllocs(t *testing.T) {
	frames := loadFrames(t, filepath.Join(samplesDir(t), "pcap/linux-sll/zeek_linuxsll-arp.pcap"))
	d := &frames[0].d
	for in, want := range map[string]bool{"arp": true, "rarp": false, "not arp": false, "arp src 192.168.22.1": true,
		"arp dst 192.168.22.1": false, "host 192.168.22.160": true, "ip host 192.168.22.160": false, "rarp host 192.168.22.1": false} {
		e, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Match(d); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
		if n := testing.AllocsPerRun(100, func() { e.Match(d) }); n != 0 && !testenv.Race {
			t.Errorf("%q: %.1f allocations a packet", in, n)
		}
	}
}
