package filter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/replay"
)

// eqCase is one filter of the equivalence tables: ours is given to the
// sieve, tcpdump to `tcpdump -r F -w out <tcpdump>` (empty: the same text).
// Our extensions (tcp-syn, dscp, ...) have a tcpdump spelling that tests
// the same header bits; tcp[...] in libpcap is IPv4-only, so the IPv6 half
// reads ip6[53] (byte 13 of a TCP header right after the fixed header,
// which is also when our flags are visible).
type eqCase struct {
	ours, tcpdump string
}

// tcpFlag is the tcpdump spelling of a TCP flag primitive with bit value v.
func tcpFlag(name string, v int) string {
	return fmt.Sprintf("(tcp[tcpflags] & %s != 0 or (ip6 and ip6[6] = 6 and ip6[53] & %d != 0))", name, v)
}

// dscpExpr is the tcpdump spelling of `dscp n`.
func dscpExpr(n int) string {
	return fmt.Sprintf("((ip and ip[1] & 0xfc = %d) or (ip6 and ip6[0:2] & 0x0fc0 = %d))", n<<2, n<<6)
}

// plainCaptures hold no VLAN tags (asserted), so tcpdump's view of the
// network layer and ours agree; they cover DNS, FTP over IPv4 and IPv6,
// IPv4 and IPv6 fragments, ICMP errors, ICMPv6 with a hop-by-hop header,
// TCP flags, DSCP values, Linux cooked and PPP links.
var plainCaptures = []string{
	"pcap/mixed/zeek_wikipedia.pcap",
	"pcap/dns/tcpdump_dns_tcp.pcap",
	"pcap/dns/chrissanders_dns_lab.pcapng",
	"pcap/ftp-active/zeek_ftp_ipv4.pcap",
	"pcap/ftp-active/zeek_ftp_ipv6.pcap",
	"pcap/ftp-passive/zeek_ftp_bigtransfer.pcap",
	"pcap/ipv4-fragments/chrissanders_ppa1e_ipfragments.pcap",
	"pcap/ipv4-fragments/lwerdna_teardrop.pcap",
	"pcap/ipv4-fragments/zeek_ipv4_fragmented-1.pcap",
	"pcap/ipv4-fragments/zeek_ipv4_fragmented-4.pcap",
	"pcap/ipv6/zeek_ipv6-fragmented-dns.pcap",
	"pcap/ipv6/chrissanders_ipv6_fragments.pcapng",
	"pcap/ipv6/chrissanders_http_ip4and6.pcapng",
	"pcap/ipv6/tcpdump_icmpv6.pcap",
	"pcap/ipv6/zeek_communityid_icmp6.pcap",
	"pcap/icmp-errors/chrissanders_icmp_traceroute.pcapng",
	"pcap/icmp-errors/zeek_icmp-destunreach-udp.pcap",
	"pcap/icmp-errors/tcpdump_mpls-traceroute.pcap",
	"pcap/icmp-echo/zeek_icmp_5-pings.pcap",
	"pcap/tcp-retrans-rst/zeek_tcp_rst-inject-rae.pcap",
	"pcap/linux-sll/tcpdump_resp_1_benchmark.pcap",
	"pcap/linux-sll/gopacket_linux_sll_oversized_addr.pcapng", // frame 95: TCP data offset 0, its ports read (TestTcpdumpBadOffset)
	"pcap/linux-sll/zeek_linuxsll-arp.pcap",                   // 12 ARP requests, Linux cooked v1
	"pcap/linux-sll/zeek_linux_dlt_sll2.pcap",                 // ARP and RARP, Linux cooked v2
}

// emptyHere are plain filters no frame of these captures passes (checked
// against tcpdump all the same).
var emptyHere = map[string]bool{"ah": true, "esp or pim": true, "arp and not arp": true}

