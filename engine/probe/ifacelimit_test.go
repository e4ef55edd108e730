package probe_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// TestNewInterfaceLimit: an Identity naming more interfaces than
// pkt.Meta.Iface (16 bits) can number, 65,537, is refused by New with the
// probe's name and the count; 65,536 (index 0..65535) is a probe. New
// took any list: interfaces past the 65,536th could never be told apart
// (pipeline.Assign is the check users meet; this one keeps every other
// caller, a live probe's --iface list, honest).
func TestNewInterfaceLimit(t *testing.T) {
	for _, n := range []int{65536, 65537} {
		id := probe.Identity{Name: "P", Interfaces: make([]string, n)}
		for i := range id.Interfaces {
			id.Interfaces[i] = fmt.Sprintf("e%d", i)
		}
		link := &heldLink{deliver: func([]byte) []byte { return nil }}
		p, err := probe.New(id, config.Default(), []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}, nil)
		want := "probe P: 65537 interfaces, at most 65536"
		switch {
		case n == 65536 && err != nil:
			t.Errorf("%d interfaces: %v", n, err)
		case n == 65537 && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%d interfaces: probe %v, error %v; want %q", n, p != nil, err, want)
		}
	}
}
