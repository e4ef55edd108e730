package pdu

import "testing"

// TestFinalReportSurvivesSpoolFailure: a channel's collector is away
// while 20,000 flow definitions are built, so that past MaxPermanentBytes
// they wait in the disk spool; the probe ends, its final report goes to
// the spool behind them (the run's last PDU); then the spool's files fail
// (closed: every read fails, as on a full or lost disk) and the collector
// comes back. The spool is given up (spoolFailed) and what it held is
// destroyed, but the final report must still reach the collector, once,
// final, with the counts it took (ReportOf at ReportTaken): the
// collector's pdu_stats rows and its knowledge that the run finished
// (design 1.5: the final report is permanent, never destroyed by the
// regulation). Then the late reports carry every PDU destroyed after it
// (the definitions the spool took with it): their destroyed counts summed
// equal the sender's DestroyedAfterReport, and the
// pdu_permanent_overflow event counts exactly the records lost (the
// report not among them). Before, the final report was destroyed with the
// spool: no final report, ReportAcked never set, so no late report either
// (the collector's pdu_unreported).
func TestFinalReportSurvivesSpoolFailure(t *testing.T) {
	cfg := DefaultSenderConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.MaxPermanentBytes = 64 << 10
	rx := NewReceiver()
	up := true
	var finals, lates int
	var finalDefs, late, lateRecs uint64
	lb := &Loopback{Deliver: func(f []byte) []byte {
		if !up {
			return nil
		}
		ack, h, payload, fresh, err := rx.Handle(f)
		if err != nil {
			t.Fatalf("frame refused: %v", err)
		}
		if fresh && h.Type == TypeReport {
			d := Dec{B: payload}
			for !d.Done() {
				var r Report
				r.Decode(&d)
				if d.Err() != nil {
					t.Fatalf("report: %v", d.Err())
				}
				if r.Final {
					finals++
					for _, tc := range r.Types {
						if tc.Type == TypeFlowDef {
							finalDefs = tc.Records
						}
					}
					continue
				}
				lates++
				for _, tc := range r.Types {
					late += tc.Destroyed
					lateRecs += tc.DestroyedRecords
				}
			}
		}
		return ack
	}}
	s := NewSender(cfg, 1, lb)
	lb.Ack = func(a []byte) { s.HandleAck(a) }
	events := map[string]uint64{}
	s.SetOnEventCount(func(_ int64, _ uint8, kind, _ string, n uint64) { events[kind] += n })
	gen := newGen(s)
	now := t0
	gen.rec(TypeHello, now)
	s.Flush(now)
	up = false
	const defs = 20_000
	for range defs {
		now += 1e4
		gen.rec(TypeFlowDef, now)
	}
	// the probe ends: its final report
	st := s.Stats()
	r := Report{Final: true, Collector: "c"}
	ReportOf(&r, &st)
	s.ReportTaken()
	r.Append(s.Begin(TypeReport, now))
	s.End(TypeReport, now)
	s.Flush(now)
	if s.sp == nil || s.sp.perType[TypeReport][0] != 1 {
		t.Fatalf("scenario too weak: the final report is not in the spool")
	}
	for _, sg := range s.sp.segs {
		sg.f.Close() // every later read fails
	}
	up = true
	for i := 0; i < 100; i++ { // the probe lingers, sending late reports
		if !s.LateReport(now) && s.Pending() == 0 && i > 0 {
			break
		}
		s.Tick(now)
		now = s.Settle(now + 24*3600e9)
	}
	st = s.Stats()
	t.Logf("final reports %d (flow definitions %d), late reports %d: %d PDUs (%d records) destroyed after the final report, the sender counted %d (%d); events %v",
		finals, finalDefs, lates, late, lateRecs, st.DestroyedAfterReport, st.DestroyedRecordsAfterReport, events)
	if !s.noSpool || st.PermanentDestroyed == 0 {
		t.Fatalf("scenario too weak: the spool did not fail: %+v", st)
	}
	if finals != 1 || !st.ReportAcked || finalDefs != defs {
		t.Errorf("%d final reports received (acknowledged %v), counting %d flow definitions built: want 1, acknowledged, %d", finals, st.ReportAcked, finalDefs, defs)
	}
	if s.Pending() > 0 || late != st.DestroyedAfterReport || lateRecs != st.DestroyedRecordsAfterReport || st.Destroyed[TypeReport] != 0 {
		t.Errorf("%d pending; late reports count %d PDUs (%d records); the sender destroyed %d (%d) after the report, %d reports",
			s.Pending(), late, lateRecs, st.DestroyedAfterReport, st.DestroyedRecordsAfterReport, st.Destroyed[TypeReport])
	}
	if events[EventPermanentOverflow] != st.PermanentDestroyedRecords || st.PermanentDestroyedRecords != st.DestroyedRecords[TypeFlowDef] {
		t.Errorf("pdu_permanent_overflow counts %d records; %d permanent records destroyed, %d of them flow definitions",
			events[EventPermanentOverflow], st.PermanentDestroyedRecords, st.DestroyedRecords[TypeFlowDef])
	}
}