// arpFilters test ARP and RARP frames (EtherType 0x0806, 0x8035) and
// their sender (src) and target (dst) protocol addresses, which
// libpcap's host and net also test (pcap-filter(7): `arp host`); the
// addresses are those of the ARP frames of the plain captures
// (zeek_wikipedia, zeek_linuxsll-arp, zeek_linux_dlt_sll2).
var arpFilters = []eqCase{
	{ours: "arp"},
	{ours: "rarp"},
	{ours: "arp or rarp"},
	{ours: "not arp"},
	{ours: "arp and not arp"},
	{ours: "not (arp or ip)"},
	{ours: `ether proto \arp`},
	{ours: "ether proto 0x0806"},
	{ours: `ether proto \rarp or udp`},
	{ours: "arp host 141.142.220.1"},
	{ours: "arp src 10.1.10.100"},
	{ours: "arp dst host 192.168.22.81"},
	{ours: "arp src and dst 192.168.22.81"},
	{ours: "arp net 141.142.220.0/24 and not arp src 141.142.220.1"},
	{ours: "rarp host 192.0.2.1"},
	{ours: "arp host 192.0.2.1"},
	{ours: "host 192.0.2.2"},
	{ours: "src host 141.142.220.1"},
	{ours: "dst net 10.1.10.0/24"},
	{ours: "not host 10.1.10.1"},
	{ours: "ip host 141.142.220.1 or arp src 141.142.220.226"},
	{ours: "arp and host 192.168.22.1 or tcp port 80"},
}

