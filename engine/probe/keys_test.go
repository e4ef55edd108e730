package probe

import (
	"io/fs"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/replay"
)

// keyClasses splits flows by every granularity field, alone and
// together, with and without port folding.
const keyClasses = `classes:
  - name: all
    granularity: [ip_version, protocol, src_addr, dst_addr, src_port, dst_port]
  - {name: dns, filter: "udp port 53", granularity: [src_addr, dst_addr, src_port, dst_port], fold_ports_above: 1023}
  - {name: dscp, filter: "", granularity: [protocol, dscp]}
  - {name: vlan, filter: "", granularity: [vlan, dscp, ip_version, protocol]}
  - {name: web, filter: "", granularity: [src_addr, dst_addr, dst_port], fold_ports_above: 1000}
  - {name: hi, filter: "", granularity: [dst_addr, src_port], fold_ports_above: 30000}
  - {name: src, filter: "", granularity: [src_addr]}
  - {name: none, filter: "", granularity: [], fold_ports_above: 5}
`

// refKey is the key of d's flow in class ci, field by field, as keyTo
// made it when it cleared the Key first.
func refKey(c *config.Class, ci int, d *dissect.Dissection) flow.Key {
	k := flow.Key{Class: uint16(ci), Iface: d.Meta.Iface}
	f, fold := fieldBits(c), c.FoldPortsAbove
	if f&pdu.FieldIPVersion != 0 {
		k.IPVersion = d.IPVersion
	}
	if f&pdu.FieldProtocol != 0 {
		k.Protocol = d.Protocol
	}
	if f&pdu.FieldSrcAddr != 0 {
		k.SrcAddr = d.SrcAddr
	}
	if f&pdu.FieldDstAddr != 0 {
		k.DstAddr = d.DstAddr
	}
	if d.Flags&(dissect.HasTCP|dissect.HasUDP|dissect.HasSCTP) != 0 { // ports: TCP, UDP, SCTP (RFC 9260 §3.1)
		if f&pdu.FieldSrcPort != 0 {
			k.SrcPort = d.SrcPort
			if fold > 0 && k.SrcPort > fold {
				k.SrcPort, k.Folded = 0, k.Folded|1
			}
		}
		if f&pdu.FieldDstPort != 0 {
			k.DstPort = d.DstPort
			if fold > 0 && k.DstPort > fold {
				k.DstPort, k.Folded = 0, k.Folded|2
			}
		}
	}
	if f&pdu.FieldDSCP != 0 {
		k.DSCP = d.DSCP()
	}
	if f&pdu.FieldVLAN != 0 && d.NVLAN > 0 {
		k.VLAN = d.VLANs[0]
	}
	return k
}

// packetFlow returns the flow of tb LookupPacket finds or creates for d
// in class c when its key is not want (nil when it is: Get finds that
// flow by want and it rebuilds want).
func packetFlow(tb *flow.Table, d *dissect.Dissection, c *class, want flow.Key) *flow.Flow {
	f, _ := tb.LookupPacket(d, &c.mask, 1, nil)
	if tb.Get(want) != f || f.Key() != want {
		return f
	}
	return nil
}

// TestKeysFieldByField: for every packet of every capture under testdata
// (IPv4, IPv6, VLAN and Q-in-Q, fragments, ICMP errors, Linux SLL,
// malformed ones), synthetic packets with ports at and around each
// class's fold, and every class of keyClasses, the probe's flow key is
// refKey's (keyTo writes into a zero Key and leaves the fields a class
// does not split by as they are: a caller passing another Key would get
// a stale field), and so is the key flow.Table.LookupPacket makes from
// the packet and the class's mask (account's lookup).
func TestKeysFieldByField(t *testing.T) {
	cfg, err := config.Parse([]byte(keyClasses), "keys.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := newTestProbe(t, cfg)
	tb := flow.New(len(p.classes), 1<<30, 0) // the flows of the packets' keys, made by LookupPacket
	var files []string
	root := testsamples.Dir(t)
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng") || strings.HasSuffix(path, ".gz")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	packets, folded := 0, 0
	for _, path := range files {
		src, err := replay.Open(path)
		if err != nil {
			continue // the damaged captures replay refuses
		}
		var d dissect.Dissection
		for {
			data, m, err := src.Next()
			if err != nil {
				break
			}
			if p.dis.Dissect(data, m, &d) != nil {
				continue
			}
			packets++
			for ci := range p.classes {
				c := &p.classes[ci]
				want := refKey(c.cfg, ci, &d)
				if got := p.key(ci, &d); got != want {
					t.Fatalf("%s frame %d class %s: key %+v, want %+v", filepath.Base(path), m.Frame, c.cfg.Name, got, want)
				}
				if f := packetFlow(tb, &d, c, want); f != nil {
					t.Fatalf("%s frame %d class %s: LookupPacket's flow has key %+v, want %+v", filepath.Base(path), m.Frame, c.cfg.Name, f.Key(), want)
				}
				if want.Folded != 0 {
					folded++
				}
			}
		}
		src.Close()
	}
	// Ports at and around each class's fold, every L4 kind, tagged or
	// not, addresses of both families or none.
	a4, b6 := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::7")
	for _, port := range []uint16{0, 4, 5, 6, 999, 1000, 1001, 1023, 1024, 29999, 30000, 30001, 65535} {
		for _, ports := range [][2]uint16{{port, 65535 - port}, {65535 - port, port}} {
			for _, l4 := range []uint16{dissect.HasTCP, dissect.HasUDP, dissect.HasSCTP, dissect.HasICMP} {
				for _, addrs := range [][2]netip.Addr{{a4, a4}, {b6, a4}, {{}, b6}, {{}, {}}} {
					d := dissect.Dissection{Flags: dissect.HasIP | l4, IPVersion: 4, Protocol: 17, TOS: 0xb8, SrcAddr: addrs[0], DstAddr: addrs[1],
						SrcPort: ports[0], DstPort: ports[1], NVLAN: uint8(port % 3), VLANs: [2]uint16{port, 7}}
					d.Meta.Iface = port % 5
					for ci := range p.classes {
						if got, want := p.key(ci, &d), refKey(p.classes[ci].cfg, ci, &d); got != want {
							t.Fatalf("ports %v, flags %#x, addresses %v, class %s: key %+v, want %+v", ports, d.Flags, addrs, p.classes[ci].cfg.Name, got, want)
						}
						if f := packetFlow(tb, &d, &p.classes[ci], refKey(p.classes[ci].cfg, ci, &d)); f != nil {
							t.Fatalf("ports %v, flags %#x, addresses %v, class %s: LookupPacket's flow has key %+v", ports, d.Flags, addrs, p.classes[ci].cfg.Name, f.Key())
						}
					}
				}
			}
		}
	}
	if packets < 10000 || folded == 0 {
		t.Fatalf("%d packets of %d captures, %d folded keys: not exercised", packets, len(files), folded)
	}
}
