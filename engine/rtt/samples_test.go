package rtt

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// tsharkPair is one response tshark pairs with a request.
type tsharkPair struct {
	kind   string
	respNs int64 // frame.time_epoch of the response
	rttNs  int64 // dns.time, icmp.resptime, icmpv6.resptime, snmp.time or ntp.delta_time
}

// parseDecimalNs parses "seconds.fraction" into nanoseconds exactly.
func parseDecimalNs(t *testing.T, s string) int64 {
	t.Helper()
	sec, frac, _ := strings.Cut(s, ".")
	v, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	frac = (frac + "000000000")[:9]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	return v*1e9 + f
}

// readTshark reads a reference file written by testdata/tshark/gen.sh.
func readTshark(t *testing.T, name string) []tsharkPair {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "tshark", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tsharkPair
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 3 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		out = append(out, tsharkPair{kind: c[0], respNs: parseDecimalNs(t, c[1]), rttNs: parseDecimalNs(t, c[2])})
	}
	return out
}

// TestSamplesVsTshark runs every DNS, SNMP, NTP and ICMP echo sample
// capture and edge cases 12 and 15 through a Tracker and compares, per
// kind, the pairs with tshark's request/response analysis: the same
// number of pairs, and for each tshark pair a sample whose response time
// and RTT are both within 1 µs. The tshark values are in
// testdata/tshark/*.tsv, each headed by the commands that produced it
// (testdata/tshark/gen.sh, tshark 4.0.17, two-pass -2).
func TestSamplesVsTshark(t *testing.T) {
	dir := samplesDir(t)
	files := []struct {
		capture, ref string
		counts       map[string]int // pairs per kind, as in the .tsv (read back below)
	}{
		{"pcap/dns/chrissanders_dns_axfr.pcapng", "dns_chrissanders_dns_axfr.pcapng.tsv", map[string]int{"dns": 1}},
		{"pcap/dns/chrissanders_dns_lab.pcapng", "dns_chrissanders_dns_lab.pcapng.tsv", map[string]int{"dns": 11}},
		{"pcap/dns/tcpdump_dns_tcp.pcap", "dns_tcpdump_dns_tcp.pcap.tsv", map[string]int{"dns": 1}},
		{"pcap/dns/tcpdump_dns_udp.pcap", "dns_tcpdump_dns_udp.pcap.tsv", map[string]int{"dns": 1}},
		{"pcap/dns/tcpdump_edns-opts.pcap", "dns_tcpdump_edns-opts.pcap.tsv", map[string]int{"dns": 21}},
		{"pcap/dns/zeek_dns-two-responses.pcap", "dns_zeek_dns-two-responses.pcap.tsv", map[string]int{"dns": 1}},
		{"pcap/snmp/zeek_snmpv1_get.pcap", "snmp_zeek_snmpv1_get.pcap.tsv", map[string]int{"snmp": 28}},
		{"pcap/snmp/zeek_snmpv1_set.pcap", "snmp_zeek_snmpv1_set.pcap.tsv", map[string]int{"snmp": 1}},
		{"pcap/snmp/zeek_snmpv1_trap.pcap", "snmp_zeek_snmpv1_trap.pcap.tsv", map[string]int{}},
		{"pcap/snmp/zeek_snmpv2_get.pcap", "snmp_zeek_snmpv2_get.pcap.tsv", map[string]int{"snmp": 1}},
		{"pcap/snmp/zeek_snmpv2_get_bulk.pcap", "snmp_zeek_snmpv2_get_bulk.pcap.tsv", map[string]int{"snmp": 1}},
		{"pcap/snmp/zeek_snmpv2_get_next.pcap", "snmp_zeek_snmpv2_get_next.pcap.tsv", map[string]int{"snmp": 4}},
		{"pcap/snmp/zeek_snmpwalk-short.pcap", "snmp_zeek_snmpwalk-short.pcap.tsv", map[string]int{"snmp": 200}},
		{"pcap/ntp/tcpdump_ntp-time.pcap", "ntp_tcpdump_ntp-time.pcap.tsv", map[string]int{"ntp": 1}},
		{"pcap/ntp/tcpdump_ntp.pcap", "ntp_tcpdump_ntp.pcap.tsv", map[string]int{"ntp": 4}},
		{"pcap/ntp/zeek_ntp.pcap", "ntp_zeek_ntp.pcap.tsv", map[string]int{"ntp": 6}},
		// Symmetric-mode (1 -> 2) NTP only: no client/server pair; one DNS pair.
		{"pcap/ntp/zeek_ntp_NTP_sync.pcap", "ntp_zeek_ntp_NTP_sync.pcap.tsv", map[string]int{"dns": 1}},
		{"pcap/ntp/zeek_ntp_ntp.pcap", "ntp_zeek_ntp_ntp.pcap.tsv", map[string]int{"ntp": 16}},
		{"pcap/icmp-echo/chrissanders_icmp_echo.pcapng", "icmp-echo_chrissanders_icmp_echo.pcapng.tsv", map[string]int{"icmp_echo": 4}},
		{"pcap/icmp-echo/chrissanders_ppa1e_icmp.pcap", "icmp-echo_chrissanders_ppa1e_icmp.pcap.tsv", map[string]int{"icmp_echo": 8}},
		{"pcap/icmp-echo/zeek_communityid_icmp.pcap", "icmp-echo_zeek_communityid_icmp.pcap.tsv", map[string]int{"icmp_echo": 4}},
		{"pcap/icmp-echo/zeek_icmp_5-pings.pcap", "icmp-echo_zeek_icmp_5-pings.pcap.tsv", map[string]int{"icmp_echo": 5}},
		// edge 12: 2 pipelined queries in one segment, a response split
		// across 3 segments (expected.md: 20.000 ms and 26.000 ms).
		{"edge/12-dns-tcp-pipelined-split/input.pcap", "edge-12-dns-tcp-pipelined-split.tsv", map[string]int{"dns": 2}},
		// edge 15: LINUX_SLL2; ICMP 0.512 ms, ICMPv6 0.733 ms, DNS 2.500 ms.
		{"edge/15-linux-sll2/input.pcap", "edge-15-linux-sll2.tsv", map[string]int{"icmp_echo": 2, "dns": 1}},
	}
	kinds := []string{"icmp_echo", "dns", "snmp", "ntp"}
	for _, f := range files {
		t.Run(filepath.Base(f.ref), func(t *testing.T) {
			ref := readTshark(t, f.ref)
			got := run(t, DefaultConfig(), readCapture(t, filepath.Join(dir, f.capture)))
			for _, kind := range kinds {
				var want []tsharkPair
				for _, p := range ref {
					if p.kind == kind {
						want = append(want, p)
					}
				}
				if len(want) != f.counts[kind] {
					t.Fatalf("%s: reference file has %d pairs, test table says %d", kind, len(want), f.counts[kind])
				}
				have := got.byKind(kind)
				if len(have) != len(want) {
					t.Errorf("%s: %d samples, tshark pairs %d", kind, len(have), len(want))
				}
				matchPairs(t, kind, want, have)
			}
		})
	}
}

