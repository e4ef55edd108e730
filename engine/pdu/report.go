package pdu

// Report is a probe's account of one channel (TypeReport), sent as the last
// PDU of its run: what its PDUs cost, per type, against the traffic they
// describe (design 1.3). The collector writes it as pdu_stats rows and,
// once every PDU before it has arrived, knows the probe has finished.
type Report struct {
	// Final marks the report of a closing probe. A report that is not
	// final is a late one (Sender.LateReport): sent after the final
	// report, it carries only the PDUs destroyed since (Destroyed,
	// DestroyedRecords; the other counts 0).
	Final bool
	// Collector is the probe's name for the channel's collector
	// (collectors[].name).
	Collector string
	// ObservedBytes is the IP bytes of the packets the one-way
	// observations describe; IPBytes of every packet the probe decoded.
	ObservedBytes, IPBytes uint64
	// Retransmits counts every retransmission on the channel.
	Retransmits uint64
	// Types holds the counters of every PDU type used, in type order.
	Types []TypeCount
}

// TypeCount is one PDU type's traffic on a channel: PDUs built, records,
// frame bytes of first transmissions, retransmissions, and the PDUs (and
// their records) destroyed unacknowledged: by the final timeout of long
// retry mode or by the backlog bound (design 1.5, SenderStats.Destroyed).
type TypeCount struct {
	Type                                  Type
	PDUs, Records, Bytes, Retransmissions uint64
	Destroyed, DestroyedRecords           uint64
}

// Report flags.
const (
	reportFinal     byte = 1 // the report of a closing probe
	reportDestroyed byte = 2 // each type carries its destroyed PDUs and records
)

// ReportOf fills r with the counters of st (the types with PDUs).
func ReportOf(r *Report, st *SenderStats) {
	r.Retransmits = st.Retransmits
	r.Types = r.Types[:0]
	for t := range st.PDUs {
		if st.PDUs[t] > 0 {
			r.Types = append(r.Types, TypeCount{Type: Type(t), PDUs: st.PDUs[t], Records: st.Records[t], Bytes: st.Bytes[t], Retransmissions: st.RetransmitsByType[t],
				Destroyed: st.Destroyed[t], DestroyedRecords: st.DestroyedRecords[t]})
		}
	}
}

// Append encodes r.
func (r *Report) Append(e *Enc) {
	flags := reportDestroyed
	if r.Final {
		flags |= reportFinal
	}
	e.Byte(flags)
	e.String(r.Collector)
	e.Uvarints(r.ObservedBytes, r.IPBytes, r.Retransmits, uint64(len(r.Types)))
	for _, t := range r.Types {
		e.Byte(byte(t.Type))
		e.Uvarints(t.PDUs, t.Records, t.Bytes, t.Retransmissions, t.Destroyed, t.DestroyedRecords)
	}
}

// Decode reads a report written by Append, or by a probe that did not
// send destroyed counts yet (they read 0). ErrCorrupt on an unknown flag
// or a type count larger than the record.
func (r *Report) Decode(d *Dec) {
	flags := d.Byte()
	if flags&^(reportFinal|reportDestroyed) != 0 {
		d.fail(ErrCorrupt)
		return
	}
	r.Final = flags&reportFinal != 0
	r.Collector = d.String()
	d.Uvarints(&r.ObservedBytes, &r.IPBytes, &r.Retransmits)
	n := d.Uvarint()
	if n > uint64(len(d.B)) || n >= uint64(typeLimit) {
		d.fail(ErrCorrupt)
		return
	}
	r.Types = r.Types[:0]
	for range n {
		t := TypeCount{Type: Type(d.Byte()), PDUs: d.Uvarint(), Records: d.Uvarint(), Bytes: d.Uvarint(), Retransmissions: d.Uvarint()}
		if flags&reportDestroyed != 0 {
			t.Destroyed, t.DestroyedRecords = d.Uvarint(), d.Uvarint()
		}
		if d.Err() != nil {
			return
		}
		r.Types = append(r.Types, t)
	}
}

// LateReport sends, once the channel's final report was acknowledged
// (SenderStats.ReportAcked: the collector holds its pdu_stats rows), a
// report that is not final carrying per type the PDUs and records
// destroyed after the final report took its counts (ReportTaken) that no
// earlier late report carried: pdu_stats rows of destroyed counts only
// (pdus, records, bytes 0), so destroyed_pdus summed over a channel's
// rows is everything it destroyed. Reports are permanent PDUs, retried
// until acknowledged, and a late one is kept in memory, out of the spool
// and its bound (spoolable): the count reaches the tables as reliably as
// the final report did, not only through a pdu_destroyed_after_report event
// (which a lossy link may drop as it dropped the PDUs). Before the
// acknowledgement it sends nothing (the collector may lack the final
// report: the destroyed counts would then read as the run's only ones).
// It reports whether it built one; the caller flushes.
func (s *Sender) LateReport(nowNs int64) bool {
	if !s.stats.ReportAcked {
		return false
	}
	r := Report{Collector: s.cfg.Collector}
	for t := range s.afterReport {
		d := [2]uint64{s.afterReport[t][0] - s.lateSent[t][0], s.afterReport[t][1] - s.lateSent[t][1]}
		if d[0] > 0 {
			r.Types = append(r.Types, TypeCount{Type: Type(t), Destroyed: d[0], DestroyedRecords: d[1]})
			s.lateSent[t] = s.afterReport[t]
		}
	}
	if len(r.Types) == 0 {
		return false
	}
	r.Append(s.Begin(TypeReport, nowNs))
	s.End(TypeReport, nowNs)
	s.FlushType(TypeReport, nowNs)
	return true
}

// spoolable reports whether a PDU of type t may wait in the spool
// (permanent.go): the permanent types but a late report. A late report
// (built once the final report was acknowledged) stays in memory, outside
// every bound: it is small (two numbers per type) and carries the only
// count of what was destroyed after the final report, so a spool that
// failed (spoolFailed destroys what it held) must not take it with the
// PDUs it counts (TestLateReportSurvivesSpool). Its place in the order of
// the permanent PDUs does not matter: the collector adds its rows to the
// run's, and only the final report's id tells it the run is complete.
func (s *Sender) spoolable(t Type) bool {
	return Permanent(t) && !(t == TypeReport && s.stats.ReportAcked)
}
