package filter

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Linux's VLAN TPIDs (if_vlan.h eth_type_vlan): the only ones the kernel
// takes out of a received frame into the socket buffer's metadata
// (skb_vlan_untag); a 0x9100 tag stays in the frame.
const (
	tpid8021Q  = 0x8100
	tpid8021AD = 0x88a8
	tpid9100   = 0x9100
)

// tagFrame returns an Ethernet frame with the tags (TPID, TCI pairs,
// outermost first) inserted after the MAC addresses.
func tagFrame(eth []byte, tags ...[2]uint16) []byte {
	out := append([]byte(nil), eth[:12]...)
	for _, t := range tags {
		out = binary.BigEndian.AppendUint16(out, t[0])
		out = binary.BigEndian.AppendUint16(out, t[1])
	}
	return append(out, eth[12:]...)
}

// cookFrame returns an Ethernet frame as libpcap writes it captured
// cooked: the Linux cooked header (SLL, 16 bytes: packet type, ARPHRD_ETHER,
// address length 6, the source MAC, the protocol; SLL2, 20 bytes: the
// protocol, reserved, interface index, ARPHRD_ETHER, packet type, address
// length, the source MAC) with the frame's first EtherType as its protocol
// (a TPID for a tagged frame), then the frame after its EtherType: the
// tags stay after the header, as libpcap puts back the tag the kernel
// took out (tcpdump's print-sll.c, the make.py of testdata
// edge/22-sll-vlan).
func cookFrame(eth []byte, lt pkt.LinkType) []byte {
	if len(eth) < 14 {
		return nil
	}
	var h []byte
	switch lt {
	case pkt.LinkLinuxSLL:
		h = []byte{0, 0, 0, 1, 0, 6}
		h = append(h, eth[6:12]...)
		h = append(h, 0, 0, eth[12], eth[13])
	case pkt.LinkLinuxSLL2:
		h = []byte{eth[12], eth[13], 0, 0, 0, 0, 0, 2, 0, 1, 0, 6}
		h = append(h, eth[6:12]...)
		h = append(h, 0, 0)
	}
	return append(h, eth[14:]...)
}

// linkFrames derives, from Ethernet frames, the frames the Linux
// capture paths give: each untagged frame tagged once (802.1Q VLAN 10,
// a priority tag: VLAN 0 with PCP 5 and DEI, 802.1ad and 0x9100 outer tags)
// and twice (QinQ: 802.1ad 20 over 802.1Q 10, 802.1Q over 802.1Q), and
// each Ethernet frame (given and derived) as SLL and SLL2.
func linkFrames(eth []frame) []frame {
	ds := dissect.New()
	var out []frame
	add := func(data []byte, lt pkt.LinkType) {
		if data == nil {
			return
		}
		fr := frame{num: uint64(len(out) + 1), data: data}
		fr.err = ds.Dissect(data, pkt.Meta{LinkType: lt, WireLen: uint32(len(data)), Frame: fr.num}, &fr.d)
		out = append(out, fr)
	}
	for _, fr := range eth {
		vars := [][]byte{fr.data}
		if len(fr.data) >= 14 {
			switch binary.BigEndian.Uint16(fr.data[12:]) {
			case tpid8021Q, tpid8021AD, tpid9100:
			default:
				vars = append(vars,
					tagFrame(fr.data, [2]uint16{tpid8021Q, 10}),
					tagFrame(fr.data, [2]uint16{tpid8021Q, 5<<13 | 1<<12}),
					tagFrame(fr.data, [2]uint16{tpid8021AD, 20}),
					tagFrame(fr.data, [2]uint16{tpid9100, 30}),
					tagFrame(fr.data, [2]uint16{tpid8021AD, 20}, [2]uint16{tpid8021Q, 10}),
					tagFrame(fr.data, [2]uint16{tpid8021Q, 20}, [2]uint16{tpid8021Q, 10}))
			}
		}
		for _, v := range vars {
			add(v, pkt.LinkEthernet)
			add(cookFrame(v, pkt.LinkLinuxSLL), pkt.LinkLinuxSLL)
			add(cookFrame(v, pkt.LinkLinuxSLL2), pkt.LinkLinuxSLL2)
		}
	}
	return out
}