// plainFilters run on every plain capture; none carries AH, ESP or PIM
// (TestSemantics checks them on packets that do): there they check that
// tcpdump agrees and that their BPF compiles.
var plainFilters = append([]eqCase{
	{ours: ""},
	{ours: "ip"},
	{ours: "ip6"},
	{ours: "not ip"},
	{ours: "tcp and not rarp"},
	{ours: "arp or udp"},
	{ours: "tcp"},
	{ours: "udp"},
	{ours: "icmp"},
	{ours: "icmp6"},
	{ours: "icmp or icmp6"},
	{ours: "not (tcp or udp)"},
	{ours: "icmp or icmp6 or udp and port 53"}, // libpcap: and/or have equal precedence: ((icmp or icmp6) or udp) and port 53
	{ours: "udp or tcp and port 53"},
	{ours: "proto 17"},
	{ours: "ah"}, // libpcap: proto 51 (gen_proto_abbrev Q_AH)
	{ours: "esp or pim"},
	{ours: "not ah and ip6"},
	{ours: "ip proto 1"},
	{ours: "ip6 proto 58"},
	{ours: "ip6 proto 17"},
	// extension header numbers: the fixed header's next header, or the
	// fragment header's (libpcap gen_proto Q_IPV6); a hop-by-hop header
	// (0) hides the upper layer from `ip6 proto` (the MLD reports)
	{ours: "ip6 proto 44"},
	{ours: "ip6 proto 0"},
	{ours: "proto 44"},
	{ours: "ip6 proto 58 and not ip6 proto 0"},
	{ours: "not ip6 proto 44 and ip6"},
	{ours: "ip multicast or ip6 multicast"}, // libpcap: ip[16] >= 224, ip6[24] == 255
	{ours: "ip6 multicast and not icmp6"},
	{ours: `proto \tcp`, tcpdump: `proto \tcp`},
	{ours: "port 53"},
	{ours: "udp port 53"},
	{ours: "tcp port 53"},
	{ours: "src port 53"},
	{ours: "dst port 53"},
	{ours: "port 21 or 20 or 53"},
	{ours: "tcp dst port 80 or 8080"},
	{ours: "not port 53"},
	{ours: "udp and not port 53"},
	{ours: "portrange 20-21"},
	{ours: "tcp portrange 1024-65535"},
	{ours: "udp dst portrange 1-1023"},
	{ours: "src and dst portrange 1024-65535"},
	{ours: "src or dst port 7790"},
	{ours: "host 141.142.220.118"},
	{ours: "src host 141.142.220.118"},
	{ours: "dst host 208.80.152.3"},
	{ours: "host 141.142.220.118 and host 208.80.152.3"},
	{ours: "host 10.0.0.6 or 10.0.0.254"},
	{ours: "host 141.142.220.118 and not (208.80.152.3 or 141.142.2.2)"},
	{ours: "not host 141.142.220.118"},
	{ours: "net 141.142.220.0/24"},
	{ours: "net 208.80.152.0 mask 255.255.255.0"},
	{ours: "src net 141.142"},
	{ours: "net 10"},
	{ours: "dst net 192.168.100.0/24 and icmp"},
	{ours: "icmp and host 4.2.2.1"}, // ICMP errors quoting packets to 4.2.2.1 do not match
	{ours: "ip6 host 2001:470:4867:99::21"},
	{ours: "host 2001:470:1f11:81f:c999:d94:aa7c:2e3e and tcp port 21"},
	{ours: "net 2001:470::/32"},
	{ours: "ip6 src net 2001:470:1f11:81f::/64"},
	{ours: "dst net ff02::/16"},
	{ours: "net fe80::/10 and icmp6"},
	{ours: "host 2607:f740:b::f93 and udp"},
	{ours: "len <= 100"},
	{ours: "len > 1000"},
	{ours: "less 64"},
	{ours: "greater 1500"},
	{ours: "len = 60"},
	{ours: "len != 60"},
	{ours: "tcp-syn", tcpdump: tcpFlag("tcp-syn", 2)},
	{ours: "tcp-syn and not tcp-ack", tcpdump: tcpFlag("tcp-syn", 2) + " and not " + tcpFlag("tcp-ack", 16)},
	{ours: "tcp-rst", tcpdump: tcpFlag("tcp-rst", 4)},
	{ours: "tcp-fin or tcp-rst", tcpdump: tcpFlag("tcp-fin", 1) + " or " + tcpFlag("tcp-rst", 4)},
	{ours: "not tcp-ack", tcpdump: "not " + tcpFlag("tcp-ack", 16)},
	{ours: "dscp 0", tcpdump: dscpExpr(0)},
	{ours: "dscp 2", tcpdump: dscpExpr(2)},
	{ours: "dscp 4 and tcp port 21", tcpdump: dscpExpr(4) + " and tcp port 21"},
	{ours: "dscp 8", tcpdump: dscpExpr(8)},
	{ours: "dscp 48", tcpdump: dscpExpr(48)},
	{ours: "not dscp 0", tcpdump: "not " + dscpExpr(0)},
	{ours: "tcp and (port 80 or port 21) and not host 208.80.152.3"},
	{ours: "(tcp or icmp) and len >= 100 and not src net 141.142.220.0/24"},
	{ours: "ip and udp and not (port 53 or port 137)"},
	{ours: "vlan"},
	{ours: "not vlan"},
	// Byte offsets and arithmetic (arith.go), as pcap-filter(7) writes them.
	{ours: "tcp[13] & 2 != 0"},
	{ours: "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"},
	{ours: "tcp[tcpflags] & (tcp-fin|tcp-rst) != 0 and not tcp[13] & tcp-ack = 0"},
	{ours: "not tcp[13] & 2 != 0"},
	{ours: "tcp[12] >> 4 > 5"},                                                            // TCP options present
	{ours: "tcp[0:2] > tcp[2:2]"},                                                         // source port above destination port
	{ours: "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420"},                               // pcap-filter(7): "GET "
	{ours: "tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)"}, // pcap-filter(7): HTTP with data
	{ours: "ip[6:2] & 0x3fff != 0"},                                                       // IPv4 fragments
	{ours: "ip[6] & 0x20 = 0 and ip[6:2] & 0x1fff != 0"},
	{ours: "ip[2:2] > 576"},
	{ours: "tcp[-8:4] = ip[12:4]"},          // a negative offset reads before the layer (32-bit wrap, as libpcap): no IPv4 options
	{ours: "ip[-2:2] = 0x800"},              // the link layer's protocol field through ip[]
	{ours: "udp[ip[8] - ip[8] - 2:2] != 0"}, // a negative offset computed at run time
	{ours: "ip[8] < 64 or ip[0] & 0xf != 5"},
	{ours: "ip and -ip[8] < 0xffffffc0"}, // TTL above 64, unsigned wrap-around
	{ours: "ip[8] > ip[9]"},
	{ours: "ip[2:2] / 4 % 3 == 1 or ip[2:2] % 3 + 1 == 1 or ip[2:2] & 3 ^ 1 == 2"}, // % and ^ have no precedence in libpcap
	{ours: "(ip[4:2] ^ ip[6:2]) & 1 == 1 and ip[8] * 3 ^ 1 > 100"},
	{ours: "ip[12:4] & 0xffffff00 = 0x8d8edc00"}, // src net 141.142.220.0/24
	{ours: "icmp[icmptype] == icmp-echo"},
	{ours: "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply"},
	{ours: "icmp[0] = icmp-unreach or icmp[0] = icmp-timxceed"},
	{ours: "udp[8:2] == 0x1234 or udp[10:2] & 0x8000 != 0"}, // DNS responses (QR bit)
	{ours: "udp[2:2] = 53 and udp[4:2] > 30"},
	{ours: "icmp6[icmp6type] == icmp6-echo or icmp6[0] = icmp6-neighborsolicit"},
	{ours: "icmp6[0] >= 128 and icmp6[0] < 136"},
	{ours: "ip6[6] = 17 and ip6[7] < 255"},
	{ours: "ip6[0:4] & 0x0ff00000 = 0"}, // traffic class 0
	{ours: "ether[0] & 1 != 0"},         // group destination (broadcast, multicast)
	{ours: "ether[6:4] != 0 and len - 14 > 100"},
	{ours: "len - 14 > 1000 or 1 + 1 = len / 30"},
	{ours: "not tcp[1000] = 0"},          // past the end: tcpdump rejects the TCP packets
	{ours: "tcp[1000] = 0 or udp"},       // ... and skips to the next branch for others
	{ours: "ip[2:2] / (ip[8] - 64) > 0"}, // division by zero at TTL 64: rejected
}, arpFilters...)

