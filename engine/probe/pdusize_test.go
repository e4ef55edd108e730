package probe_test

import (
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// TestNewRefusesPDUSizeOutOfRange: a channel of MaxPDUBytes 0 was taken:
// its sender clamped it to PDUs of 114 bytes (pdu.HeaderLen 30 + TagLen
// 16 + TrailerLen 4 + 64), while the one-way encoders, sized from it,
// read 0 as the 1400-byte default and built records those PDUs could not
// carry (and CheckConfig, passing 0 without collectors, validated what
// New did not build). New now refuses a size outside [114, 65507] naming
// the channel, the value and the range; the bounds themselves are taken.
func TestNewRefusesPDUSizeOutOfRange(t *testing.T) {
	cfg, err := config.Parse([]byte("classes:\n  - name: o\n    filter: udp\n    analyses: [oneway]\n    oneway: {hops: [P, Q]}\n"), "o.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		size int
		want string
	}{
		{0, "probe: channel 0: MaxPDUBytes 0 outside [114, 65507]"},
		{113, "probe: channel 0: MaxPDUBytes 113 outside [114, 65507]"},
		{65508, "probe: channel 0: MaxPDUBytes 65508 outside [114, 65507]"},
		{114, ""},
		{65507, ""},
	} {
		sc := pdu.DefaultSenderConfig()
		sc.MaxPDUBytes = c.size
		link := &heldLink{deliver: func([]byte) []byte { return nil }}
		p, err := probe.New(probe.Identity{Name: "P"}, cfg, []probe.Channel{{Link: link, Config: sc}}, nil)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("MaxPDUBytes %d: %v, want it taken", c.size, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("MaxPDUBytes %d: probe %v, error %v; want %q", c.size, p != nil, err, c.want)
		}
	}
	if err := probe.CheckConfig(cfg); err != nil {
		t.Errorf("CheckConfig without collectors: %v", err)
	}
}
