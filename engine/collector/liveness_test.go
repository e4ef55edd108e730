package collector

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestFinishedProbeNotSilent: a probe whose run finished (its final report
// and every PDU before it arrived) is silent by design: Liveness raises no
// probe_silent event for it (a trial saw "probe silent: disconnected?" 30
// s after `probe finished`), while a probe that stops before its final
// report is reported silent, and alive again when it speaks.
func TestFinishedProbeNotSilent(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	frame := func(probe uint16, typ pdu.Type, id uint32, rec func(e *pdu.Enc)) []byte {
		var e pdu.Enc
		rec(&e)
		return pdu.AppendFrame(nil, pdu.Header{Type: typ, ProbeID: probe, ID: id, BuildTimeNs: 1e9}, e.B)
	}
	hello := func(probe uint16, name string) []byte {
		return frame(probe, pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: name, Interfaces: []string{"eth0"}}).Append(e) })
	}
	c.Handle(hello(1, "done"))
	c.Handle(frame(1, pdu.TypeReport, 2, func(e *pdu.Enc) { (&pdu.Report{Final: true, Collector: "collector"}).Append(e) }))
	c.Handle(hello(2, "cut"))
	kinds := func() map[string][]string {
		m := map[string][]string{}
		for _, e := range c.Drain().Events {
			m[e.Kind] = append(m[e.Kind], e.Message)
		}
		return m
	}
	kinds() // the start's events
	c.Liveness(1e9+60e9, 30e9)
	got := kinds()
	if len(got["probe_silent"]) != 1 || got["probe_silent"][0][:len("probe cut")] != "probe cut" {
		t.Fatalf("after 60 s of silence: probe_silent %q, want the unfinished probe only", got["probe_silent"])
	}
	// both speak again: only the one reported silent is alive again
	c.Handle(frame(1, pdu.TypeHeartbeat, 0, func(*pdu.Enc) {}))
	c.Handle(frame(2, pdu.TypeHeartbeat, 0, func(*pdu.Enc) {}))
	c.Liveness(1e9+61e9, 30e9)
	if got := kinds(); len(got["probe_alive"]) > 1 || len(got["probe_silent"]) != 0 {
		t.Fatalf("when they speak again: %q", got)
	}
}
