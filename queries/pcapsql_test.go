package queries

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tmonbench/tmonbench/engine/filter"
)

var flowEndpoints = Endpoints{SrcAddr: "src_addr", DstAddr: "dst_addr", SrcPort: "src_port", DstPort: "dst_port", Proto: "protocol", IPVersion: "ip_version"}

// TestPcapSQL evaluates translated expressions over testFlows with DuckDB;
// the expected flow ids are read off the rows at the top of
// queries_test.go, as tcpdump would match the flows' packets.
func TestPcapSQL(t *testing.T) {
	db := openTest(t)
	for _, tc := range []struct {
		expr string
		want []uint64
	}{
		{"tcp", []uint64{2, 3, 6}},
		{"tcp port 443", []uint64{2, 3, 6}},
		{"udp port 443", nil},
		{"port 161", []uint64{1}},
		{"host 10.0.0.1", []uint64{1, 3, 4, 6, 7}},
		{"src host 10.0.0.1", []uint64{1, 4, 7}},
		{"dst 10.0.0.1", []uint64{3, 6}},
		{"host 10.0.0.1 and not icmp", []uint64{1, 3, 6, 7}},
		{"host 10.0.0.3 or 10.0.0.4", []uint64{4, 7}},
		{"net 10.0.0.0/30", []uint64{1, 3, 4, 6, 7}},
		{"dst net 10.0.0.4 mask 255.255.255.252", []uint64{7}},
		{"ip6", []uint64{2, 5}},
		{"ip and proto 47", []uint64{7}},
		{"icmp or icmp6", []uint64{4, 5}},
		{"portrange 100-200 || dst port 443", []uint64{1, 2}},
		{"host 2001:db8::2", []uint64{2}},
		{"!(tcp || udp) && ip", []uint64{4, 7}},
		{"src or dst port 51000", []uint64{3, 6}},
		{"tcp and (port 443 or port 80) and host 10.0.0.2", []uint64{3, 6}},
		// engine/filter's grammar, as --filter and libpcap: `net 10.0` is
		// 10.0.0.0/16, a reversed portrange is swapped (pcap-filter(7))
		{"net 10.0", []uint64{1, 3, 4, 6, 7}},
		{"portrange 200-100", []uint64{1}},
		// ports are TCP's and UDP's: ICMP and GRE flows have none (tcpdump
		// `port 0` matches none of their packets)
		{"port 0", nil},
		{"ip6 proto 17 or ip proto 17", []uint64{1}},
		{"tcp src port 443 and dst 10.0.0.1", []uint64{3, 6}},
		// IPv6 networks (the TUI's / filter said "not supported"):
		// flow 2 is 2001:db8::1 > 2001:db8::2, flow 5 fe80::1 > ff02::1
		{"net 2001:db8::/32", []uint64{2}},
		{"net 2001:db8::/126", []uint64{2}},
		{"dst net 2001:db8::2/127", []uint64{2}},
		{"src net 2001:db8::2/127", nil},
		{"net fe80::/10", []uint64{5}},
		{"net ff00::/8", []uint64{5}},
		{"net ::/0 and not ip", []uint64{2, 5}},
		{"net 2001:db9::/32", nil},
	} {
		w, err := PcapSQL(tc.expr, flowEndpoints)
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		res, err := Run(db, "SELECT flow_id FROM flows WHERE "+w+" ORDER BY flow_id")
		if err != nil {
			t.Errorf("%q -> %s: %v", tc.expr, w, err)
			continue
		}
		var got []uint64
		for _, r := range res.Rows {
			got = append(got, r[0].(uint64))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q -> %s:\n got %v\nwant %v", tc.expr, w, got, tc.want)
		}
	}
	// the errors of --filter (engine/filter's parser), offsets included
	for bad, want := range map[string]string{
		"error":        `filter: missing qualifier (host, net, port, ...) before "error" at offset 0`,
		"host":         "filter: expected host address at offset 4",
		"port x":       `filter: service name "x": give the port number (names are not read from /etc/services) at offset 5`,
		"tcp and":      "filter: unexpected end of expression at offset 7",
		"(tcp":         "filter: missing ')' at offset 4",
		"tcp portt 80": `filter: expected 'and' or 'or' before "portt" at offset 4`,
		"video games":  `filter: missing qualifier (host, net, port, ...) before "video" at offset 0`,
		"arp host ::1": `filter: 'arp' modifier applied to ip6 host at offset 9`,
	} {
		_, err := PcapSQL(bad, flowEndpoints)
		if _, cliErr := filter.Parse(bad); !errors.Is(err, filter.ErrSyntax) || err.Error() != want || cliErr.Error() != want {
			t.Errorf("%q: got %v, want %s (--filter: %v)", bad, err, want, cliErr)
		}
	}
	// primitives on packets: no column of a row answers them
	for _, pk := range []string{"len > 1000", "less 100", "vlan 10", "dscp 0", "tcp-syn", "tcp[13] & 2 != 0", "icmp[icmptype] == icmp-echo",
		"arp", "not rarp", "arp host 10.0.0.1", "rarp src net 10.0.0.0/8"} { // ARP frames: rows hold IP endpoints
		if _, err := PcapSQL(pk, flowEndpoints); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("%q: want ErrNotApplicable, got %v", pk, err)
		}
	}
	if _, err := PcapSQL("port 21", Endpoints{}); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("a table without ports: %v", err)
	}
}

func TestTextSQL(t *testing.T) {
	db := openTest(t)
	res, err := Run(db, "SELECT flow_id FROM flows WHERE "+TextSQL("ICMP6", []string{"name", "protocol"})+" ORDER BY 1")
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0].(uint64) != 5 {
		t.Fatalf("%v %v", res, err)
	}
}