// vlanCaptures pair tagged captures with filters that name as many `vlan`
// primitives as the frames carry tags (beyond that tcpdump stops seeing the
// network layer; we do not: see the package documentation).
var vlanCaptures = []struct {
	file    string
	filters []eqCase
}{
	{"pcap/vlan/zeek_vlan-pcp-dei.pcapng", []eqCase{ // frames tagged 10+20, 20, untagged
		{ours: "vlan"}, {ours: "not vlan"}, {ours: "vlan 20"}, {ours: "vlan 10"},
		{ours: "vlan 10 and vlan 20"}, {ours: "vlan 10 or vlan 20"}, {ours: "vlan and vlan"},
		{ours: "vlan and not vlan"}, {ours: "vlan 20 and tcp"}, {ours: "vlan 10 and vlan 20 and tcp-syn", tcpdump: "vlan 10 and vlan 20 and tcp[tcpflags] & tcp-syn != 0"},
		{ours: "vlan 20 and host 192.168.1.100 and tcp port 80"},
		{ours: "vlan 10 and vlan 20 and src port 12345"}, {ours: "len = 58"},
		{ours: "vlan 10 and vlan 20 and tcp[13] & 2 != 0"}, {ours: "vlan 20 and ip[8] > 63"},
		{ours: "ether[0] & 1 = 0 and not vlan"},
	}},
	{"pcap/vlan/zeek_q-in-q.pcap", []eqCase{ // tags 13+10, BACnet over UDP
		{ours: "vlan 13"}, {ours: "vlan 10"}, {ours: "vlan 13 and vlan 10"}, {ours: "vlan and vlan 10 and udp"},
		{ours: "vlan 13 and vlan 10 and udp port 47808"}, {ours: "vlan and vlan and not udp"}, {ours: "vlan and vlan and vlan"},
	}},
	{"pcap/vlan/zeek_icmp_dot1q.pcap", []eqCase{ // tag 123: ARP + ICMP echo
		{ours: "vlan 123"}, {ours: "vlan 123 and icmp"}, {ours: "vlan and ip"}, {ours: "vlan 124 or not vlan"},
		{ours: "vlan 123 and not icmp"}, {ours: "vlan 123 and arp"}, {ours: "vlan and arp host 192.168.123.1"},
		{ours: "vlan and src host 192.168.123.2"}, {ours: "vlan and not arp"}, {ours: "vlan and (arp or rarp) and arp dst 192.168.123.1"},
	}},
	{"pcap/vlan/zeek_http-vlan-0.pcap", []eqCase{ // priority tag, VLAN ID 0
		{ours: "vlan 0"}, {ours: "vlan 0 and tcp port 80"}, {ours: "vlan and tcp-syn", tcpdump: "vlan and tcp[tcpflags] & tcp-syn != 0"},
		{ours: "vlan and len > 100"},
	}},
	{"pcap/vlan/tcpdump_802.1ad_QinQ.pcap", []eqCase{ // 802.1ad S-tag 200 + C-tag 2001, ARP
		{ours: "vlan 200"}, {ours: "vlan 200 and vlan 2001"}, {ours: "vlan 200 and vlan 2000"}, {ours: "vlan and vlan and ip"},
		{ours: "vlan and vlan and arp"}, {ours: "vlan 200 and vlan and arp src 172.21.79.97"}, {ours: "vlan and vlan and host 172.21.79.100"},
	}},
}

