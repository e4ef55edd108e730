package probe_test

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestTimeoutCountedInItsInterval: a SYN at 0.5 s never answered, a
// packet of another flow at 5.5 s and one at 12.5 s. The handshake's
// request times out after rtt's TimeoutNs (10 s), which the probe finds
// at the 12.5 s packet: rtt_unanswered_tcp_handshake belongs to interval
// 12. The probe ran its timers before closing the intervals the packet
// ended, so the count went into interval 5, 7 s before it was known (a
// replay of tcpdump's capture said 14:35:33 where the live capture,
// ticking each second, said 14:35:36: the expiry was found at 14:35:37
// by the replay).
func TestTimeoutCountedInItsInterval(t *testing.T) {
	cfg, err := config.Parse([]byte("interval_s: 1\nclasses:\n  - {name: ip, filter: ip, granularity: [protocol, src_addr, dst_addr, src_port, dst_port], analyses: [counters, rtt], rtt: {kinds: [tcp_handshake]}}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, coll := loopProbeOf(t, cfg, "p")
	syn := capgen.TCP{Src: capgen.AP("192.0.2.1:37862"), Dst: capgen.AP("192.0.2.2:5002"), Flags: "S", Seq: 1000, Win: 100}.Seg()
	udp := capgen.UDP{Src: capgen.AP("192.0.2.1:5000"), Dst: capgen.AP("192.0.2.2:9000"), Payload: make([]byte, 8)}.Frame()
	for _, f := range []struct {
		ms    float64
		frame []byte
	}{{500, syn}, {5500, udp}, {12500, udp}} {
		p.Packet(f.frame, pkt.Meta{TimeNs: capgen.Ms(f.ms), CapLen: uint32(len(f.frame)), WireLen: uint32(len(f.frame)), LinkType: pkt.LinkEthernet})
	}
	p.Close()
	var got []int64
	for _, c := range coll.Finish().FlowCounters {
		if c.Metric == "rtt_unanswered_tcp_handshake" {
			got = append(got, (c.IntervalStart-capgen.Ms(0))/1e9)
		}
	}
	if len(got) != 1 || got[0] != 12 {
		t.Errorf("rtt_unanswered_tcp_handshake in intervals %v (s from the start), want [12]: the interval of the packet that found the timeout", got)
	}
}
