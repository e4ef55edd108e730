package probe

import (
	"math/rand/v2"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestStampCommonIsStamp: Packet stamps a packet with stampCommon and
// falls back to stamp only when it declines; over random capture times
// (ordered, equal, reordered, stepped back beyond a second, jumping
// forward beyond clock_jump_s, impossible, with idle ticks between) that
// gives each packet the timer clock, and leaves the clock in the state,
// that stamp alone does.
func TestStampCommonIsStamp(t *testing.T) {
	cfg := config.Default()
	a, b := newTestProbe(t, cfg), newTestProbe(t, cfg)
	rng := rand.New(rand.NewPCG(3, 14))
	now := int64(1_700_000_000e9)
	common := 0
	for n := 0; n < 200_000; n++ {
		r := rng.IntN(1000)
		if n < 150_000 && r < 5 {
			r = 1000 // no step back nor jump yet: the timer clock is capture time
		}
		switch {
		case r < 5:
			now -= 2e9 + rng.Int64N(5e9) // a clock step back
		case r < 60:
			now -= rng.Int64N(1e9) // reordering
		case r < 63 && n >= 150_000:
			now += cfg.ClockJumpNs() + rng.Int64N(1e12) // a jump
		case r < 100:
			// the same time again
		default:
			now += rng.Int64N(50e6)
		}
		if rng.IntN(100) == 0 { // a live probe's idle tick
			tick := now + rng.Int64N(2e9)
			a.tickClock(tick)
			b.tickClock(tick)
		}
		m := pkt.Meta{TimeNs: now, Frame: uint64(n + 1)}
		if rng.IntN(5000) == 0 {
			m.TimeNs = -1 // before 1970
		}
		ma, mb := m, m
		okA := true
		if a.clk.stampCommon(&ma) {
			common++
		} else {
			okA = a.stamp(&ma)
		}
		okB := b.stamp(&mb)
		if okA != okB || ma != mb || a.clk != b.clk {
			t.Fatalf("packet %d at %d: stampCommon then stamp gave %v %+v, clock %+v; stamp gave %v %+v, clock %+v", n, m.TimeNs, okA, ma, a.clk, okB, mb, b.clk)
		}
		a.clk.due, b.clk.due = false, false
	}
	if common < 100_000 || a.clk.off == 0 {
		t.Fatalf("%d packets stamped by stampCommon, clock offset %d: not exercised", common, a.clk.off)
	}
}

// TestTimerScansOnTime: the timer scans run when their period passed on
// the timer clock, as timers' own conditions say (unanswered requests
// every 100 ms, TCP connections, FTP sessions and fragments every
// second), though runTimers calls timers only once the earliest of them
// is due (clockState.nextTimer).
func TestTimerScansOnTime(t *testing.T) {
	p := newTestProbe(t, config.Default())
	rng := rand.New(rand.NewPCG(5, 14))
	now := int64(1_700_000_000e9)
	m := pkt.Meta{TimeNs: now}
	p.stamp(&m) // the first packet starts the clock
	rtt, tcp, frag := now, now, now
	for n := 0; n < 100_000; n++ {
		now += rng.Int64N(40e6)
		p.Tick(now)
		if now-rtt >= 1e8 {
			rtt = now
		}
		if now-tcp >= 1e9 {
			tcp = now
		}
		if now-frag >= 1e9 {
			frag = now
		}
		if c := &p.clk; c.lastRTT != rtt || c.lastTCP != tcp || c.lastFrag != frag {
			t.Fatalf("tick %d at %d: scans at %d, %d, %d; want %d, %d, %d", n, now, c.lastRTT, c.lastTCP, c.lastFrag, rtt, tcp, frag)
		}
	}
}

// dropLink drops every frame.
type dropLink struct{}

func (dropLink) Send([]byte) {}

// newTestProbe returns a probe of cfg sending to a dropLink.
func newTestProbe(t *testing.T, cfg *config.Config) *Probe {
	t.Helper()
	p, err := New(Identity{Name: "t"}, cfg, []Channel{{Link: dropLink{}, Config: pdu.DefaultSenderConfig()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