// tcpdumpFrames returns the frame numbers of the packets
// `tcpdump -r path -w out expr` selects. tcpdump's -# numbers the packets it
// prints, not the capture's frames, so the selected packets are written to
// a file and mapped back to frames in order by (bytes, wire length): the
// only inputs of a filter's verdict, so the mapping is exact.
func tcpdumpFrames(t *testing.T, path, expr string, frames []frame) []uint64 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sel.pcap")
	args := []string{"-r", path, "-w", out}
	if expr != "" {
		args = append(args, expr)
	}
	cmd := exec.Command("tcpdump", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "expression rejects all packets") {
			return nil
		}
		if strings.Contains(stderr.String(), "no VLAN support for") || strings.Contains(stderr.String(), "no MPLS support for") {
			// libpcap refuses `vlan` on non-Ethernet links; the sieve
			// sees no tag there (NVLAN = 0): compare with that.
			if expr == "mpls" {
				return nil
			}
			var nums []uint64
			e, err := Parse(expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, fr := range frames {
				if e.Match(&fr.d) {
					nums = append(nums, fr.num)
				}
			}
			if !strings.Contains(expr, "not vlan") && len(nums) > 0 {
				t.Fatalf("%q matches frames without tags", expr)
			}
			return nums
		}
		t.Fatalf("tcpdump %q: %v: %s", args, err, stderr.String())
	}
	f, err := replay.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var nums []uint64
	i := 0
	for {
		data, m, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i < len(frames) && !(frames[i].d.Meta.WireLen == m.WireLen && bytes.Equal(frames[i].data, data)) {
			i++
		}
		if i == len(frames) {
			t.Fatalf("tcpdump %q wrote a packet not found in order in the capture", expr)
		}
		nums = append(nums, frames[i].num)
		i++
	}
	return nums
}

// TestTcpdumpEquivalence checks, for every filter of the tables and every
// capture, that the frames our sieve selects (all filters compiled into one
// multi-class Sieve) and the frames Expr.Match selects are exactly the
// frames `tcpdump -r F -w out 'filter'` selects (see tcpdumpFrames). Frames
// left out of the comparison: IP under MPLS labels (seen by the dissector,
// by tcpdump only after `mpls`) and frames the dissector rejects as
// malformed (they never reach the sieve); ARP and RARP frames are left out
// of the sieve's only (it sees IP packets only, design 3.2), not of
// Expr.Match's (--filter) nor of the BPF program's. Each filter compiled to
// classic BPF must select the same frames in the x/net/bpf VM (checkBPF).
func TestTcpdumpEquivalence(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	root := samplesDir(t)
	type job struct {
		caps    []capture
		filters []eqCase
		plain   bool
	}
	var jobs []job
	paths := make([]string, len(plainCaptures))
	for i, f := range plainCaptures {
		paths[i] = filepath.Join(root, f)
	}
	// The plain captures share the table of filters: one tcpdump run a
	// filter for every capture of a link type (mergeCaptures).
	for _, g := range byLinkType(t, paths) {
		jobs = append(jobs, job{g, plainFilters, true})
	}
	for _, v := range vlanCaptures {
		jobs = append(jobs, job{byLinkType(t, []string{filepath.Join(root, v.file)})[0], v.filters, false})
	}
	var mu sync.Mutex
	hits := make(map[string]int) // filter -> frames selected over all captures
	nFilters, nCaptures := 0, 0
	// The groups run in parallel (tcpdump is a process per filter): the
	// group returns once every one is done.
	t.Run("captures", func(t *testing.T) {
		for _, j := range jobs {
			nCaptures += len(j.caps)
			t.Run(groupName(j.caps), func(t *testing.T) {
				t.Parallel()
				equivalence(t, j.caps, j.plain, j.filters, func(filter string, selected int) {
					mu.Lock()
					defer mu.Unlock()
					nFilters++
					hits[filter] += selected
				})
			})
		}
	})
	// The table must exercise something: every plain filter except the
	// ones meant to be empty selects frames in some capture.
	for _, c := range plainFilters {
		if hits[c.ours] == 0 && c.ours != "vlan" && !emptyHere[c.ours] {
			t.Errorf("filter %q selects no frame in any capture: useless in the table", c.ours)
		}
	}
	t.Logf("%d filter runs over %d captures in %d files", nFilters, nCaptures, len(jobs))
}

