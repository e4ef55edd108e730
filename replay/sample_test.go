package replay

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// sampleWant is what reading one file of ../shared/samples/pcap must give.
type sampleWant struct {
	path        string       // relative to samples/pcap
	packets     int          // packets returned before io.EOF or the read error
	first, last string       // Unix time of the first and last packet, as tshark prints it
	link        pkt.LinkType // link type of the first packet
	openErr     error        // sentinel Open must fail with
	readErr     error        // sentinel Next must return after the packets
	errFrame    uint64       // Error.Frame of readErr
	errOffset   int64        // Error.Offset of readErr
	invalidTS   uint64       // Stats.InvalidTimestamps
	overSnaplen uint64       // Stats.OverSnaplen
}

// sampleTable lists EVERY file of samples/pcap (TestSamples fails on a file
// missing here). Produced, per file F, with
//
//	capinfos -c -E -T -r F                                  (packets, encapsulation)
//	tshark -r F -T fields -e frame.time_epoch | grep . | sed -n '1p;$p'   (first, last)
//
// (capinfos/tshark 4.0.17). Malformed files: the error capinfos reports,
// as noted on each line. test202 (per-packet encapsulation) starts with an
// Ethernet packet; tshark also numbers its 3 custom blocks as frames and
// prints no time for its 2 Simple Packet Blocks, hence 8 packets.
var sampleTable = []sampleWant{
	{path: "dns/chrissanders_dns_axfr.pcapng", packets: 11, first: "1264976181.260924000", last: "1264976181.502373000", link: pkt.LinkEthernet},
	{path: "dns/chrissanders_dns_lab.pcapng", packets: 22, first: "1490971523.828324000", last: "1490971527.270409000", link: pkt.LinkEthernet},
	{path: "dns/tcpdump_dns_tcp.pcap", packets: 11, first: "1591780863.720289000", last: "1591780864.101256000", link: pkt.LinkEthernet},
	{path: "dns/tcpdump_dns_udp.pcap", packets: 2, first: "1591780794.740079000", last: "1591780794.870361000", link: pkt.LinkEthernet},
	{path: "dns/tcpdump_edns-opts.pcap", packets: 42, first: "1571864320.639715000", last: "1571864341.291167000", link: pkt.LinkEthernet},
	{path: "dns/zeek_dns-two-responses.pcap", packets: 3, first: "1363716396.798072000", last: "1363716396.798374000", link: pkt.LinkEthernet},
	{path: "ftp-active/zeek_ftp_ipv4.pcap", packets: 95, first: "1329843161.968492000", last: "1329843200.079930000", link: pkt.LinkEthernet},
	{path: "ftp-active/zeek_ftp_ipv6.pcap", packets: 136, first: "1329327777.822004000", last: "1329327804.589723000", link: pkt.LinkEthernet},
	{path: "ftp-edge/chrissanders_ppa1e_ftp-crack.pcap", packets: 19730, first: "1024380731.002335000", last: "1024380775.605088000", link: pkt.LinkEthernet},
	{path: "ftp-edge/zeek_ftp_cwd-navigation.pcap", packets: 8317, first: "1464385864.999633000", last: "1464386465.930676000", link: pkt.LinkEthernet},
	{path: "ftp-passive/chrissanders_ppa1e_ftp.pcap", packets: 38, first: "1166289880.499548000", last: "1166289883.170188000", link: pkt.LinkEthernet},
	{path: "ftp-passive/zeek_ftp-with-numbers-in-filename.pcap", packets: 798, first: "1457455890.667768000", last: "1457455901.030016000", link: pkt.LinkEthernet},
	{path: "ftp-passive/zeek_ftp_bigtransfer.pcap", packets: 83, first: "1395939399.984671000", last: "1395939569.619222000", link: pkt.LinkEthernet},
	{path: "icmp-echo/chrissanders_icmp_echo.pcapng", packets: 8, first: "1246563718.226354000", last: "1246563721.230146000", link: pkt.LinkEthernet},
	{path: "icmp-echo/chrissanders_ppa1e_icmp.pcap", packets: 16, first: "1167361810.660442000", last: "1167361819.859920000", link: pkt.LinkEthernet},
	{path: "icmp-echo/zeek_communityid_icmp.pcap", packets: 12, first: "1309144887.024263000", last: "1309144890.030473000", link: pkt.LinkEthernet},
	{path: "icmp-echo/zeek_icmp_5-pings.pcap", packets: 10, first: "1607454603.986596000", last: "1607454608.018993000", link: pkt.LinkEthernet},
	{path: "icmp-errors/chrissanders_icmp_traceroute.pcapng", packets: 54, first: "1246563750.656169000", last: "1246563758.828204000", link: pkt.LinkEthernet},
	{path: "icmp-errors/chrissanders_ppa1e_destunreachable.pcap", packets: 6, first: "978435539.677000000", last: "978435541.752000000", link: pkt.LinkEthernet},
	{path: "icmp-errors/tcpdump_icmp-rfc5837.pcap", packets: 1, first: "1087208009.331681000", last: "1087208009.331681000", link: pkt.LinkPPP},
	{path: "icmp-errors/tcpdump_mpls-traceroute.pcap", packets: 18, first: "1087208009.315598000", last: "1087208009.611307000", link: pkt.LinkPPP},
	{path: "icmp-errors/zeek_icmp-destunreach-udp.pcap", packets: 1, first: "1258568548.135731000", last: "1258568548.135731000", link: pkt.LinkEthernet},
	{path: "icmp-errors/zeek_icmp-timeexceeded.pcap", packets: 1, first: "1334171878.154102000", last: "1334171878.154102000", link: pkt.LinkEthernet},
	{path: "ipv4-fragments/chrissanders_ppa1e_ipfragments.pcap", packets: 24, first: "1168038824.117936000", last: "1168038827.124433000", link: pkt.LinkEthernet},
	{path: "ipv4-fragments/lwerdna_teardrop.pcap", packets: 17, first: "936850256.001097000", last: "936850303.978794000", link: pkt.LinkEthernet},
	{path: "ipv4-fragments/zeek_ipv4_fragmented-1.pcap", packets: 3, first: "950988235.155866000", last: "950988235.156457000", link: pkt.LinkEthernet},
	{path: "ipv4-fragments/zeek_ipv4_fragmented-2.pcap", packets: 3, first: "950988235.200823000", last: "950988235.200957000", link: pkt.LinkEthernet},
	{path: "ipv4-fragments/zeek_ipv4_fragmented-3.pcap", packets: 5, first: "964750760.184607000", last: "964750760.259631000", link: pkt.LinkEthernet},
	{path: "ipv4-fragments/zeek_ipv4_fragmented-4.pcap", packets: 6, first: "1020580534.846229000", last: "1020580534.846229000", link: pkt.LinkEthernet},
	{path: "ipv6/chrissanders_http_ip4and6.pcapng", packets: 20, first: "1448215091.400170000", last: "1448215096.404047000", link: pkt.LinkEthernet},
	{path: "ipv6/chrissanders_ipv6_fragments.pcapng", packets: 22, first: "1409713333.192548000", last: "1409713338.201145000", link: pkt.LinkEthernet},
	{path: "ipv6/tcpdump_icmpv6.pcap", packets: 5, first: "1334319972.631155000", last: "1358571281.057031000", link: pkt.LinkEthernet},
	{path: "ipv6/zeek_communityid_icmp6.pcap", packets: 49, first: "921159907.494265000", last: "921159966.755968000", link: pkt.LinkEthernet},
	{path: "ipv6/zeek_icmp_icmp6-ping.pcap", packets: 8, first: "1327348947.338241000", last: "1327348950.374920000", link: pkt.LinkEthernet},
	{path: "ipv6/zeek_ipv6-fragmented-dns.pcap", packets: 8, first: "1331084278.438444000", last: "1331084298.676270000", link: pkt.LinkEthernet},
	{path: "linux-sll/gopacket_linux_sll_oversized_addr.pcapng", packets: 209, first: "1410865705.717955000", last: "1410867180.785359000", link: pkt.LinkLinuxSLL},
	{path: "linux-sll/tcpdump_resp_1_benchmark.pcap", packets: 150, first: "1424744580.757048000", last: "1424744580.763263000", link: pkt.LinkLinuxSLL},
	{path: "linux-sll/zeek_linux_dlt_sll2.pcap", packets: 6, first: "1660534249.872259000", last: "1660535793.578961000", link: pkt.LinkLinuxSLL2},
	{path: "linux-sll/zeek_linuxsll-arp.pcap", packets: 12, first: "1593626138.922595000", last: "1593626147.243274000", link: pkt.LinkLinuxSLL},
	{path: "malformed/chrissanders_ppa1e_http-fault-post.pcap", packets: 25, first: "1164609054.607618000", last: "1164609193.866536000", link: pkt.LinkEthernet, readErr: pkt.ErrTruncated, errFrame: 26, errOffset: 8877}, // capinfos: "cut short in the middle of a packet" after 25; 25 records end at byte 8877 of 8879
	{path: "malformed/libpcap_pcap-invalid-version-1.pcap", openErr: ErrUnsupportedVersion},                                                                                                                                 // capinfos: "pcap: major version 1 unsupported"
	{path: "malformed/libpcap_pcap-truncated-hdr-23.pcap", openErr: pkt.ErrTruncated},                                                                                                                                       // capinfos: "cut short"; 23 of 24 header bytes
	{path: "malformed/libpcap_pcapng-block-len-not-mult4.pcapng", readErr: pkt.ErrMalformed, errFrame: 1, errOffset: 28},                                                                                                    // IDB total length 21 after a 28-byte SHB
	{path: "malformed/libpcap_shb-option-too-long.pcapng", openErr: pkt.ErrMalformed},                                                                                                                                       // capinfos: "damaged or corrupt"; SHB trailer != header length
	{path: "malformed/tcpdump_ipv4_invalid_hdr_length.pcap", packets: 1, first: "1692953864.621711000", last: "1692953864.621711000", link: pkt.LinkEthernet},
	{path: "malformed/tcpdump_ipv4_invalid_length.pcap", packets: 1, first: "1692975445.640485000", last: "1692975445.640485000", link: pkt.LinkEthernet},
	{path: "malformed/tcpdump_ipv4_invalid_total_length.pcap", packets: 1, first: "1692953864.621711000", last: "1692953864.621711000", link: pkt.LinkEthernet},
	{path: "malformed/tcpdump_ipv4_invalid_total_length_2.pcap", packets: 1, first: "1692953864.621711000", last: "1692953864.621711000", link: pkt.LinkEthernet},
	{path: "malformed/tcpdump_snmp-heapoverflow-1.pcap", packets: 5, first: "808464432.999999000", last: "808464432.999999000", link: pkt.LinkEthernet},
	{path: "malformed/tcpdump_timestamp_invalid_micro.pcap", packets: 3, first: "1418145369.999999000", last: "1418145370.999999000", link: pkt.LinkLinuxSLL, invalidTS: 2}, // tshark wraps µs 2^31*1000 in 32 bits (70.000000000); we clamp to 70.999999
	{path: "malformed/tcpdump_udp-length-heapoverflow.pcap", packets: 1, first: "808464432.999999000", last: "808464432.999999000", link: pkt.LinkEthernet},
	{path: "malformed/zeek_ip-bogus-header-len.pcap", packets: 1, first: "1622130530.134967000", last: "1622130530.134967000", link: pkt.LinkEthernet},
	{path: "mixed/zeek_wikipedia.pcap", packets: 136, first: "1300475167.096535000", last: "1300475173.475401000", link: pkt.LinkEthernet},
	{path: "nanosecond/tcpdump_tcp-handshake-nano.pcap", packets: 3, first: "1418145369.924505488", last: "1418145370.052115157", link: pkt.LinkLinuxSLL},
	{path: "ntp/tcpdump_ntp-time.pcap", packets: 2, first: "1503494516.928550000", last: "1503494516.928851000", link: pkt.LinkEthernet},
	{path: "ntp/tcpdump_ntp.pcap", packets: 8, first: "1497881530.230949000", last: "1497883632.800979000", link: pkt.LinkEthernet},
	{path: "ntp/zeek_ntp.pcap", packets: 12, first: "1476535656.489094000", last: "1476535739.793479000", link: pkt.LinkEthernet},
	{path: "ntp/zeek_ntp_NTP_sync.pcap", packets: 32, first: "1096255084.938672000", last: "1096255085.599961000", link: pkt.LinkEthernet},
	{path: "ntp/zeek_ntp_ntp.pcap", packets: 32, first: "1559246614.027454000", last: "1559246627.073485000", link: pkt.LinkEthernet},
	{path: "pcapng-multi-if/gopacket_pcapgo_le_test202.pcapng", packets: 8, first: "1340954905.298858000", last: "1340954905.301858000", link: pkt.LinkEthernet},
	{path: "pcapng-multi-if/gopacket_pcapgo_le_test300.pcapng", packets: 32, first: "1659322956.126474549", last: "1659322956.126474549", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpv1_get.pcap", packets: 58, first: "1126208078.562375000", last: "1126208136.118399000", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpv1_set.pcap", packets: 2, first: "1227729889.315893000", last: "1227729889.316112000", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpv1_trap.pcap", packets: 1, first: "1227729936.930566000", last: "1227729936.930566000", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpv2_get.pcap", packets: 2, first: "1258482072.450230000", last: "1258482072.450846000", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpv2_get_bulk.pcap", packets: 2, first: "1227729888.245024000", last: "1227729888.245242000", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpv2_get_next.pcap", packets: 8, first: "1222366202.157680000", last: "1222366202.255725000", link: pkt.LinkEthernet},
	{path: "snmp/zeek_snmpwalk-short.pcap", packets: 400, first: "1469560603.747081000", last: "1469560603.833229000", link: pkt.LinkEthernet},
	{path: "tcp-options/zeek_ssh_ssh.pcap", packets: 1797, first: "1324071333.493287000", last: "1421041528.379372000", link: pkt.LinkEthernet},
	{path: "tcp-options/zeek_tcp_handshake-reorder.pcap", packets: 14, first: "1362692526.939084000", last: "1362692527.080972000", link: pkt.LinkEthernet},
	{path: "tcp-options/zeek_tcp_options.pcap", packets: 4, first: "1258589770.049012000", last: "1258589770.240131000", link: pkt.LinkEthernet},
	{path: "tcp-options/zeek_tcp_tcp-fast-open.pcap", packets: 16, first: "1402321033.739117000", last: "1402321033.751730000", link: pkt.LinkEthernet},
	{path: "tcp-options/zeek_tcp_window-scale-range.pcap", packets: 5, first: "1700000000.000000000", last: "1700000000.400000000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/chrissanders_ppa1e_tcp-con-lost.pcap", packets: 9, first: "979489081.289000000", last: "979489090.500000000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/chrissanders_tcp_dupack.pcapng", packets: 9, first: "1236095711.960416000", last: "1236095711.960953000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/chrissanders_tcp_refuseconnection.pcapng", packets: 2, first: "1246561549.394749000", last: "1246561549.396065000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/chrissanders_tcp_retransmissions.pcapng", packets: 6, first: "979489081.289000000", last: "979489090.500000000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/zeek_tcp_reassembly.pcap", packets: 117, first: "1078895630.194466000", last: "1078895644.564378000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/zeek_tcp_rst-inject-rae.pcap", packets: 9, first: "1232039471.348475000", last: "1232039475.482002000", link: pkt.LinkEthernet},
	{path: "tcp-retrans-rst/zeek_tcp_ssh-dups.pcap", packets: 377, first: "1564085940.628353000", last: "1564085945.565740000", link: pkt.LinkEthernet},
	{path: "truncated-snaplen/zeek_communityid_tcp.pcap", packets: 12, first: "1071580904.891921000", last: "1071580905.346457000", link: pkt.LinkEthernet},
	{path: "truncated-snaplen/zeek_tcp_timestamp.pcap", packets: 878, first: "1533585360.505285000", last: "1533585361.054417000", link: pkt.LinkEthernet},
	{path: "truncated-snaplen/zeek_tcp_truncated-header.pcap", packets: 24, first: "1103139821.634774000", last: "1103139823.145958000", link: pkt.LinkEthernet},
	{path: "truncated-snaplen/zeek_trunc_icmp-payload-trunc.pcap", packets: 4, first: "1338324909.690784000", last: "1338324912.702087000", link: pkt.LinkEthernet},
	{path: "truncated-snaplen/zeek_trunc_trunc-hdr.pcap", packets: 1, first: "1404148886.981015000", last: "1404148886.981015000", link: pkt.LinkEthernet, overSnaplen: 1},
	{path: "vlan/tcpdump_802.1ad_QinQ.pcap", packets: 2, first: "1575842394.599412000", last: "1575842394.599680000", link: pkt.LinkEthernet},
	{path: "vlan/zeek_http-vlan-0.pcap", packets: 14, first: "1362692526.869344000", last: "1362692527.080972000", link: pkt.LinkEthernet},
	{path: "vlan/zeek_icmp_dot1q.pcap", packets: 15, first: "1213957237.965649000", last: "1213957272.997261000", link: pkt.LinkEthernet},
	{path: "vlan/zeek_q-in-q.pcap", packets: 5, first: "1363900699.548138000", last: "1363900699.553625000", link: pkt.LinkEthernet},
	{path: "vlan/zeek_vlan-pcp-dei.pcapng", packets: 9, first: "1763070394.994237000", last: "1763070394.994573000", link: pkt.LinkEthernet},
}

