package pdu

import (
	"math"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// senderTime applies a fuzz time operation to now: ops 56..62 are the
// extreme ones (issue 15.7, issue 13.8: a pcapng stamped near 2^63 ns
// made the heartbeat arithmetic overflow and replay spin forever), the
// others plain steps of k x 37 ms.
func senderTime(now int64, k byte) int64 {
	switch k {
	case 56:
		return pkt.AddNs(now, 1000*3600e9) // 41 days of silence
	case 57:
		return pkt.AddNs(now, 1<<56) // 2.3 years
	case 58:
		return pkt.AddNs(now, 1<<61) // 73 years
	case 59:
		return math.MaxInt64 - 1 // the end of int64 nanoseconds (year 2262)
	case 60:
		return math.MaxInt64 - 3600e9 // an hour before it
	case 61:
		return pkt.SubNs(now, 1<<40) // 18 minutes back: taken as the latest time
	case 62:
		return pkt.MaxTimeNs // the latest capture time the probe accepts (2116)
	}
	return pkt.AddNs(now, int64(k)*37e6)
}

// FuzzSender drives a Sender with arbitrary records, time steps (huge ones
// and times near math.MaxInt64 included), link breaks and flushes. Every
// call does bounded work: its events (Sender.steps) stay within what its
// pending PDUs, the retry caps (maxRetryRun, maxRunRetries) and the
// heartbeat cap (maxHeartbeatRun) allow, so a jump of centuries is not
// stepped through timeout by timeout. Sends are one gap apart at least, in
// time order; first transmissions go out in id order; the collector never
// acknowledges a PDU that was not sent. While time stays within the capture
// times the probe accepts (pkt.MaxTimeNs, 2116), once the link is back
// every PDU is either received exactly once or destroyed and counted;
// permanent PDUs past MaxPermanentBytes go through the spool, never
// destroyed.
func FuzzSender(f *testing.F) {
	f.Add([]byte{0, 4, 8, 1, 200, 2, 13, 253, 253, 253, 253, 2, 3})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 253, 253, 253, 253, 253, 253, 253, 253, 0, 4, 8, 12, 16, 20, 24, 28})
	f.Add([]byte{0, 2, 4, 8, 237, 0, 1, 237, 3, 12, 237})          // records at the end of int64 time, link down
	f.Add([]byte{0, 4, 2, 5, 229, 0, 233, 2, 225, 0, 3, 241, 245}) // jumps of years with the link down
	types := []Type{TypeCounters, TypeFlowDef, TypeEvents, TypeFTPTransfer, TypeHello, TypeFlowUpdate, TypeHistograms, TypeHeartbeat}
	spoolDir := f.TempDir()
	f.Fuzz(func(t *testing.T, ops []byte) {
		var log []SendRecord
		sent := map[uint32]bool{}
		var lastFirst uint32
		callSends := 0 // sends in the current call: a runaway loop is stopped here
		cfg := SenderConfig{MaxPDUBytes: 120, MaxBuildNs: 300e6, MinGapNs: 10e6, InitialTimeoutNs: 100e6, TimeoutIncrementNs: 50e6,
			TimeoutMultiplier: 1.5, MaxRetries: 2, FinalTimeoutNs: 5e9, BreakBorderNs: 1e9, HeartbeatNs: 2e9,
			MaxPermanentBytes: 1024, SpoolDir: spoolDir, // past ~3 permanent PDUs in memory, the others wait in the spool
			OnSend: func(r SendRecord) {
				log = append(log, r)
				if callSends++; callSends > 4*maxRunRetries {
					t.Fatalf("%d sends in one call, the last %+v: the sender runs away", callSends, r)
				}
				if r.ID != 0 && r.Try == 1 {
					if r.ID <= lastFirst {
						t.Fatalf("PDU %d sent first after PDU %d", r.ID, lastFirst)
					}
					lastFirst = r.ID
					sent[r.ID] = true
				}
			}}
		coll := newColl(t)
		up := true
		lb := &Loopback{Deliver: func(b []byte) []byte {
			if !up {
				return nil
			}
			return coll.handle(b)
		}}
		s := NewSender(cfg, 1, lb)
		lb.Ack = func(ack []byte) {
			if _, _, id, err := ParseAck(ack); err == nil && !sent[id] {
				t.Fatalf("ack of PDU %d, never sent", id)
			}
			s.HandleAck(ack)
		}
		g := newGen(s)
		now, hi := t0, t0
		call := func(what string, fn func()) {
			p0, b0, st0 := uint64(s.Pending()), built(s.Stats()), s.steps
			callSends = 0
			fn()
			checkTickDue(t, s, what)
			p := p0 + built(s.Stats()) - b0 // PDUs the call could handle
			// Per PDU: at most maxRetryRun+2 transmissions (all PDUs:
			// maxRunRetries, then one more each), each a slot and a timer
			// event, one more timer event (destroyed, or long retry
			// entered); a build event per PDU built or type; heartbeats;
			// the drain of Flush sends each PDU once.
			tx := min(p*(maxRetryRun+2), maxRunRetries+p)
			if n, bound := s.steps-st0, 2*tx+3*p+uint64(typeLimit)+maxHeartbeatRun+4; n > bound {
				t.Fatalf("%s at %d: %d events for %d PDUs (bound %d)", what, now, n, p, bound)
			}
		}
		for _, b := range ops {
			switch b % 4 {
			case 0:
				call("record", func() { g.rec(types[(b>>2)%8], now) })
			case 1:
				now = senderTime(now, b>>2)
				hi = max(hi, now)
				call("tick", func() { s.Tick(now) })
			case 2:
				up = !up
			case 3:
				call("flush", func() { s.Flush(now) })
			}
		}
		up = true
		call("final flush", func() { s.Flush(now) })
		call("final tick", func() { s.Tick(pkt.AddNs(hi, 3600e9)) })
		checkGaps(t, log, cfg.MinGapNs)
		st := s.Stats()
		for id := range coll.ids {
			if !sent[id] {
				t.Fatalf("collector received PDU %d, never sent", id)
			}
		}
		if st.Acked > uint64(len(sent)) {
			t.Fatalf("%d acked, %d sent", st.Acked, len(sent))
		}
		var destroyed uint64
		for typ := range st.PDUs {
			destroyed += st.Destroyed[typ]
			if Permanent(Type(typ)) && st.Destroyed[typ] != 0 {
				t.Fatalf("%d %s PDUs destroyed", st.Destroyed[typ], Type(typ))
			}
		}
		if hi > pkt.MaxTimeNs {
			return // past the latest capture time the probe gives, timeouts may saturate: what is pending stays so
		}
		if s.Pending() != 0 || uint64(len(coll.ids))+destroyed != built(st) || st.LongRetry {
			t.Fatalf("%d pending, %d received + %d destroyed != %d built; %+v", s.Pending(), len(coll.ids), destroyed, built(st), st)
		}
	})
}

// checkTickDue fails unless Tick's inline path (before tickDue) is only
// taken where the full check would find nothing to do: tickDue at most
// wakeNs, and math.MinInt64 while PDUs wait on the wall clock, events
// wait for delivery or the loop runs.
func checkTickDue(t *testing.T, s *Sender, what string) {
	t.Helper()
	if s.tickDue == math.MinInt64 {
		return
	}
	if s.tickDue > s.wakeNs || len(s.wall.items) > 0 || len(s.events) > 0 || s.inLoop {
		t.Fatalf("after %s: tickDue %d, wakeNs %d, %d waiting on the wall clock, %d events, in loop %v: a Tick would skip due work",
			what, s.tickDue, s.wakeNs, len(s.wall.items), len(s.events), s.inLoop)
	}
}

// built counts the PDUs built, heartbeats aside.
func built(st SenderStats) uint64 {
	var n uint64
	for typ := range st.PDUs {
		if Type(typ) != TypeHeartbeat {
			n += st.PDUs[typ]
		}
	}
	return n
}
