package dissect_test

import (
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/testframes"
)

// TestReusedDissectionKeepsNothing: the probe dissects every packet into
// the same Dissection; a packet dissected into one that held another
// packet (TCP with options, UDP, ICMP errors quoting a flow, VLAN and
// Q-in-Q tags, IPv6 extension headers, fragments, malformed frames) comes
// out field for field as dissected into a zero one: Dissect clears it in
// place before filling it, nothing of the previous packet stays.
func TestReusedDissectionKeepsNothing(t *testing.T) {
	for _, file := range []string{
		"pcap/mixed/zeek_wikipedia.pcap", "pcap/tcp-options/zeek_tcp_options.pcap", "pcap/ipv6/zeek_ipv6-fragmented-dns.pcap",
		"pcap/vlan/zeek_q-in-q.pcap", "pcap/icmp-errors/zeek_icmp-destunreach-udp.pcap", "pcap/ipv4-fragments/zeek_ipv4_fragmented-4.pcap",
		"pcap/icmp-errors/tcpdump_mpls-traceroute.pcap", abs(t, "testdata/pppoe.pcap"), abs(t, "testdata/icmp6-quoted-ext.pcap"),
	} {
		frames, metas := testframes.Frames(t, file)
		reused, fresh := dissect.New(), dissect.New()
		var shared dissect.Dissection
		for i := range frames {
			// Every packet after every other one: pairs of unlike packets.
			for _, j := range []int{i, (i + len(frames)/2) % len(frames)} {
				errR := reused.Dissect(frames[j], metas[j], &shared)
				var want dissect.Dissection
				errF := fresh.Dissect(frames[j], metas[j], &want)
				if errR != errF || !reflect.DeepEqual(shared, want) {
					t.Fatalf("%s: frame %d dissected after another differs from a fresh dissection:\n got %+v\nwant %+v", file, j+1, shared, want)
				}
			}
		}
	}
}