func TestSamples(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "pcap")
	want := map[string]sampleWant{}
	for _, w := range sampleTable {
		want[w.path] = w
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "SOURCES.md" {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		w, ok := want[rel]
		if !ok {
			t.Errorf("%s: no entry in sampleTable", rel)
			return nil
		}
		seen[rel] = true
		t.Run(rel, func(t *testing.T) { checkSample(t, path, w) })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range sampleTable {
		if !seen[w.path] {
			t.Errorf("%s: in sampleTable but not on disk", w.path)
		}
	}
}

func checkSample(t *testing.T, path string, w sampleWant) {
	f, err := Open(path)
	if w.openErr != nil {
		if !errors.Is(err, w.openErr) {
			t.Fatalf("Open error = %v, want %v", err, w.openErr)
		}
		if e := asError(t, err); e.Path != path {
			t.Errorf("Error.Path = %q, want %q", e.Path, path)
		}
		t.Logf("Open: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	recs, err := readAll(t, f)
	if len(recs) != w.packets {
		t.Errorf("packets = %d, want %d", len(recs), w.packets)
	}
	if w.readErr != nil {
		if !errors.Is(err, w.readErr) {
			t.Fatalf("read error = %v, want %v", err, w.readErr)
		}
		e := asError(t, err)
		if e.Path != path || e.Frame != w.errFrame || e.Offset != w.errOffset {
			t.Errorf("error at %s frame %d byte %d, want %s frame %d byte %d", e.Path, e.Frame, e.Offset, path, w.errFrame, w.errOffset)
		}
		t.Logf("read: %v", err)
	} else if err != nil {
		t.Fatalf("read error: %v", err)
	}
	st := f.Stats()
	if st.Packets != uint64(len(recs)) || st.InvalidTimestamps != w.invalidTS || st.OverSnaplen != w.overSnaplen {
		t.Errorf("stats %+v, want packets %d, invalid timestamps %d, over snaplen %d", st, len(recs), w.invalidTS, w.overSnaplen)
	}
	if len(recs) == 0 {
		return
	}
	if got, want := recs[0].m.TimeNs, parseEpoch(t, w.first); got != want {
		t.Errorf("first time = %d, want %d (%s)", got, want, w.first)
	}
	if got, want := recs[len(recs)-1].m.TimeNs, parseEpoch(t, w.last); got != want {
		t.Errorf("last time = %d, want %d (%s)", got, want, w.last)
	}
	if recs[0].m.LinkType != w.link {
		t.Errorf("link type = %v, want %v", recs[0].m.LinkType, w.link)
	}
	var sum uint64
	for i, r := range recs {
		if r.m.Frame != uint64(i+1) {
			t.Fatalf("packet %d has Frame %d", i+1, r.m.Frame)
		}
		sum += uint64(r.m.CapLen)
	}
	if st.Bytes != sum {
		t.Errorf("Stats.Bytes = %d, want %d", st.Bytes, sum)
	}
	if err == nil {
		fi, _ := os.Stat(path)
		if read, total := f.Progress(); read != fi.Size() || total != fi.Size() {
			t.Errorf("Progress at EOF = %d/%d, want %d/%d", read, total, fi.Size(), fi.Size())
		}
	}
}
