package filter

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestSLLVLAN pins what the filters do with VLAN tags in Linux cooked
// captures (testdata/edge/22-sll-vlan: the same eight frames as SLL and
// SLL2, the TPID in the cooked header's protocol field and the tags after
// the header, as libpcap writes a tagged frame it captured cooked). The
// dissector walks the tags there as on Ethernet, so the sieve, Expr.Match
// and the BPF programs do too: `vlan [ID]` tests them and ip, ip6, arp,
// ports see through them. tcpdump (libpcap 1.10) refuses `vlan` on these
// link types ("no VLAN support for Linux cooked v1") and its ip, arp, ...
// read the protocol field only (only the untagged frames 1, 7 and 8);
// each of our filters is compared with the tcpdump filter that says its
// meaning in loads of the cooked header and the tags (all IPv4 headers
// here are 20 bytes). The BPF programs read only the cooked header's
// protocol field: a tagged IP frame was dropped by `ip`'s program
// (frames 2, 3, 4), which the sieve keeps.
func TestSLLVLAN(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	for _, c := range []struct {
		file     string
		cooked   string // libpcap's name of the link type
		protocol int    // offset of the cooked header's protocol field
		hdr      int    // its length: the first tag's TCI
	}{
		{"input-sll.pcap", "Linux cooked v1", 14, 16},
		{"input-sll2.pcap", "Linux cooked v2", 0, 20},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := testsamples.Path(t, "edge", "22-sll-vlan", c.file)
			frames := loadFrames(t, path)
			if len(frames) != 8 {
				t.Fatalf("%d frames, want 8", len(frames))
			}
			// tcpdump's own semantics on these link types
			var stderr bytes.Buffer
			cmd := exec.Command("tcpdump", "-r", path, "-w", t.TempDir()+"/x.pcap", "vlan")
			cmd.Stderr = &stderr
			if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "no VLAN support for "+c.cooked) {
				t.Errorf("tcpdump vlan on %s: %v %s; want it refused (no VLAN support)", c.cooked, err, stderr.String())
			}
			for expr, want := range map[string][]uint64{"ip": {1}, "ip6": {7}, "arp": {8}} {
				if got := tcpdumpFrames(t, path, expr, frames); !slices.Equal(got, want) {
					t.Errorf("tcpdump %q: frames %v, want %v (the protocol field only)", expr, got, want)
				}
			}
			T := c.hdr
			tpid := func(o int) string {
				return fmt.Sprintf("(link[%d:2] = 0x8100 or link[%d:2] = 0x88a8 or link[%d:2] = 0x9100)", o, o, o)
			}
			one := tpid(c.protocol) + " and not " + tpid(T+2)
			two := tpid(c.protocol) + " and " + tpid(T+2) // no frame has three
			// inner: the network layer of EtherType et behind one or two tags,
			// and the test f(off) of its header at off
			inner := func(et string, f func(off int) string) string {
				return fmt.Sprintf("((%s and link[%d:2] = %s and %s) or (%s and link[%d:2] = %s and %s))",
					one, T+2, et, f(T+4), two, T+6, et, f(T+8))
			}
			any := func(int) string { return "1 = 1" }
			for _, e := range []struct {
				ours, tcpdump string
				want          []uint64 // the frames, by edge/22-sll-vlan/make.py
			}{
				{"vlan", tpid(c.protocol), []uint64{2, 3, 4, 5, 6}},
				{"not vlan", "not " + tpid(c.protocol), []uint64{1, 7, 8}},
				{"vlan 100", fmt.Sprintf("%s and link[%d:2] & 0xfff = 100", tpid(c.protocol), T), []uint64{2, 3, 5}},
				{"vlan 300", fmt.Sprintf("%s and link[%d:2] & 0xfff = 300", tpid(c.protocol), T), []uint64{6}},
				{"vlan 200 and vlan 100", fmt.Sprintf("%s and link[%d:2] & 0xfff = 200 and link[%d:2] & 0xfff = 100", two, T, T+4), []uint64{4}},
				{"vlan and vlan", two, []uint64{4}},
				{"ip", "ip or " + inner("0x0800", any), []uint64{1, 2, 3, 4}},
				{"ip6", "ip6 or " + inner("0x86dd", any), []uint64{6, 7}},
				{"arp", "arp or " + inner("0x0806", any), []uint64{5, 8}},
				{"not vlan and ip", "not " + tpid(c.protocol) + " and ip", []uint64{1}},
				{"vlan 100 and tcp", fmt.Sprintf("%s and link[%d:2] & 0xfff = 100 and %s", tpid(c.protocol), T,
					inner("0x0800", func(o int) string { return fmt.Sprintf("link[%d] = 6", o+9) })), []uint64{2}},
				{"udp port 5000", "udp port 5000 or " + inner("0x0800", func(o int) string {
					return fmt.Sprintf("link[%d] = 17 and (link[%d:2] = 5000 or link[%d:2] = 5000)", o+9, o+20, o+22)
				}), []uint64{3, 4}},
				{"vlan and arp host 192.0.2.1", inner("0x0806", func(o int) string {
					return fmt.Sprintf("(link[%d:4] = 0xc0000201 or link[%d:4] = 0xc0000201)", o+14, o+24)
				}), []uint64{5}},
			} {
				want := tcpdumpFrames(t, path, e.tcpdump, frames)
				if !slices.Equal(want, e.want) {
					t.Errorf("tcpdump %q: frames %v, want %v", e.tcpdump, want, e.want)
				}
				x, err := Parse(e.ours)
				if err != nil {
					t.Fatal(err)
				}
				sv, err := Compile([]string{e.ours})
				if err != nil {
					t.Fatal(err)
				}
				var match, sieve, wantIP []uint64
				for k := range frames {
					fr := &frames[k]
					if x.Match(&fr.d) {
						match = append(match, fr.num)
					}
					if fr.err != nil { // the sieve sees IP packets only (design 3.2)
						continue
					}
					if slices.Contains(want, fr.num) {
						wantIP = append(wantIP, fr.num)
					}
					var set Set
					if sv.Match(&fr.d, &set); set.Has(0) {
						sieve = append(sieve, fr.num)
					}
				}
				if !slices.Equal(match, want) {
					t.Errorf("%q: Expr.Match %v, tcpdump %q %v", e.ours, match, e.tcpdump, want)
				}
				if !slices.Equal(sieve, wantIP) {
					t.Errorf("%q: sieve %v, tcpdump's IP frames %v", e.ours, sieve, wantIP)
				}
				for _, got := range bpfSelect(t, e.ours, frames, nil) {
					if !slices.Equal(got, want) {
						t.Errorf("%q: cBPF %v, tcpdump %q %v", e.ours, got, e.tcpdump, want)
					}
				}
			}
		})
	}
}
