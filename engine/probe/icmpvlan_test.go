package probe_test

import (
	"path/filepath"
	"testing"
)

// TestICMPErrorQuotedFlowVLANAndDSCP: an ICMP error counts in the flow of
// the packet it quotes (design 3.3) also in a class that splits or filters
// by vlan or dscp. The quoted packet was sieved with no VLAN tag and DSCP
// 0, so an error on VLAN 100 quoting a VLAN 100 datagram with DSCP 46 (EF)
// missed its flow: counted in no flow of a `vlan 100 and udp` or `dscp 46`
// class, and in the untagged DSCP 0 flow's place in a class splitting by
// vlan and dscp. Now it takes the error's VLAN tags (it crossed the same
// link) and its quoted header's DSCP (RFC 792: the original datagram's
// header; tshark -e ip.dsfield.dscp gives 46 for the quoted header).
//
// testdata/icmp-error-vlan.pcap (python3 with ../shared/samples/edge's
// pcapgen.py): UDP 192.0.2.1:40000>198.51.100.2:7000 on VLAN 100 with DSCP
// 46, then a port unreachable from 203.0.113.9 on VLAN 100 quoting it; the
// same untagged with DSCP 0, and its port unreachable.
//
//	ef = tos(ipv4(A, B, PROTO_UDP, udp(A, B, 40000, 7000, b"x"*20)), 0xb8)  # TOS byte set, checksum redone
//	be = ipv4(A, B, PROTO_UDP, udp(A, B, 40000, 7000, b"x"*20))
//	err = lambda u: ipv4(R, A, PROTO_ICMP, icmp4(3, 3, payload=u[:28]))
//	write_pcap(path, [(T+1, eth(ef, tags=((ETH_8021Q, 100),))), (T+1.001, eth(err(ef), tags=...)),
//	                  (T+2, eth(be)), (T+2.001, eth(err(be)))])  # T = 1700000040
func TestICMPErrorQuotedFlowVLANAndDSCP(t *testing.T) {
	const cfg = `
interval_s: 60
classes:
  - name: split
    granularity: [ip_version, protocol, src_addr, dst_addr, src_port, dst_port, dscp, vlan]
    analyses: [counters]
  - name: v100
    filter: "vlan 100 and udp"
    analyses: [counters]
  - name: ef
    filter: "udp and dscp 46"
    analyses: [counters]
`
	path, err := filepath.Abs("testdata/icmp-error-vlan.pcap")
	if err != nil {
		t.Fatal(err)
	}
	b := runPath(t, cfg, path)
	got := map[string]uint64{}
	for _, f := range b.Flows {
		if f.Protocol == 17 {
			got[f.Class+" "+f.Name] += counter(b, f.FlowID, "icmp_error_type_3_code_3")
		}
	}
	want := map[string]uint64{
		"all 192.0.2.1:40000>198.51.100.2:7000/udp":                    2,
		"split 192.0.2.1:40000>198.51.100.2:7000/udp dscp 46 vlan 100": 1,
		"split 192.0.2.1:40000>198.51.100.2:7000/udp dscp 0 vlan 0":    1,
		"v100 192.0.2.1:40000>198.51.100.2:7000/udp":                   1,
		"ef 192.0.2.1:40000>198.51.100.2:7000/udp":                     1,
	}
	if len(got) != len(want) {
		t.Errorf("UDP flows %v; want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: icmp_error_type_3_code_3 %d, want %d", k, got[k], n)
		}
	}
}
