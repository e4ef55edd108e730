package rtt

import (
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestHeldAcrossCloseAfterClockJump: after a clock step the probe's timer
// clock (pkt.Meta.ClockNs) and capture time differ by the step, and the
// intervals are in capture time. Handshake 40001's SYN-ACK at 505 ms is
// held across the close at 1 s; handshake 40002 (SYN-ACK at 1102 ms,
// ACK at 1103 ms) belongs to the second interval. With the timer clock 1 h
// behind capture time (a jump forward of 1 h, as the probe's stamp sets
// it), 40002 was histogrammed in the first interval: its timer clock was
// compared with the interval's capture-time end.
func TestHeldAcrossCloseAfterClockJump(t *testing.T) {
	c1, c2, s := capgen.AP("192.0.2.10:40001"), capgen.AP("192.0.2.10:40002"), capgen.AP("198.51.100.20:80")
	path := segCapture(t, "held-jump.pcap", []seg{
		{500, capgen.TCP{Src: c1, Dst: s, Flags: "S", Seq: 1000, Win: 100}},
		{505, capgen.TCP{Src: s, Dst: c1, Flags: "SA", Seq: 9000, Ack: 1001, Win: 100}},
		{1100, capgen.TCP{Src: c2, Dst: s, Flags: "S", Seq: 2000, Win: 100}},
		{1102, capgen.TCP{Src: s, Dst: c2, Flags: "SA", Seq: 7000, Ack: 2001, Win: 100}},
		{1103, capgen.TCP{Src: c2, Dst: s, Flags: "A", Seq: 2001, Ack: 7001, Win: 100}},
		{1200, capgen.TCP{Src: c1, Dst: s, Flags: "A", Seq: 1001, Ack: 9001, Win: 100}},
	})
	for _, offNs := range []int64{0, -3600e9, 3600e9} { // none, a jump forward, a step back
		pkts := readCapture(t, path)
		tr := New(DefaultConfig())
		var hists []string
		hist := func(h *observe.RTTHistogram) {
			hists = append(hists, fmt.Sprintf("%d:%d %v", (h.IntervalStart-capgen.Ms(0))/1e6, h.N, h.Min))
		}
		for i := range pkts {
			d := &pkts[i].d
			d.Meta.ClockNs = d.Meta.TimeNs + offNs
			if i == 2 {
				tr.CloseInterval(capgen.Ms(0), 1e9, hist)
			}
			tr.Packet(d, 1, nil)
		}
		tr.Flush(nil)
		tr.CloseInterval(capgen.Ms(1000), 1e9, hist)
		if want := "[0:1 5 1000:1 2]"; fmt.Sprint(hists) != want {
			t.Errorf("timer clock %v s off capture time: histograms %v, want %s (5 ms in the first interval, 2 ms in the second)", offNs/1e9, hists, want)
		}
	}
}
