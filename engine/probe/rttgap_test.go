package probe_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestHeldHandshakeAcrossIdleIntervals: a handshake held across a close
// (a stray SYN-ACK at 505 ms, the real one at 3.5 s, the client's ACK
// naming it at 3.501 s) gives the same rtt_histograms rows whether the
// idle intervals between are closed one by one (a live probe's idle
// ticks, probe --pcap's paced steps) or at once by the next packet
// (replay): the closed interval's rows wait one close, and the probe closes
// the first idle interval too when it skips some. Replay gave the real
// SYN-ACK's 3000 ms in the fourth interval, probe --pcap the stray's 5 ms
// in the first.
func TestHeldHandshakeAcrossIdleIntervals(t *testing.T) {
	cfg, err := config.Parse([]byte("interval_s: 1\nclasses:\n  - {name: tcp, filter: tcp, granularity: [src_addr, dst_addr, src_port, dst_port], analyses: [rtt]}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, s := capgen.AP("192.0.2.10:40030"), capgen.AP("198.51.100.20:80")
	type seg struct {
		ms float64
		capgen.TCP
	}
	segs := []seg{
		{500, capgen.TCP{Src: c, Dst: s, Flags: "S", Seq: 1000, Win: 100}},
		{505, capgen.TCP{Src: s, Dst: c, Flags: "SA", Seq: 9000, Ack: 1001, Win: 100}}, // stray
		{3500, capgen.TCP{Src: s, Dst: c, Flags: "SA", Seq: 5000, Ack: 1001, Win: 100}},
		{3501, capgen.TCP{Src: c, Dst: s, Flags: "A", Seq: 1001, Ack: 5001, Win: 100}},
	}
	rows := func(ticks bool) []string {
		p, coll := loopProbeOf(t, cfg, "p")
		last := capgen.Ms(500)
		for _, sg := range segs {
			at := capgen.Ms(sg.ms)
			for ticks && last+1e9 < at {
				last += 1e9
				p.Tick(last)
			}
			f := sg.Seg()
			p.Packet(f, pkt.Meta{TimeNs: at, CapLen: uint32(len(f)), WireLen: uint32(len(f)), LinkType: pkt.LinkEthernet})
		}
		p.Close()
		var out []string
		for _, h := range coll.Finish().RTTHistograms {
			out = append(out, fmt.Sprintf("%d:%d %v", (h.IntervalStart-capgen.Ms(0))/1e9, h.N, h.Min))
		}
		return out
	}
	once, ticked := rows(false), rows(true)
	if !slices.Equal(once, ticked) || len(once) != 1 {
		t.Errorf("rtt_histograms %v with the idle intervals closed at once, %v one by one; want one row, the same", once, ticked)
	}
}
