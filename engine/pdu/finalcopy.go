package pdu

// The final report in the spool. A final report built while permanent
// PDUs wait in the spool goes there behind them (the order is kept: it is
// the run's last PDU). A spool that then fails (spoolFailed: its files
// unreadable or unwritable, as on a full disk) destroys what it holds:
// the final report with it, and no other would follow (a late report
// waits for the final one's acknowledgement, LateReport), so the
// collector never had the channel's pdu_stats rows nor knew the run
// finished (pdu_unreported). The final report is small (two numbers per
// type): a copy stays in memory while it is in the spool, and a failed
// spool gives it back to the queue, the run's last PDU still, not counted
// destroyed (TestFinalReportSurvivesSpoolFailure). What the spool took
// with it is counted after the report (afterReport), so the late reports
// carry it once the final report is acknowledged.

// spooledReport is the copy of a final report in the spool.
type spooledReport struct {
	payload []byte
	records uint64
	buildNs int64
}

// copyFinal keeps a copy of a PDU just spooled when it is the final
// report (ReportTaken, not yet acknowledged).
func (s *Sender) copyFinal(t Type, records uint64, buildNs int64, payload []byte) {
	if t == TypeReport && s.reported && !s.stats.ReportAcked {
		s.finalCopy = &spooledReport{payload: append([]byte(nil), payload...), records: records, buildNs: buildNs}
	}
}

// keepFinal returns the final report's copy when the spool still holds
// it, taking it out of the spool's counts (it is not destroyed), or nil.
func (s *Sender) keepFinal() *spooledReport {
	c := s.finalCopy
	s.finalCopy = nil
	if c == nil || s.sp == nil || s.sp.perType[TypeReport][0] == 0 {
		return nil
	}
	s.sp.perType[TypeReport][0]--
	s.sp.perType[TypeReport][1] -= min(c.records, s.sp.perType[TypeReport][1])
	return c
}
