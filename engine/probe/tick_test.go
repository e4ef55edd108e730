package probe_test

import (
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestIdleTickNotBackwards: a live source's idle tick moves the clock with
// the wall clock, and a ring block stamped before that tick is no time
// going backwards (an audit of issue 11 saw capture_time_backwards about 4
// times a second on a busy veth: every idle wake-up set the previous
// packet's time to the wall clock). An idle of 20 min before the next
// packet is no clock jump either: the ticks carried the clock.
func TestIdleTickNotBackwards(t *testing.T) {
	p, _ := loopProbe(t)
	frame := capgen.UDP{Src: capgen.AP("192.0.2.1:5000"), Dst: capgen.AP("198.51.100.1:9000"), Payload: make([]byte, 32)}.Frame()
	at := func(ns int64) pkt.Meta {
		return pkt.Meta{TimeNs: ns, CapLen: uint32(len(frame)), WireLen: uint32(len(frame)), LinkType: pkt.LinkEthernet}
	}
	base := capgen.Base
	p.Packet(frame, at(base))
	p.Tick(base + 10e6)           // an idle wake-up 10 ms later
	p.Packet(frame, at(base+5e6)) // a packet of the ring's block, stamped before it
	for s := int64(1); s <= 1200; s++ {
		p.Tick(base + 10e6 + s*int64(time.Second)) // 20 min of idle ticks
	}
	p.Packet(frame, at(base+10e6+1200*int64(time.Second)+1e6))
	if st := p.Stats(); st.Reordered != 0 || st.ClockStepsBack != 0 || st.ClockJumps != 0 {
		t.Errorf("reordered %d, steps back %d, jumps %d: want 0 0 0", st.Reordered, st.ClockStepsBack, st.ClockJumps)
	}
	p.Packet(frame, at(base+10e6+1200*int64(time.Second))) // a real reordering still counts
	if st := p.Stats(); st.Reordered != 1 {
		t.Errorf("reordered %d after a packet 1 ms before its predecessor, want 1", st.Reordered)
	}
}
