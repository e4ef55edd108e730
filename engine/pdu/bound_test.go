package pdu

import (
	"testing"
)

// TestBacklogBound: with the collector out of reach and observations
// produced faster than the regulation sends them, the destroyable PDUs a
// channel holds never exceed MaxQueueBytes: the oldest are destroyed,
// counted per type and by the bound, reported with their records as the
// event's count; definitions and events (Permanent) are all kept (issue
// 13.5, design 1.5).
func TestBacklogBound(t *testing.T) {
	type ev struct {
		kind string
		n    uint64
	}
	var events []ev
	cfg := DefaultSenderConfig()
	cfg.MaxQueueBytes = 256 << 10
	lb := &Loopback{Deliver: func([]byte) []byte { return nil }} // the collector never answers
	s := NewSender(cfg, 1, lb)
	s.SetOnEventCount(func(_ int64, _ uint8, kind, _ string, n uint64) { events = append(events, ev{kind, n}) })
	g := newGen(s)
	now := t0
	var peak int
	for i := range 200_000 {
		now += 1e5 // 10,000 records a second: far more than the link takes
		g.rec(TypeCounters, now)
		if i%100 == 0 {
			g.rec(TypeFlowDef, now)
		}
		s.Tick(now)
		peak = max(peak, s.queuedBytes)
	}
	st := s.Stats()
	var overflowRecs uint64
	for _, e := range events {
		if e.kind == EventOverflow {
			overflowRecs += e.n
		}
	}
	if peak > cfg.MaxQueueBytes+cfg.MaxPDUBytes || st.Overflowed == 0 || st.Destroyed[TypeCounters] < st.Overflowed {
		t.Fatalf("peak %d bytes held (bound %d); stats %+v", peak, cfg.MaxQueueBytes, st)
	}
	if st.Destroyed[TypeFlowDef] != 0 || uint64(s.Pending()) < st.PDUs[TypeFlowDef]-st.Acked {
		t.Fatalf("definitions destroyed: %+v", st)
	}
	if overflowRecs != st.OverflowedRecords || overflowRecs == 0 {
		t.Fatalf("pdu_overflow events count %d records, stats %d", overflowRecs, st.OverflowedRecords)
	}
}
