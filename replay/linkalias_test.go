package replay

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestRawLinkTypeAliases: link types 12 and 14 are DLT_RAW as old libpcap
// versions wrote it in files (12 on most systems, 14 on OpenBSD) before
// LINKTYPE_RAW 101 existed (pcap-linktype(7)); libpcap reads 12 as raw IP
// (tcpdump -r testdata/dlt-raw12.pcap: "link-type RAW (Raw IP)") and
// Wireshark's pcap-common.c maps both 12 and 14 to WTAP_ENCAP_RAW_IP.
// The captures (a DNS query and response over IPv4, then over IPv6,
// 10 ms apart from 1700000000.010000) were written with the edge
// samples' pcapgen.py: pcap with link type 12 and 14, pcapng whose IDB
// says 12. All 4 packets of each are raw IP (LinkRaw), none refused.
func TestRawLinkTypeAliases(t *testing.T) {
	for _, name := range []string{"testdata/dlt-raw12.pcap", "testdata/dlt-raw14.pcap", "testdata/dlt-raw12.pcapng"} {
		f, err := Open(name)
		if err != nil {
			t.Errorf("%s: Open: %v", name, err)
			continue
		}
		recs, err := readAll(t, f)
		f.Close()
		if err != nil || len(recs) != 4 {
			t.Errorf("%s: %d packets, error %v; want 4, nil", name, len(recs), err)
			continue
		}
		for i, r := range recs {
			wantVer := byte(4)
			if i >= 2 {
				wantVer = 6
			}
			if r.m.LinkType != pkt.LinkRaw || r.data[0]>>4 != wantVer || r.m.TimeNs != 1700000000_010000000+int64(i)*10_000_000 {
				t.Errorf("%s packet %d: link %v, IP version %d, time %d", name, i+1, r.m.LinkType, r.data[0]>>4, r.m.TimeNs)
			}
		}
	}
}

// TestKuznetzovPcap: magic 0xa1b2cd34 is the pcap of Alexey Kuznetzov's
// patched tcpdump, which libpcap reads (sf-pcap.c KUZNETZOV_TCPDUMP_MAGIC:
// each 16-byte record header is followed by the interface index, protocol,
// packet type and a pad byte, struct pcap_sf_patched_pkthdr). tcpdump -r
// testdata/kuznetzov.pcap (written with the edge samples' pcapgen.py)
// prints 4 DNS packets over Ethernet, 10 ms apart from 1700000000.010000:
// every frame starts with the destination MAC 02:00:00:00:00:0x, not with
// the 8 extra bytes.
func TestKuznetzovPcap(t *testing.T) {
	f, err := Open("testdata/kuznetzov.pcap")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	recs, err := readAll(t, f)
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d packets, error %v; want 4, nil", len(recs), err)
	}
	for i, r := range recs {
		if r.m.LinkType != pkt.LinkEthernet || r.data[0] != 0x02 || r.data[4] != 0 || r.m.CapLen != uint32(len(r.data)) ||
			r.m.TimeNs != 1700000000_010000000+int64(i)*10_000_000 {
			t.Errorf("packet %d: %+v, first bytes % x", i+1, r.m, r.data[:6])
		}
	}
}
