package filter

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestBPFLiveVLAN pins the programs on frames Linux gave a packet socket:
// testdata/live-vlan.pcap holds the 65 frames a raw socket sent on one
// end of a veth pair (a kernel without 802.1Q devices), as tcpdump 4.99.3
// (libpcap 1.10.3) saved them on the other end, the tag the kernel took
// into the metadata put back with its TPID: per kind, 6 TCP SYNs to port
// 8080, 4 UDP datagrams and 3 ICMP echo requests, untagged, 802.1Q VLAN
// 10, a priority tag (VLAN 0, PCP 5), 802.1ad 100 over 802.1Q 20 (QinQ)
// and 0x9100 30. Each filter's count is tcpdump's on the file for the
// filter that says ours (tags seen through):
// `tcpdump -r live-vlan.pcap 'udp or (vlan and (udp or (vlan and udp)))' | wc -l`
// is 20, and so on. The program (as a file's frames; with the outer tag
// in the metadata, any TPID as bpfRun models it and 802.1Q or 802.1ad
// only as Linux does) selects exactly those, and so do the same frames
// cooked as SLL and SLL2 (the tags after the cooked header, as libpcap
// writes them: TestSLLVLAN). A live check with these frames (live
// --filter on the veth, the same counts) found the kernel agreeing.
func TestBPFLiveVLAN(t *testing.T) {
	frames := loadFrames(t, "testdata/live-vlan.pcap")
	if len(frames) != 65 {
		t.Fatalf("%d frames, want 65", len(frames))
	}
	cooked := map[pkt.LinkType][]frame{pkt.LinkEthernet: frames}
	ds := dissect.New()
	for _, lt := range []pkt.LinkType{pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2} {
		for _, fr := range frames {
			c := frame{num: fr.num, data: cookFrame(fr.data, lt)}
			c.err = ds.Dissect(c.data, pkt.Meta{LinkType: lt, WireLen: uint32(len(c.data)), Frame: c.num}, &c.d)
			cooked[lt] = append(cooked[lt], c)
		}
	}
	for _, c := range []struct {
		filter string
		want   int // tcpdump -r live-vlan.pcap (the filter seeing through up to two tags) | wc -l
	}{
		{"vlan and tcp port 8080", 24}, // 'vlan and (tcp port 8080 or (vlan and tcp port 8080))'
		{"udp", 20},                    // 'udp or (vlan and (udp or (vlan and udp)))'
		{"icmp", 15},                   // 'icmp or (vlan and (icmp or (vlan and icmp)))'
		{"ip", 65},                     // 'ip or (vlan and (ip or (vlan and ip)))'
		{"vlan", 52},                   // 'vlan'
		{"tcp port 8080", 30},          // 'tcp port 8080 or (vlan and (tcp port 8080 or (vlan and tcp port 8080)))'
	} {
		e, err := Parse(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		for lt, fs := range cooked {
			match := 0
			for i := range fs {
				if e.Match(&fs[i].d) {
					match++
				}
			}
			if match != c.want {
				t.Errorf("%s %q: Expr.Match keeps %d frames, tcpdump %d", lt, c.filter, match, c.want)
			}
			for _, tg := range bpfTargets(lt) {
				prog, err := e.BPF(tg)
				if err != nil {
					t.Fatal(err)
				}
				runs := map[string]func(fr *frame) bool{"file": func(fr *frame) bool { return bpfRun(t, prog, fr, false) }}
				if tg.KernelVLAN {
					runs = map[string]func(fr *frame) bool{
						"kernel (any TPID)": func(fr *frame) bool { return bpfRun(t, prog, fr, true) },
						"Linux":             func(fr *frame) bool { return bpfRunLinux(t, prog, fr) },
					}
				}
				for how, run := range runs {
					n := 0
					for i := range fs {
						if run(&fs[i]) {
							n++
						}
					}
					if n != c.want {
						t.Errorf("%s %q (%s): cBPF keeps %d frames, tcpdump %d", lt, c.filter, how, n, c.want)
					}
				}
			}
		}
	}
}