// bpfRunLinux is bpfRun (with kernel set) as Linux gives an Ethernet
// frame to an AF_PACKET socket: only an outer 802.1Q or 802.1ad tag is
// taken out into the metadata (net/core/dev.c: skb_vlan_untag for
// ETH_P_8021Q and ETH_P_8021AD), a 0x9100 tag stays in the frame with no
// tag in the metadata. bpfRun's model takes 0x9100 out too: the program
// must keep what the sieve keeps under both.
func bpfRunLinux(t testing.TB, prog []bpf.Instruction, fr *frame) bool {
	t.Helper()
	if fr.d.Meta.LinkType == pkt.LinkEthernet && len(fr.data) >= 14 && binary.BigEndian.Uint16(fr.data[12:]) == tpid9100 {
		return bpfRun(t, prog, fr, false)
	}
	return bpfRun(t, prog, fr, true)
}

// bpfKeeps runs prog, compiled for tg, over fr every way the frame can
// reach it and reports the first way that drops it ("" if none does):
// as a file's frame, and (KernelVLAN) as bpfRun's and Linux's sockets
// give it.
func bpfKeeps(t testing.TB, prog []bpf.Instruction, tg BPFTarget, fr *frame) string {
	t.Helper()
	if !tg.KernelVLAN {
		if !bpfRun(t, prog, fr, false) {
			return "as a file's frame"
		}
		return ""
	}
	if !bpfRun(t, prog, fr, true) {
		return "with the outer tag (any TPID) in the metadata"
	}
	if !bpfRunLinux(t, prog, fr) {
		return "as Linux gives it (an 802.1Q or 802.1ad outer tag in the metadata)"
	}
	return ""
}

// FuzzBPFLinks holds Expr.BPF's promise on the links live capture and
// cooked files give, for any filter and any bytes: over a frame of
// Ethernet (as a file's frame; as a Linux socket sees it, the outer
// 802.1Q or 802.1ad tag in the metadata, and as bpfRun models it, any
// outer tag there), Linux cooked SLL (DLT 113) or SLL2 (DLT 276), the
// program of a filter Parse accepts never drops a frame Expr.Match keeps
// (it may keep more: see Expr.BPF). The seeds are the equivalence
// tables' filters over the frames of two captures, tagged (802.1Q, a
// priority tag, 802.1ad, 0x9100, QinQ) and cooked (linkFrames).
func FuzzBPFLinks(f *testing.F) {
	links := []pkt.LinkType{pkt.LinkEthernet, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2}
	var seeds []frame
	for _, s := range []string{"pcap/vlan/zeek_icmp_dot1q.pcap", "pcap/ipv6/zeek_ipv6-fragmented-dns.pcap"} {
		seeds = append(seeds, loadFrames(f, filepath.Join(samplesDir(f), s))...)
	}
	fs := linkFrames(seeds)
	var filters []string
	for _, c := range plainFilters {
		filters = append(filters, c.ours)
	}
	for _, v := range vlanCaptures {
		for _, c := range v.filters {
			filters = append(filters, c.ours)
		}
	}
	for i := range fs {
		l := 0
		for k, lt := range links {
			if fs[i].d.Meta.LinkType == lt {
				l = k
			}
		}
		f.Add(filters[i%len(filters)], uint8(l), fs[i].data)
	}
	ds := dissect.New()
	f.Fuzz(func(t *testing.T, s string, link uint8, data []byte) {
		if len(s) > 300 {
			return
		}
		e, err := Parse(s)
		if err != nil {
			return
		}
		lt := links[int(link)%len(links)]
		fr := frame{num: 1, data: data}
		fr.err = ds.Dissect(data, pkt.Meta{LinkType: lt, WireLen: uint32(len(data)), Frame: 1}, &fr.d)
		if fr.err == dissect.ErrMalformed || !e.Match(&fr.d) {
			return
		}
		for _, tg := range bpfTargets(lt) {
			prog, err := e.BPF(tg)
			if err != nil {
				return // no translation (ErrBPFUnsupported), or beyond classic BPF's limits
			}
			if how := bpfKeeps(t, prog, tg, &fr); how != "" {
				t.Fatalf("%s %q: frame %x dropped by cBPF %s, kept by Expr.Match", lt, s, data, how)
			}
		}
	})
}
