package tui

import "testing"

// TestFlowFields: the flow page's line of a flow's fields showed
// ":0 > :0 proto 1" for a class of granularity [protocol] (its flows row
// has empty addresses and ports 0; its name is "*>*/icmp",
// collector.FlowName); it now shows only the fields the class keeps, as
// the name does. Values as a replay writes them (tmux: a class
// "granularity: [protocol]" over testdata/lab/ftp/A.pcap showed
// "proto 6 (tcp)" on the flow page of "*>*/tcp").
func TestFlowFields(t *testing.T) {
	for _, c := range []struct {
		f    row
		want string
	}{
		{row{"src_addr": "", "dst_addr": "", "src_port": int64(0), "dst_port": int64(0), "protocol": int64(1)}, "proto 1 (icmp)"},
		{row{"src_addr": nil, "dst_addr": nil, "src_port": nil, "dst_port": nil, "protocol": int32(6)}, "proto 6 (tcp)"},
		{row{"src_addr": "10.10.1.100", "dst_addr": "198.51.100.10", "src_port": int64(33488), "dst_port": int64(21), "protocol": int64(6)},
			"10.10.1.100:33488 > 198.51.100.10:21 proto 6 (tcp)"},
		{row{"src_addr": "2001:db8::1", "dst_addr": "2001:db8::2", "src_port": int64(53), "dst_port": int64(33000), "protocol": int64(17)},
			"[2001:db8::1]:53 > [2001:db8::2]:33000 proto 17 (udp)"},
		{row{"src_addr": "", "dst_addr": "", "src_port": int64(0), "dst_port": int64(21), "protocol": int64(6)}, "* > *:21 proto 6 (tcp)"},
		{row{"src_addr": "10.0.0.1", "dst_addr": "10.0.0.2", "src_port": int64(0), "dst_port": int64(0), "protocol": int64(1)}, "10.0.0.1 > 10.0.0.2 proto 1 (icmp)"},
		{row{"src_addr": "10.0.0.1", "dst_addr": "", "src_port": int64(0), "dst_port": int64(0), "protocol": int64(0)}, "10.0.0.1 > *"},
		{row{"src_addr": "", "dst_addr": "", "src_port": int64(0), "dst_port": int64(0), "protocol": int64(253)}, "proto 253"},
	} {
		if got := flowFields(c.f); got != c.want {
			t.Errorf("flowFields(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}
