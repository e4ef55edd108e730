package probe_test

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestWorkersZeroAllocs: in steady state (a known flow's packets, the
// PDUs acknowledged at once) 2 workers take the packets, hand the
// batches over, run them and merge their records into the senders
// without allocating: each 1,024-packet batch cost one allocation before,
// its dispatch appending to the batches in flight after re-slicing
// their front off (0.001 allocations a packet, issue 14).
func TestWorkersZeroAllocs(t *testing.T) {
	link := &ackLink{}
	ch := []probe.Channel{{Link: link, Config: pdu.DefaultSenderConfig()}}
	w, err := probe.NewWorkers(probe.Identity{Name: "allocs"}, config.Default(), ch, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	link.s = w.Senders()[0]
	frame := capgen.TCP{Src: netip.MustParseAddrPort("10.0.0.1:40000"), Dst: netip.MustParseAddrPort("10.0.0.2:80"),
		Flags: "A", Seq: 1, Ack: 1, Win: 512, Payload: make([]byte, 100)}.Seg()
	now := capgen.Base
	feed := func() {
		for range 4096 { // four batches
			now += 1000 // 1 µs apart: no interval ends during the test
			w.Packet(frame, pkt.Meta{TimeNs: now, CapLen: uint32(len(frame)), WireLen: uint32(len(frame)), LinkType: pkt.LinkEthernet})
		}
	}
	feed()
	if n := testing.AllocsPerRun(20, feed); n != 0 && !testenv.Race { // -race: testenv.Race
		t.Errorf("4,096 packets of a known flow through 2 workers: %v allocations, want 0", n)
	}
}
