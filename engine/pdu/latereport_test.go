package pdu

import "testing"

// TestLateReportSurvivesSpool: a channel whose final report was
// acknowledged loses its collector; the flow definitions built meanwhile
// spill to the spool, whose bound (SpoolMaxBytes) destroys the oldest of
// them after the final report, so a late report (LateReport) carries
// them. The spool then fails (its files unusable, as on a full disk), and
// what it held is destroyed (spoolFailed). Every PDU destroyed after the
// final report must reach the collector in the late reports: their
// destroyed_pdus and destroyed_records summed equal the sender's
// DestroyedAfterReport and DestroyedRecordsAfterReport (design 1.5, "an
// acknowledgement means the data is safe"; architecture.md, "every counter
// reaches the output"). Before, the late report went to the spool behind
// the definitions and was destroyed with them: the next late report
// carried only what was destroyed after it (the report itself among
// them), and the flow definitions the first one counted were in no row.
func TestLateReportSurvivesSpool(t *testing.T) {
	cfg := DefaultSenderConfig()
	cfg.SpoolDir = t.TempDir()
	cfg.MaxPermanentBytes = 64 << 10
	cfg.SpoolMaxBytes = 256 << 10
	rx := NewReceiver()
	up := true
	var late, lateRecs uint64 // destroyed counts of the late reports received
	var lates int
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
				if !r.Final {
					lates++
					for _, tc := range r.Types {
						late += tc.Destroyed
						lateRecs += tc.DestroyedRecords
					}
				}
			}
		}
		return ack
	}}
	s := NewSender(cfg, 1, lb)
	lb.Ack = func(a []byte) { s.HandleAck(a) }
	gen := newGen(s)
	now := t0
	gen.rec(TypeHello, now)
	// the final report, acknowledged
	st := s.Stats()
	r := Report{Final: true, Collector: "c"}
	ReportOf(&r, &st)
	s.ReportTaken()
	r.Append(s.Begin(TypeReport, now))
	s.End(TypeReport, now)
	s.Flush(now)
	if !s.Stats().ReportAcked {
		t.Fatalf("final report not acknowledged: %+v", s.Stats())
	}
	// the collector away: definitions spill to the spool, its bound
	// destroys the oldest
	up = false
	for range 20_000 {
		now += 1e4
		gen.rec(TypeFlowDef, now)
	}
	s.Flush(now)
	if st := s.Stats(); st.DestroyedAfterReport == 0 || s.sp == nil || s.sp.pdus == 0 {
		t.Fatalf("scenario too weak: %d PDUs destroyed after the report, spool %v", st.DestroyedAfterReport, s.sp != nil)
	}
	if !s.LateReport(now) {
		t.Fatal("no late report built")
	}
	// the spool fails: what it holds is destroyed
	for _, sg := range s.sp.segs {
		sg.f.Close()
	}
	for range 2_000 {
		now += 1e4
		gen.rec(TypeFlowDef, now)
	}
	s.Flush(now)
	if s.Stats().PermanentDestroyed == 0 || !s.noSpool {
		t.Fatalf("scenario too weak: the spool did not fail: %+v", s.Stats())
	}
	// the collector back; the probe lingers, sending late reports
	up = true
	for i := 0; i < 100 && (s.Pending() > 0 || i == 0); i++ {
		s.LateReport(now)
		s.Tick(now)
		now = s.Settle(now + 24*3600e9)
	}
	st = s.Stats()
	if s.Pending() > 0 {
		t.Fatalf("%d PDUs pending; %+v", s.Pending(), st)
	}
	t.Logf("%d late reports: %d PDUs (%d records) destroyed after the final report, the sender counted %d (%d)", lates, late, lateRecs, st.DestroyedAfterReport, st.DestroyedRecordsAfterReport)
	if late != st.DestroyedAfterReport || lateRecs != st.DestroyedRecordsAfterReport {
		t.Errorf("late reports count %d PDUs (%d records) destroyed after the final report; the sender destroyed %d (%d)",
			late, lateRecs, st.DestroyedAfterReport, st.DestroyedRecordsAfterReport)
	}
}
