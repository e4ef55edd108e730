package filter

import (
	"path/filepath"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// fuzzLinks are the link types FuzzBPFAgainstSieve frames its bytes as:
// those whose programs walk a link header of their own (tags, MPLS,
// PPPoE after Ethernet and the Linux cooked headers) and the raw ones.
var fuzzLinks = []pkt.LinkType{pkt.LinkEthernet, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2, pkt.LinkRaw, pkt.LinkNull, pkt.LinkPPP}

// FuzzBPFAgainstSieve holds the program's promise (Expr.BPF) on any bytes:
// the cBPF program of a filter (as a file's frames and, Ethernet, as a
// Linux socket sees them: bpfKeeps, the outer tag in the metadata whatever
// its TPID, and only an 802.1Q or 802.1ad one as Linux takes out) never
// drops a frame the sieve keeps. (It may
// keep more: the frames it cannot judge as the dissector does, a zero
// IPv4 length, more than 4 tags or labels, a cut IPv6 header chain, go to
// user space; TestBPFAgainstSieve holds the equality on real captures.)
// The same for the classes' union program (UnionBPF, live capture's
// kernel filter) and TestUnionBPF's classes.
// The filters are the equivalence tables' (plain and VLAN); the seeds are
// the frames of the VLAN and Linux cooked captures, and those of
// testdata/live-vlan.pcap (TestBPFLiveVLAN) as Ethernet, SLL and SLL2.
func FuzzBPFAgainstSieve(f *testing.F) {
	var exprs []Expr
	var names []string
	add := func(cs []eqCase) {
		for _, c := range cs {
			e, err := Parse(c.ours)
			if err != nil {
				f.Fatalf("%q: %v", c.ours, err)
			}
			exprs, names = append(exprs, e), append(names, c.ours)
		}
	}
	add(plainFilters)
	for _, v := range vlanCaptures {
		add(v.filters)
	}
	type compiled struct {
		prog []bpf.Instruction
		tg   BPFTarget
	}
	progs := map[pkt.LinkType][][]compiled{}
	for _, lt := range fuzzLinks {
		for _, e := range exprs {
			var cs []compiled
			for _, tg := range bpfTargets(lt) {
				p, err := e.BPF(tg)
				if err != nil {
					f.Fatalf("%s: %v", lt, err)
				}
				cs = append(cs, compiled{p, tg})
			}
			progs[lt] = append(progs[lt], cs)
		}
	}
	ces := unionClasses(f) // fragments and ICMP kept too, as live's
	unions := map[pkt.LinkType][]compiled{}
	for _, lt := range fuzzLinks {
		for _, tg := range bpfTargets(lt) {
			p, err := UnionBPF(ces, Keep{Fragments: true, ICMP: true}, tg)
			if err != nil {
				f.Fatalf("%s: %v", lt, err)
			}
			unions[lt] = append(unions[lt], compiled{p, tg})
		}
	}
	seeds := []string{"pcap/vlan/zeek_q-in-q.pcap", "pcap/vlan/zeek_icmp_dot1q.pcap", "pcap/vlan/tcpdump_802.1ad_QinQ.pcap",
		"pcap/ipv6/zeek_ipv6-fragmented-dns.pcap", "pcap/ipv6/tcpdump_icmpv6.pcap", "pcap/ipv4-fragments/zeek_ipv4_fragmented-1.pcap"}
	for _, s := range seeds {
		for _, fr := range loadFrames(f, filepath.Join(samplesDir(f), s)) {
			f.Add(uint8(0), fr.data)
		}
	}
	for i, lt := range []pkt.LinkType{pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2} {
		file := map[pkt.LinkType]string{pkt.LinkLinuxSLL: "input-sll.pcap", pkt.LinkLinuxSLL2: "input-sll2.pcap"}[lt]
		for _, fr := range loadFrames(f, testsamples.Path(f, "edge", "22-sll-vlan", file)) {
			f.Add(uint8(i+1), fr.data)
		}
	}
	for _, fr := range loadFrames(f, "testdata/live-vlan.pcap") {
		f.Add(uint8(0), fr.data)
		f.Add(uint8(1), cookFrame(fr.data, pkt.LinkLinuxSLL))
		f.Add(uint8(2), cookFrame(fr.data, pkt.LinkLinuxSLL2))
	}
	ds := dissect.New()
	f.Fuzz(func(t *testing.T, link uint8, data []byte) {
		lt := fuzzLinks[int(link)%len(fuzzLinks)]
		m := pkt.Meta{LinkType: lt, WireLen: uint32(len(data)), Frame: 1}
		fr := frame{num: 1, data: data}
		fr.err = ds.Dissect(data, m, &fr.d)
		for i, e := range exprs {
			want := fr.err != dissect.ErrMalformed && e.Match(&fr.d)
			for _, c := range progs[lt][i] {
				if !want {
					continue
				}
				if how := bpfKeeps(t, c.prog, c.tg, &fr); how != "" {
					t.Errorf("%s %q: frame %x dropped by cBPF %s, kept by the sieve", lt, names[i], data, how)
				}
			}
		}
		if fr.err == dissect.ErrMalformed {
			return
		}
		want := fr.d.Flags&(dissect.IsFrag|dissect.HasV6FragHdr) != 0 || fr.d.IPVersion == 4 && fr.d.Protocol == 1 ||
			fr.d.IPVersion == 6 && v6Proto(v6ProtoKey(&fr.d), 58)
		for _, e := range ces {
			want = want || e.Match(&fr.d)
		}
		if !want {
			return
		}
		for _, c := range unions[lt] {
			if how := bpfKeeps(t, c.prog, c.tg, &fr); how != "" {
				t.Errorf("%s union of the classes: frame %x dropped %s, kept by a class, a fragment or ICMP", lt, data, how)
			}
		}
	})
}
