package main

import (
	"errors"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
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
