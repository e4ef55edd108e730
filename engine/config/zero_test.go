package config

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestZeroIsTheDefault: the one rule for numbers (the fields' docs): 0, as
// a field left out, takes the default, and every range error says so.
// Before, interval_s: 0 ran 60 s intervals while the error for 0.5 said
// "must be between 1 and 86400", max_flows: 0 was accepted while -1 said
// "must be at least 1", and rtt.timeout_s: .nan was accepted.
func TestZeroIsTheDefault(t *testing.T) {
	oneway := "classes:\n  - name: o\n    analyses: [oneway]\n    granularity: [dst_addr]\n    oneway:\n      hops: [a, b]\n      %s: %s\n"
	class := "classes:\n  - name: a\n    %s: %s\n"
	for _, c := range []struct {
		yaml, field string
		get         func(*Config) float64
		def         string // the default, as the error writes it
		whole       bool   // an int field (no NaN)
	}{
		{"%s: %s\n", "interval_s", func(c *Config) float64 { return c.IntervalS }, "60", false},
		{"flow_table:\n  %s: %s\n", "max_flows", func(c *Config) float64 { return float64(c.FlowTable.MaxFlows) }, "1048576", true},
		{"tcp_table:\n  %s: %s\n", "max_connections", func(c *Config) float64 { return float64(c.TCPTable.MaxConnections) }, "65536", true},
		{"tcp_table:\n  %s: %s\n", "idle_timeout_s", func(c *Config) float64 { return c.TCPTable.IdleTimeoutS }, "3600", false},
		{"ftp_table:\n  %s: %s\n", "linger_s", func(c *Config) float64 { return c.FTPTable.LingerS }, "2", false},
		{"reassembly:\n  %s: %s\n", "timeout_s", func(c *Config) float64 { return c.Reassembly.TimeoutS }, "30", false},
		{"reassembly:\n  %s: %s\n", "ipv6_timeout_s", func(c *Config) float64 { return c.Reassembly.IPv6TimeoutS }, "60", false},
		{"reassembly:\n  %s: %s\n", "max_fragments", func(c *Config) float64 { return float64(c.Reassembly.MaxFragments) }, "256", true},
		{"reassembly:\n  %s: %s\n", "max_datagram_bytes", func(c *Config) float64 { return float64(c.Reassembly.MaxDatagramBytes) }, "65575", true},
		{class, "idle_timeout_s", func(c *Config) float64 { return c.Classes[1].IdleTimeoutS }, "300", false},
		{"classes:\n  - name: a\n    analyses: [rtt]\n    rtt:\n      %s: %s\n", "timeout_s", func(c *Config) float64 { return c.Classes[1].RTT.TimeoutS }, "10", false},
		{oneway, "signature_bits", func(c *Config) float64 { return float64(c.Classes[1].Oneway.SignatureBits) }, "32", true},
		{oneway, "timeout_s", func(c *Config) float64 { return c.Classes[1].Oneway.TimeoutS }, "5", false},
		{oneway, "time_unit_ns", nil, "1", true},
		{"enrich:\n  reverse_dns:\n    %s: %s\n", "rate_per_s", func(c *Config) float64 { return c.Enrich.ReverseDNS.RatePerS }, "20", false},
		{"enrich:\n  reverse_dns:\n    %s: %s\n", "refresh_days", func(c *Config) float64 { return c.Enrich.ReverseDNS.RefreshDays }, "7", false},
		{"collectors:\n  - name: c\n    %s: %s\n", "max_pdu_bytes", nil, "1400", true},
		{"collectors:\n  - name: c\n    %s: %s\n", "max_retries", nil, "5", true},
		{"collectors:\n  - name: c\n    %s: %s\n", "heartbeat_s", nil, "10", false},
	} {
		zero, err := Parse([]byte(fmt.Sprintf(c.yaml, c.field, "0")), "z.yaml")
		if err != nil {
			t.Errorf("%s: 0: %v", c.field, err)
		} else if c.get != nil && strconv.FormatFloat(c.get(zero), 'f', -1, 64) != c.def {
			t.Errorf("%s: 0 gives %g, want the default %s", c.field, c.get(zero), c.def)
		}
		bads := []string{"-1"}
		if !c.whole {
			bads = append(bads, ".nan") // refused too, not only negatives
		}
		for _, bad := range bads {
			_, err = Parse([]byte(fmt.Sprintf(c.yaml, c.field, bad)), "z.yaml")
			want := "(0 or absent: " + c.def + "), got "
			if err == nil || !strings.Contains(err.Error(), "."+c.field+": ") && !strings.HasPrefix(err.Error(), "z.yaml:1:1: "+c.field) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %s: error %v, want it to say %q", c.field, bad, err, want)
			}
		}
	}
}