// equivalence compares, on the frames of caps (one link type: one file,
// mergeCaptures), the frames each filter selects with the sieve,
// Expr.Match and the BPF VM against tcpdump's (TestTcpdumpEquivalence),
// and reports each filter's tcpdump count.
func equivalence(t *testing.T, caps []capture, plain bool, filters []eqCase, counted func(filter string, selected int)) {
	path, frames, origin := mergeCaptures(t, t.TempDir(), caps)
	if len(frames) == 0 {
		t.Fatal("no frames")
	}
	// tcpdump needs `mpls` to see IP under MPLS labels, which the
	// dissector skips like VLAN tags: those frames are left out. The
	// sieve sees IP packets only (design 3.2; the probe drops the other
	// frames before it): ARP and RARP frames are left out of its side.
	skip, ipOnly := map[uint64]bool{}, map[uint64]bool{}
	for _, n := range tcpdumpFrames(t, path, "mpls", frames) {
		skip[n] = true
	}
	left := []string{"arp or rarp"}
	if !plain {
		left = append(left, "vlan and (arp or rarp)", "vlan and vlan and (arp or rarp)")
	}
	for _, x := range left {
		for _, n := range tcpdumpFrames(t, path, x, frames) {
			ipOnly[n] = true
		}
	}
	malformed := 0
	for _, fr := range frames {
		if errors.Is(fr.err, dissect.ErrMalformed) {
			skip[fr.num] = true
			malformed++
		}
		if plain && fr.d.NVLAN != 0 {
			t.Fatalf("frame %s: plain capture has a VLAN tag", origin[fr.num-1])
		}
	}
	if malformed > 0 {
		t.Logf("%d malformed frames left out", malformed)
	}
	srcs := make([]string, len(filters))
	for i, c := range filters {
		srcs[i] = c.ours
	}
	sv, err := Compile(srcs)
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]uint64, len(filters))
	for _, fr := range frames {
		if skip[fr.num] || ipOnly[fr.num] {
			continue
		}
		var set Set
		sv.Match(&fr.d, &set)
		set.ForEach(func(c int) { got[c] = append(got[c], fr.num) })
	}
	for i, c := range filters {
		td := c.tcpdump
		if td == "" {
			td = c.ours
		}
		var want, wantIP []uint64
		for _, n := range tcpdumpFrames(t, path, td, frames) {
			if !skip[n] {
				want = append(want, n)
				if !ipOnly[n] {
					wantIP = append(wantIP, n)
				}
			}
		}
		if !slices.Equal(got[i], wantIP) {
			t.Errorf("filter %q (tcpdump %q):\n sieve   %v\n tcpdump %v", c.ours, td, frameNames(origin, got[i]), frameNames(origin, wantIP))
		}
		checkBPF(t, c, frames, skip, want, origin)
		e, _ := Parse(c.ours)
		var ref []uint64
		for k := range frames {
			if !skip[frames[k].num] && e.Match(&frames[k].d) {
				ref = append(ref, frames[k].num)
			}
		}
		if !slices.Equal(ref, want) {
			t.Errorf("filter %q: Expr.Match %v, tcpdump %v", c.ours, frameNames(origin, ref), frameNames(origin, want))
		}
		counted(c.ours, len(want))
	}
}
