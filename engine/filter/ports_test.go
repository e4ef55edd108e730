package filter

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// portFilters are classes that test ports only (with tcp/udp folded into
// the port key): a sieve of them takes Match's ports path (plan.ports).
// The first five are the default config's classes (engine/config
// default.yaml).
var portFilters = []eqCase{
	{ours: ""}, {ours: "tcp port 21"}, {ours: "udp port 53 or tcp port 53"},
	{ours: "udp port 161 or udp port 162"}, {ours: "udp port 123"},
	{ours: "port 53"}, {ours: "src port 53"}, {ours: "dst port 53"},
	{ours: "port 21 or 20 or 53"}, {ours: "tcp dst port 80 or 8080"},
	{ours: "not port 53"}, {ours: "portrange 20-21"},
	{ours: "tcp portrange 1024-65535"}, {ours: "udp dst portrange 1-1023"},
	{ours: "src and dst portrange 1024-65535"}, {ours: "not (src port 20 and dst port 21)"},
}

// portsPath compiles srcs and fails unless the sieve takes the ports path.
func portsPath(t *testing.T, srcs ...string) *Sieve {
	t.Helper()
	s, err := Compile(srcs)
	if err != nil {
		t.Fatal(err)
	}
	if s.ports == nil {
		t.Fatalf("%q: no ports path (w %d, %d fields, %d slow)", srcs, s.w, len(s.fields), len(s.slow))
	}
	return s
}

// walked returns a sieve sharing s's tables that takes the one-word walk
// (match1) instead of the ports path.
func walked(s *Sieve) *Sieve {
	p := *s.plan
	p.ports = nil
	return (&Sieve{plan: &p}).Clone()
}

// TestPortsPathTcpdump checks Match's ports path against tcpdump on the
// plain captures (IPv4 and IPv6, fragments, ICMP errors, TCP and UDP
// DNS, FTP) and on NTP, SNMP (a trap to port 162) and TCP headers cut by
// the snap length: the port-only classes sieved together (the one sieve
// of equivalence).
func TestPortsPathTcpdump(t *testing.T) {
	testenv.Tool(t, "tcpdump") // fails under CI=true when missing
	srcs := make([]string, len(portFilters))
	for i, c := range portFilters {
		srcs[i] = c.ours
		if c.ours != "" {
			portsPath(t, c.ours)
		}
	}
	portsPath(t, srcs...)
	root := samplesDir(t)
	selected := map[string]int{}
	captures := append(slices.Clip(plainCaptures), "pcap/ntp/tcpdump_ntp-time.pcap",
		"pcap/snmp/zeek_snmpv1_get.pcap", "pcap/snmp/zeek_snmpv1_trap.pcap",
		"pcap/truncated-snaplen/zeek_tcp_truncated-header.pcap")
	paths := make([]string, len(captures))
	for i, f := range captures {
		paths[i] = filepath.Join(root, f)
	}
	for _, g := range byLinkType(t, paths) { // one file a link type (mergeCaptures)
		t.Run(groupName(g), func(t *testing.T) {
			equivalence(t, g, true, portFilters, func(filter string, n int) { selected[filter] += n })
		})
	}
	for _, c := range portFilters {
		if selected[c.ours] == 0 {
			t.Errorf("filter %q selects no frame in any capture: useless here", c.ours)
		}
	}
}

// TestPortsPathEdges checks the ports path against the one-word walk and
// Expr.Match on the packets where a shortcut could go wrong: ports the
// filters' libpcap semantics hides (a later IPv4 fragment, an IPv6
// extension header before the transport header, a TCP header too short
// to be decoded, ICMP, a non-IP frame), the same port number over TCP
// and UDP and over IPv4 and IPv6 (the key's protocol bits), ports at the
// bounds of the classes' ranges (0, 19-22, 52-54, 1023, 1024, 65535), and
// sieves small enough for binary search as well as with the port trie.
func TestPortsPathEdges(t *testing.T) {
	var pkts []dissect.Dissection
	ports := []uint16{0, 19, 20, 21, 22, 52, 53, 54, 80, 123, 161, 162, 1023, 1024, 8080, 65535}
	for _, mk := range []func(proto uint8) dissect.Dissection{
		func(p uint8) dissect.Dissection { return v4("10.0.0.1", "10.0.0.2", p) },
		func(p uint8) dissect.Dissection { return v6("2001:db8::1", "2001:db8::2", p) },
	} {
		for _, proto := range []uint8{dissect.ProtoTCP, dissect.ProtoUDP} {
			for _, sp := range ports {
				for _, dp := range ports {
					pkts = append(pkts, withPorts(mk(proto), sp, dp))
				}
			}
			d := withPorts(mk(proto), 53, 21)
			d.Flags &^= dissect.HasTCP | dissect.HasUDP | dissect.HasL4 // header not decoded
			pkts = append(pkts, d)
			d = withPorts(mk(proto), 21, 53)
			d.Flags |= dissect.TCPFlagsCut | dissect.TCPWindowCut // ports only
			pkts = append(pkts, d)
		}
		icmp := withPorts(mk(dissect.ProtoICMP), 53, 53) // no ports for libpcap
		icmp.Flags |= dissect.HasICMP
		pkts = append(pkts, icmp)
	}
	pkts = append(pkts, udpFrag1, udpFrag2, dns6, dns6Frag, mld, icmpErr, arpVLAN, qinq)
	later := withPorts(v4("10.0.0.1", "10.0.0.2", dissect.ProtoTCP), 21, 21)
	later.Flags |= dissect.IsFrag
	later.FragOff = 8 // ports as a bug could leave them: libpcap reads none
	pkts = append(pkts, later)

	sets := [][]string{
		{"tcp port 21"}, {"not port 53"}, {"src port 20 and dst port 21"}, // few segments: binary search
		{"not (src port 20 and dst port 21)"},
	}
	all := make([]string, len(portFilters))
	for i, c := range portFilters {
		all[i] = c.ours
	}
	sets = append(sets, all[:5], all)
	tries := 0
	for _, srcs := range sets {
		s := portsPath(t, srcs...)
		if s.ports.trie != nil {
			tries++
		}
		w := walked(s)
		exprs := make([]Expr, len(srcs))
		for i, src := range srcs {
			exprs[i], _ = Parse(src)
		}
		for k := range pkts {
			d := &pkts[k]
			var got, walk Set
			s.Match(d, &got)
			w.Match(d, &walk)
			if got != walk {
				t.Fatalf("%q, packet %d (%+v): ports path %v, walk %v", srcs, k, d, got, walk)
			}
			for i, e := range exprs {
				if want := e.Match(d); got.Has(i) != want {
					t.Fatalf("%q, packet %d (%+v), class %d: ports path %v, Expr.Match %v", srcs, k, d, i, got.Has(i), want)
				}
			}
		}
	}
	if tries == 0 || tries == len(sets) {
		t.Fatalf("%d of %d sieves with a port trie: both lookups must be covered", tries, len(sets))
	}
}
