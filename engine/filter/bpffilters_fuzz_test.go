package filter

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// FuzzBPFFilters holds Expr.BPF's promise for any filter: over the frames
// of seven Ethernet captures (tags, IPv6 and IPv4 fragments, HTTP, FTP
// over IPv6), as a file's frames and as a Linux socket sees them (the
// outer tag in the metadata: any TPID as bpfRun models it, and 802.1Q or
// 802.1ad only as Linux does, bpfRunLinux), and over linkFrames of their
// first frames (tagged once and twice, and every Ethernet frame as Linux
// cooked SLL and SLL2, the tags after the cooked header), the program of
// a filter Parse accepts never drops a frame Expr.Match keeps. It found
// Match refusing negative load offsets, which libpcap adds to the
// header's start in 32 bits (`tcp[-1]`), and then the socket's programs
// reading the link layer through them where the kernel took the tag out
// (both fixed; their inputs stay in the corpus). The cooked and tagged
// frames (3 minutes, 2 workers) found nothing more.
func FuzzBPFFilters(f *testing.F) {
	for _, c := range plainFilters {
		f.Add(c.ours)
	}
	for _, v := range vlanCaptures {
		for _, c := range v.filters {
			f.Add(c.ours)
		}
	}
	var frames, eth []frame
	for _, s := range []string{"pcap/vlan/zeek_q-in-q.pcap", "pcap/vlan/zeek_icmp_dot1q.pcap", "pcap/vlan/zeek_vlan-pcp-dei.pcapng",
		"pcap/ipv6/zeek_ipv6-fragmented-dns.pcap", "pcap/mixed/zeek_wikipedia.pcap", "pcap/ipv4-fragments/zeek_ipv4_fragmented-1.pcap", "pcap/ftp-active/zeek_ftp_ipv6.pcap"} {
		for i, fr := range loadFrames(f, filepath.Join(samplesDir(f), s)) {
			if fr.d.Meta.LinkType != pkt.LinkEthernet {
				continue
			}
			frames = append(frames, fr)
			if i < 16 { // the two long captures' first frames: handshakes, DNS, FTP commands
				eth = append(eth, fr)
			}
		}
	}
	for _, fr := range linkFrames(eth) {
		if fr.d.Meta.LinkType != pkt.LinkEthernet || !containsData(frames, fr.data) {
			frames = append(frames, fr)
		}
	}
	progs := map[pkt.LinkType][]BPFTarget{}
	for _, lt := range []pkt.LinkType{pkt.LinkEthernet, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2} {
		progs[lt] = bpfTargets(lt)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 300 {
			return
		}
		e, err := Parse(s)
		if err != nil {
			return
		}
		for _, lt := range []pkt.LinkType{pkt.LinkEthernet, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2} {
			for _, tg := range progs[lt] {
				prog, err := e.BPF(tg)
				if err != nil {
					return // no translation (ErrBPFUnsupported), or beyond classic BPF's limits
				}
				for i := range frames {
					fr := &frames[i]
					if fr.d.Meta.LinkType != lt || fr.err == dissect.ErrMalformed || !e.Match(&fr.d) {
						continue
					}
					if how := bpfKeeps(t, prog, tg, fr); how != "" {
						t.Fatalf("%q: %s frame %x dropped by cBPF %s, kept by Expr.Match", s, lt, fr.data, how)
					}
				}
			}
		}
	})
}

// containsData reports whether a frame of fs has exactly the bytes b.
func containsData(fs []frame, b []byte) bool {
	for i := range fs {
		if string(fs[i].data) == string(b) {
			return true
		}
	}
	return false
}
