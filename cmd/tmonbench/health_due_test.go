package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/live"
)

// TestHealthDueUnderTraffic: probe -i checks its links and kernel counters
// every healthEveryNs of capture time while packets flow, not only every
// 4096 packets (200 packets a second on a busy interface delayed the
// capture_interface_down/up/gone events of another by 20 s), and on every
// idle wake-up.
func TestHealthDueUnderTraffic(t *testing.T) {
	s := &healthSource{}
	const gap = int64(5e6) // 200 packets a second
	checks := 0
	for i := range int64(2000) { // 10 s of capture
		if s.due(nil, 1_700_000_000e9+i*gap) {
			checks++
		}
	}
	if want := int(2000 * gap / healthEveryNs); checks < want {
		t.Errorf("%d checks over 10 s of packets 5 ms apart, want at least %d", checks, want)
	}
	if checks > 2000/int(healthEveryNs/gap)+2 {
		t.Errorf("%d checks: more than one per %d ns", checks, healthEveryNs)
	}
	if !s.due(pkt.ErrIdle, 0) || !s.due(errors.New("x"), 0) {
		t.Error("an idle wake-up or an error is not a check")
	}
	if !s.due(nil, 1_600_000_000e9) {
		t.Error("a capture time going back is not a check (the next ones would wait for it)")
	}
}

// TestRingFullWithoutDrops: the kernel counts a ring freeze
// (tp_freeze_q_cnt) when it hands a block over and no block is free, even
// if no packet is dropped before the reader frees one. A probe -i run on a
// 1 MiB ring wrote "lnB0: 0 of 2 packets dropped by the kernel, ring full
// 1 times ...: the probe cannot keep up" as a capture_drops error with
// count 0 (an SNMP trap of severity error for nothing lost). Now such a
// period is a capture_ring_full warning; drops stay capture_drops errors
// with the drops in count, and a period with neither is
// capture_recovered.
func TestRingFullWithoutDrops(t *testing.T) {
	h := &health{}
	var got []string
	ev := func(sev uint8, kind, msg string, n uint64) {
		got = append(got, fmt.Sprintf("%s %s %d %s", pdu.SeverityName(sev), kind, n, msg))
	}
	for _, st := range []live.Stats{
		{Interface: "lnB0", KernelPackets: 2006, Drops: 139, Freezes: 3},
		{Interface: "lnB0", KernelPackets: 2008, Drops: 139, Freezes: 4},
		{Interface: "lnB0", KernelPackets: 2010, Drops: 139, Freezes: 4},
	} {
		h.reportStats([]live.Stats{st}, ev)
	}
	want := []string{
		"error capture_drops 139 lnB0: 139 of 2006 packets dropped by the kernel, ring full 3 times (139 dropped in all): the probe cannot keep up (bigger --ring-mb, a --filter, or fewer classes)",
		"warning capture_ring_full 0 lnB0: ring full 1 time, no packet dropped (139 dropped in all): the probe is at its limit (bigger --ring-mb, a --filter, or fewer classes)",
		"info capture_recovered 0 no kernel drop and no full ring in the last period",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// endless is a source of one packet at ever later times.
type endless struct{ n int64 }

func (e *endless) Next() ([]byte, pkt.Meta, error) {
	e.n++
	return make([]byte, 60), pkt.Meta{TimeNs: 1_700_000_000e9 + e.n*1000, CapLen: 60, WireLen: 60}, nil
}

func (e *endless) Close() error { return nil }

// TestSwitchWakeIsNoIdle: the switch source's periodic wake-up under
// traffic is pkt.ErrWake, which the read loop does not take for an idle
// source (probe.TestWakeUpKeepsClock: it would tick the probe clock past
// packets still in the ring).
func TestSwitchWakeIsNoIdle(t *testing.T) {
	wall := int64(1_700_000_000e9)
	s := &switchSource{Source: &endless{}, wallNs: func() int64 { wall += 10e6; return wall }}
	for i := range 200 {
		if _, _, err := s.Next(); err != nil {
			if !errors.Is(err, pkt.ErrWake) || !errors.Is(err, pkt.ErrIdle) {
				t.Fatalf("call %d: %v, want pkt.ErrWake (wrapping pkt.ErrIdle)", i, err)
			}
			return
		}
	}
	t.Fatal("no wake-up in 200 calls, 2 s of wall time")
}