// matchPairs finds, for every tshark pair, a distinct sample with the
// same response time and RTT within 1 µs.
func matchPairs(t *testing.T, kind string, want []tsharkPair, have []observe.RTTSample) {
	t.Helper()
	used := make([]bool, len(have))
	for _, w := range want {
		found := false
		for i := range have {
			s := &have[i]
			rtt := int64(s.RTTMs*1e6 + 0.5)
			if !used[i] && absDiff(respNs(s), w.respNs) <= 1000 && absDiff(rtt, w.rttNs) <= 1000 {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("%s: tshark pair response %d rtt %d ns not found", kind, w.respNs, w.rttNs)
		}
	}
}

// TestEdge12Details checks the DNS-over-TCP edge case against expected.md:
// pair 0x0102 AAAA beta.example.test 20.000 ms (frame 4 -> 5), pair 0x0101
// A alpha.example.test 26.000 ms (frame 4 -> 8), no malformed message, no
// unanswered query.
func TestEdge12Details(t *testing.T) {
	pkts := readCapture(t, filepath.Join(samplesDir(t), "edge/12-dns-tcp-pipelined-split/input.pcap"))
	r := run(t, DefaultConfig(), pkts)
	got := r.byKind("dns")
	sort.Slice(got, func(i, j int) bool { return got[i].RTTMs < got[j].RTTMs })
	want := []struct {
		detail string
		ms     float64
	}{{"AAAA beta.example.test NOERROR", 20}, {"A alpha.example.test NOERROR", 26}}
	if len(got) != 2 {
		t.Fatalf("%d dns samples, want 2", len(got))
	}
	frame4 := pkts[3].d.Meta.TimeNs
	for i, w := range want {
		s := got[i]
		if s.Detail != w.detail || absDiff(int64(s.RTTMs*1e6), int64(w.ms*1e6)) > 1000 || s.RequestTime != frame4 {
			t.Errorf("sample %d: %q %.6f ms req %d, want %q %.3f ms req %d (frame 4)", i, s.Detail, s.RTTMs, s.RequestTime, w.detail, w.ms, frame4)
		}
		if s.ClientAddr != "192.0.2.150" || s.ClientPort != 50800 || s.ServerAddr != "198.51.100.53" || s.ServerPort != 53 {
			t.Errorf("sample %d endpoints %s:%d > %s:%d", i, s.ClientAddr, s.ClientPort, s.ServerAddr, s.ServerPort)
		}
	}
	st := r.tr.Stats()
	if st.Malformed[KindDNS] != 0 || st.StreamGaps != 0 || r.unanswered["dns"] != 0 {
		t.Errorf("malformed %d gaps %d unanswered %d, want 0", st.Malformed[KindDNS], st.StreamGaps, r.unanswered["dns"])
	}
	if st.Requests[KindDNS] != 2 || st.Responses[KindDNS] != 2 {
		t.Errorf("requests %d responses %d, want 2 and 2", st.Requests[KindDNS], st.Responses[KindDNS])
	}
}

// TestEdge15Details checks edge 15 (LINUX_SLL2) against expected.md.
func TestEdge15Details(t *testing.T) {
	r := run(t, DefaultConfig(), readCapture(t, filepath.Join(samplesDir(t), "edge/15-linux-sll2/input.pcap")))
	want := []struct{ kind, detail, client string }{
		{"icmp_echo", "echo id 8 seq 1", "192.0.2.190"},
		{"icmp_echo", "echo id 9 seq 1", "2001:db8::190"},
		{"dns", "A sll2.example.test NOERROR", "192.0.2.190"},
	}
	wantMs := []float64{0.512, 0.733, 2.5}
	if len(r.samples) != 3 {
		t.Fatalf("%d samples, want 3", len(r.samples))
	}
	for i, w := range want {
		s := r.samples[i]
		if s.Kind != w.kind || s.Detail != w.detail || s.ClientAddr != w.client || absDiff(int64(s.RTTMs*1e6), int64(wantMs[i]*1e6)) > 1000 {
			t.Errorf("sample %d: %s %q %s %.6f ms, want %s %q %s %.3f ms", i, s.Kind, s.Detail, s.ClientAddr, s.RTTMs, w.kind, w.detail, w.client, wantMs[i])
		}
	}
}
