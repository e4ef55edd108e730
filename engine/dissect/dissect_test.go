package dissect_test

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/replay"
)

// samplesDir returns testdata/ at the module root (testsamples.Dir).
func samplesDir(t testing.TB) string { return testsamples.Dir(t) }

// counts is what the dissector makes of one capture.
type counts struct {
	file                          string
	packets, ip, notIP, malformed int
	tcp, udp, icmp                int // packets whose outer transport header decoded
}

// The expected numbers were checked against tshark 4.0 per file:
//
//	tshark -r F | wc -l                               (packets)
//	tshark -r F -Y 'ip || ipv6' | wc -l               (ip)
//	tshark -r F -Y 'tcp && !icmp && !icmpv6' | wc -l  (tcp; likewise udp)
//	tshark -r F -Y 'icmp || icmpv6' | wc -l           (icmp)
//
// They agree with tshark everywhere except the rows marked, where tshark is
// not the right answer for a probe:
//   - fragmented-1/-2/-3: tshark filters on the reassembled datagram (udp/tcp
//     only where reassembly completed); the dissector decodes the transport
//     header of every first fragment (it is there).
//   - invalid_hdr_length (IHL 4), invalid_length (19 bytes of IP header),
//     invalid_total_length_2 (total length 19 < 20): tshark shows an "ip"
//     layer with an error; here they are malformed and skipped.
var sampleCounts = []counts{
	{"dns/chrissanders_dns_axfr.pcapng", 11, 11, 0, 0, 11, 0, 0},
	{"dns/chrissanders_dns_lab.pcapng", 22, 22, 0, 0, 0, 22, 0},
	{"dns/tcpdump_dns_tcp.pcap", 11, 11, 0, 0, 11, 0, 0},
	{"dns/tcpdump_dns_udp.pcap", 2, 2, 0, 0, 0, 2, 0},
	{"dns/tcpdump_edns-opts.pcap", 42, 42, 0, 0, 0, 42, 0},
	{"dns/zeek_dns-two-responses.pcap", 3, 3, 0, 0, 0, 3, 0},
	{"ftp-active/zeek_ftp_ipv4.pcap", 95, 95, 0, 0, 95, 0, 0},
	{"ftp-active/zeek_ftp_ipv6.pcap", 136, 136, 0, 0, 136, 0, 0},
	{"ftp-edge/chrissanders_ppa1e_ftp-crack.pcap", 19730, 19730, 0, 0, 19730, 0, 0},
	{"ftp-edge/zeek_ftp_cwd-navigation.pcap", 8317, 8317, 0, 0, 8317, 0, 0},
	{"ftp-passive/chrissanders_ppa1e_ftp.pcap", 38, 38, 0, 0, 38, 0, 0},
	{"ftp-passive/zeek_ftp-with-numbers-in-filename.pcap", 798, 798, 0, 0, 798, 0, 0},
	{"ftp-passive/zeek_ftp_bigtransfer.pcap", 83, 83, 0, 0, 83, 0, 0},
	{"icmp-echo/chrissanders_icmp_echo.pcapng", 8, 8, 0, 0, 0, 0, 8},
	{"icmp-echo/chrissanders_ppa1e_icmp.pcap", 16, 16, 0, 0, 0, 0, 16},
	{"icmp-echo/zeek_communityid_icmp.pcap", 12, 12, 0, 0, 0, 0, 12},
	{"icmp-echo/zeek_icmp_5-pings.pcap", 10, 10, 0, 0, 0, 0, 10},
	{"icmp-errors/chrissanders_icmp_traceroute.pcapng", 54, 54, 0, 0, 0, 0, 54},
	{"icmp-errors/chrissanders_ppa1e_destunreachable.pcap", 6, 6, 0, 0, 0, 0, 6},
	{"icmp-errors/tcpdump_icmp-rfc5837.pcap", 1, 1, 0, 0, 0, 0, 1},
	{"icmp-errors/tcpdump_mpls-traceroute.pcap", 18, 18, 0, 0, 0, 9, 9},
	{"icmp-errors/zeek_icmp-destunreach-udp.pcap", 1, 1, 0, 0, 0, 0, 1},
	{"icmp-errors/zeek_icmp-timeexceeded.pcap", 1, 1, 0, 0, 0, 0, 1},
	{"ipv4-fragments/chrissanders_ppa1e_ipfragments.pcap", 24, 24, 0, 0, 0, 0, 8},
	{"ipv4-fragments/lwerdna_teardrop.pcap", 17, 6, 11, 0, 0, 3, 2},
	{"ipv4-fragments/zeek_ipv4_fragmented-1.pcap", 3, 3, 0, 0, 0, 2, 0}, // differs from tshark (see above)
	{"ipv4-fragments/zeek_ipv4_fragmented-2.pcap", 3, 3, 0, 0, 0, 2, 0}, // differs from tshark (see above)
	{"ipv4-fragments/zeek_ipv4_fragmented-3.pcap", 5, 5, 0, 0, 1, 0, 0}, // differs from tshark (see above)
	{"ipv4-fragments/zeek_ipv4_fragmented-4.pcap", 6, 6, 0, 0, 3, 0, 0},
	{"ipv6/chrissanders_http_ip4and6.pcapng", 20, 20, 0, 0, 20, 0, 0},
	{"ipv6/chrissanders_ipv6_fragments.pcapng", 22, 22, 0, 0, 0, 0, 12},
	{"ipv6/tcpdump_icmpv6.pcap", 5, 5, 0, 0, 0, 0, 5},
	{"ipv6/zeek_communityid_icmp6.pcap", 49, 49, 0, 0, 0, 0, 49},
	{"ipv6/zeek_icmp_icmp6-ping.pcap", 8, 8, 0, 0, 0, 0, 8},
	{"ipv6/zeek_ipv6-fragmented-dns.pcap", 8, 8, 0, 0, 0, 5, 0},
	{"linux-sll/gopacket_linux_sll_oversized_addr.pcapng", 209, 209, 0, 0, 209, 0, 0}, // frame 95: data offset 0, tcp_bad_offset, its ports kept (TestTCPBadOffset; tshark: "Bogus TCP header length")
	{"linux-sll/tcpdump_resp_1_benchmark.pcap", 150, 150, 0, 0, 150, 0, 0},
	{"linux-sll/zeek_linux_dlt_sll2.pcap", 6, 4, 2, 0, 0, 0, 4},
	{"linux-sll/zeek_linuxsll-arp.pcap", 12, 0, 12, 0, 0, 0, 0},
	{"malformed/chrissanders_ppa1e_http-fault-post.pcap", 25, 25, 0, 0, 23, 2, 0},
	{"malformed/tcpdump_ipv4_invalid_hdr_length.pcap", 1, 0, 0, 1, 0, 0, 0}, // differs from tshark (see above)
	{"malformed/tcpdump_ipv4_invalid_length.pcap", 1, 0, 0, 1, 0, 0, 0},     // differs from tshark (see above)
	{"malformed/tcpdump_ipv4_invalid_total_length.pcap", 1, 1, 0, 0, 0, 1, 0},
	{"malformed/tcpdump_ipv4_invalid_total_length_2.pcap", 1, 0, 0, 1, 0, 0, 0}, // differs from tshark (see above)
	{"malformed/tcpdump_snmp-heapoverflow-1.pcap", 5, 1, 4, 0, 0, 1, 0},
	{"malformed/tcpdump_timestamp_invalid_micro.pcap", 3, 3, 0, 0, 3, 0, 0},
	{"malformed/tcpdump_udp-length-heapoverflow.pcap", 1, 1, 0, 0, 0, 1, 0}, // 4 bytes of UDP header: the ports (TestUDPHeaderCutBySnapLen)
	{"malformed/zeek_ip-bogus-header-len.pcap", 1, 1, 0, 0, 0, 0, 1},
	{"mixed/zeek_wikipedia.pcap", 136, 126, 10, 0, 78, 48, 0},
	{"nanosecond/tcpdump_tcp-handshake-nano.pcap", 3, 3, 0, 0, 3, 0, 0},
	{"ntp/tcpdump_ntp-time.pcap", 2, 2, 0, 0, 0, 2, 0},
	{"ntp/tcpdump_ntp.pcap", 8, 8, 0, 0, 0, 8, 0},
	{"ntp/zeek_ntp.pcap", 12, 12, 0, 0, 0, 12, 0},
	{"ntp/zeek_ntp_NTP_sync.pcap", 32, 32, 0, 0, 0, 32, 0},
	{"ntp/zeek_ntp_ntp.pcap", 32, 32, 0, 0, 0, 32, 0},
	{"pcapng-multi-if/gopacket_pcapgo_le_test202.pcapng", 8, // tshark lists 3 custom blocks as frames too (capinfos: 8 packets)
		8, 0, 0, 0, 8, 0},
	{"pcapng-multi-if/gopacket_pcapgo_le_test300.pcapng", 32, 32, 0, 0, 32, 0, 0},
	{"snmp/zeek_snmpv1_get.pcap", 58, 58, 0, 0, 0, 58, 0},
	{"snmp/zeek_snmpv1_set.pcap", 2, 2, 0, 0, 0, 2, 0},
	{"snmp/zeek_snmpv1_trap.pcap", 1, 1, 0, 0, 0, 1, 0},
	{"snmp/zeek_snmpv2_get.pcap", 2, 2, 0, 0, 0, 2, 0},
	{"snmp/zeek_snmpv2_get_bulk.pcap", 2, 2, 0, 0, 0, 2, 0},
	{"snmp/zeek_snmpv2_get_next.pcap", 8, 8, 0, 0, 0, 8, 0},
	{"snmp/zeek_snmpwalk-short.pcap", 400, 400, 0, 0, 0, 400, 0},
	{"tcp-options/zeek_ssh_ssh.pcap", 1797, 1797, 0, 0, 1795, 2, 0},
	{"tcp-options/zeek_tcp_handshake-reorder.pcap", 14, 14, 0, 0, 14, 0, 0},
	{"tcp-options/zeek_tcp_options.pcap", 4, 4, 0, 0, 4, 0, 0},
	{"tcp-options/zeek_tcp_tcp-fast-open.pcap", 16, 16, 0, 0, 16, 0, 0},
	{"tcp-options/zeek_tcp_window-scale-range.pcap", 5, 5, 0, 0, 5, 0, 0},
	{"tcp-retrans-rst/chrissanders_ppa1e_tcp-con-lost.pcap", 9, 9, 0, 0, 9, 0, 0},
	{"tcp-retrans-rst/chrissanders_tcp_dupack.pcapng", 9, 9, 0, 0, 9, 0, 0},
	{"tcp-retrans-rst/chrissanders_tcp_refuseconnection.pcapng", 2, 2, 0, 0, 2, 0, 0},
	{"tcp-retrans-rst/chrissanders_tcp_retransmissions.pcapng", 6, 6, 0, 0, 6, 0, 0},
	{"tcp-retrans-rst/zeek_tcp_reassembly.pcap", 117, 117, 0, 0, 117, 0, 0},
	{"tcp-retrans-rst/zeek_tcp_rst-inject-rae.pcap", 9, 9, 0, 0, 9, 0, 0},
	{"tcp-retrans-rst/zeek_tcp_ssh-dups.pcap", 377, 377, 0, 0, 377, 0, 0},
	{"truncated-snaplen/zeek_communityid_tcp.pcap", 12, 12, 0, 0, 12, 0, 0},
	{"truncated-snaplen/zeek_tcp_timestamp.pcap", 878, 878, 0, 0, 878, 0, 0},
	{"truncated-snaplen/zeek_tcp_truncated-header.pcap", 24, 24, 0, 0, 24, 0, 0},
	{"truncated-snaplen/zeek_trunc_icmp-payload-trunc.pcap", 4, 4, 0, 0, 0, 0, 4},
	{"truncated-snaplen/zeek_trunc_trunc-hdr.pcap", 1, 0, 0, 1, 0, 0, 0},
	{"vlan/tcpdump_802.1ad_QinQ.pcap", 2, 0, 2, 0, 0, 0, 0},
	{"vlan/zeek_http-vlan-0.pcap", 14, 14, 0, 0, 14, 0, 0},
	{"vlan/zeek_icmp_dot1q.pcap", 15, 9, 6, 0, 0, 0, 9},
	{"vlan/zeek_q-in-q.pcap", 5, 4, 1, 0, 0, 4, 0},
	{"vlan/zeek_vlan-pcp-dei.pcapng", 9, 9, 0, 0, 9, 0, 0},
}

