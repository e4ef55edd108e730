package filter

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// FuzzBPFFilters holds Expr.BPF's promise for any filter: over the frames
// of seven Ethernet captures (tags, IPv6 and IPv4 fragments, HTTP, FTP
// over IPv6), the program of a filter Parse accepts, as a file's frames
// and as a Linux socket sees them (the outer tag in the metadata), never
// drops a frame Expr.Match keeps. It found Match refusing negative load
// offsets, which libpcap adds to the header's start in 32 bits
// (`tcp[-1]`), and then the socket's programs reading the link layer
// through them where the kernel took the tag out (both fixed; their
// inputs stay in the corpus).
func FuzzBPFFilters(f *testing.F) {
	for _, c := range plainFilters {
		f.Add(c.ours)
	}
	for _, v := range vlanCaptures {
		for _, c := range v.filters {
			f.Add(c.ours)
		}
	}
	var frames []frame
	for _, s := range []string{"pcap/vlan/zeek_q-in-q.pcap", "pcap/vlan/zeek_icmp_dot1q.pcap", "pcap/vlan/zeek_vlan-pcp-dei.pcapng",
		"pcap/ipv6/zeek_ipv6-fragmented-dns.pcap", "pcap/mixed/zeek_wikipedia.pcap", "pcap/ipv4-fragments/zeek_ipv4_fragmented-1.pcap", "pcap/ftp-active/zeek_ftp_ipv6.pcap"} {
		for _, fr := range loadFrames(f, filepath.Join(samplesDir(f), s)) {
			if fr.d.Meta.LinkType == pkt.LinkEthernet {
				frames = append(frames, fr)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 300 {
			return
		}
		e, err := Parse(s)
		if err != nil {
			return
		}
		for _, tg := range bpfTargets(pkt.LinkEthernet) {
			prog, err := e.BPF(tg)
			if err != nil {
				return // no translation (ErrBPFUnsupported), or beyond classic BPF's limits
			}
			for i := range frames {
				fr := &frames[i]
				if fr.err == dissect.ErrMalformed {
					continue
				}
				want := e.Match(&fr.d)
				got := bpfRun(t, prog, fr, tg.KernelVLAN)
				if want && !got {
					t.Fatalf("%q (kernel VLAN %v): frame %d of the seven captures dropped by cBPF, kept by Expr.Match", s, tg.KernelVLAN, i)
				}

			}
		}
	})
}