func TestSampleCounts(t *testing.T) {
	root := filepath.Join(samplesDir(t), "pcap")
	for _, c := range sampleCounts {
		t.Run(c.file, func(t *testing.T) {
			got := dissectFile(t, filepath.Join(root, c.file))
			got.file = c.file
			if got != c {
				t.Errorf("got  %+v\nwant %+v", got, c)
			}
		})
	}
}

func dissectFile(t *testing.T, path string) counts {
	t.Helper()
	src, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := dissect.New()
	var out dissect.Dissection
	c := counts{file: path}
	for {
		data, m, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, pkt.ErrTruncated) {
				t.Fatalf("%s: %v", path, err)
			}
			break
		}
		c.packets++
		switch err := d.Dissect(data, m, &out); {
		case err == nil:
			c.ip++
			switch {
			case out.Has(dissect.HasTCP):
				c.tcp++
			case out.Has(dissect.HasUDP):
				c.udp++
			case out.Has(dissect.HasICMP):
				c.icmp++
			}
		case errors.Is(err, dissect.ErrNotIP):
			c.notIP++
		case errors.Is(err, dissect.ErrMalformed):
			c.malformed++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if d.Stats.IP != uint64(c.ip) || d.Stats.NotIP != uint64(c.notIP) || d.Stats.Malformed != uint64(c.malformed) {
		t.Errorf("Stats %+v disagree with returned errors %+v", d.Stats, c)
	}
	return c
}
