package pdu

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// The permanent bound (issue 13.5): permanent PDUs (definitions, FTP
// records, events, drop notices, the final report) are never destroyed by
// the regulation (design 1.5), so while the collector does not acknowledge
// them their volume is that of the traffic: a flow definition per new
// flow, ~40 MB a million flows. A channel keeps at most MaxPermanentBytes
// of them in memory (frames plus pendingCost each); past it, new ones go
// to a disk spool in SpoolDir, in order, without a PDU id, and come back,
// oldest first, as acknowledgements free memory: their id, header and tag
// are made then, so a spooled PDU never falls behind the collector's
// de-duplication window (2^16 ids) however long it waited, and its build
// time is the original one (permanent frames are exempt from the
// collector's age bound). The order of the permanent PDUs is kept (every
// spooled one is younger than every one in memory); an observation may
// reach the collector before the definition it refers to, which the
// collector holds until the definition comes (flows, counters, one-way
// records).
//
// The spool holds at most SpoolMaxBytes: past it the oldest spooled PDUs
// whose volume follows the traffic (flow definitions, FTP records, events,
// drop notices) are destroyed down to three quarters of it, counted per
// type in SenderStats.Destroyed (pdu_stats rows) and in
// PermanentDestroyed, and reported by a pdu_permanent_overflow event with
// the records destroyed as its count; hello, metric and histogram
// definitions and the final report (a few per run) are moved to the tail
// instead, and a late report (LateReport) never goes to the spool.
// Without a spool (no SpoolDir, or it cannot be created or written: a
// pdu_spool_failed warning, once) the oldest such PDUs in memory are
// destroyed past MaxPermanentBytes, down to three quarters of
// it, in the same way. So a channel's memory stays under MaxQueueBytes +
// MaxPermanentBytes whatever the input, and its disk under SpoolMaxBytes
// plus one segment.

// DefaultMaxPermanentBytes is the default bound of the permanent PDUs a
// channel keeps in memory.
const DefaultMaxPermanentBytes = 4 << 20

// DefaultSpoolMaxBytes is the default bound of a channel's spool.
const DefaultSpoolMaxBytes = 1 << 30

// pendingCost is the memory a pending PDU takes besides its frame: the
// pending struct, its map entry and queue slot.
const pendingCost = 200

// Event kinds of the permanent bound.
const (
	EventPermanentOverflow = "pdu_permanent_overflow" // SevError: oldest permanent PDUs destroyed past the spool (or memory) bound, records counted
	EventSpoolFailed       = "pdu_spool_failed"       // SevWarning: the spool cannot be used; permanent PDUs past the memory bound are destroyed
)

// permCost is what p counts against MaxPermanentBytes.
func permCost(frameLen int) int { return frameLen + pendingCost }

// trafficPermanent reports whether permanent PDUs of type t have a volume
// that follows the traffic, so the bounds may destroy them: the others
// (hello, metric and histogram definitions, the final report) are a few
// per run.
func trafficPermanent(t Type) bool {
	return t == TypeFlowDef || t == TypeFTPTransfer || t == TypeFTPSession || t == TypeEvents || t == TypeDropped
}

// spooling reports whether a new permanent PDU of payload n bytes goes to
// the spool: some are spooled already (the order is kept), or memory is
// at its bound. It opens the spool on first need; one that cannot be
// opened is reported once and never tried again.
func (s *Sender) spooling(n int) bool {
	if s.cfg.MaxPermanentBytes <= 0 || s.noSpool {
		return false
	}
	if s.sp != nil && s.sp.pdus > 0 {
		return true
	}
	if s.permCount == 0 || s.permBytes+permCost(n+s.frameOver()) <= s.cfg.MaxPermanentBytes {
		return false
	}
	if s.sp == nil {
		sp, err := newSpool(s.cfg.SpoolDir, min(max(s.spoolMax()/8, 1<<16), 64<<20))
		if err != nil {
			s.spoolFailed(err)
			return false
		}
		s.sp = sp
	}
	return true
}

// frameOver is the bytes a frame adds to its payload.
func (s *Sender) frameOver() int {
	if s.key != nil {
		return HeaderLen + TagLen + TrailerLen
	}
	return HeaderLen + TrailerLen
}

// spoolFailed gives the spool up for the rest of the run: the PDUs in it
// are destroyed and counted, and from now on the memory bound destroys.
func (s *Sender) spoolFailed(err error) {
	s.noSpool = true
	kept := s.keepFinal()
	msg := fmt.Sprintf("%spermanent PDUs past %d kB in memory cannot be spooled to disk (%v): the oldest flow definitions, FTP records and events are destroyed past that bound while the collector does not acknowledge",
		s.prefix(), s.cfg.MaxPermanentBytes>>10, err)
	if s.sp != nil {
		var pdus, records uint64
		for t := range s.sp.perType {
			n, r := s.sp.perType[t][0], s.sp.perType[t][1]
			if n > 0 {
				s.countDestroyed(Type(t), n, r)
				pdus += n
				records += r
			}
		}
		s.stats.PermanentDestroyed += pdus
		s.stats.PermanentDestroyedRecords += records
		s.sp.close()
		s.sp = nil
		if kept != nil {
			s.enqueue(TypeReport, kept.records, kept.buildNs, kept.payload)
			msg += "; the final report it held, kept in memory, is sent again"
		}
		if pdus > 0 && s.onEvent != nil {
			msg += fmt.Sprintf(pkt.Nouns(pdus, "; the %d PDU[s] (")+pkt.Nouns(records, "%d record[s]) in the spool")+pkt.Nouns(pdus, " [is|are] lost"), pdus, records)
			s.pushEvent(senderEvent{timeNs: s.clock, sev: SevError, kind: EventPermanentOverflow, count: records, msg: s.prefix() + fmt.Sprintf(pkt.Nouns(pdus, "%d permanent PDU[s] (")+pkt.Nouns(records, "%d record[s])")+" lost with the spool: %v", pdus, records, err)})
		}
	}
	s.event(SevWarning, EventSpoolFailed, msg)
}

// countDestroyed counts n PDUs of type t, with records, destroyed.
func (s *Sender) countDestroyed(t Type, n, records uint64) {
	s.stats.Destroyed[t] += n
	s.stats.DestroyedRecords[t] += records
	if s.reported {
		s.stats.DestroyedAfterReport += n
		s.stats.DestroyedRecordsAfterReport += records
		s.afterReport[t][0] += n
		s.afterReport[t][1] += records
	}
}

// toSpool writes the PDU under construction bd of type t to the spool and
// keeps the spool under SpoolMaxBytes; false if the spool failed (the PDU
// then stays in memory).
func (s *Sender) toSpool(t Type, bd *building, nowNs int64) bool {
	if err := s.sp.push(t, bd.records, nowNs, bd.enc.B); err != nil {
		s.spoolFailed(err)
		return false
	}
	s.copyFinal(t, bd.records, nowNs, bd.enc.B)
	s.stats.Spooled++
	s.stats.SpoolPeakBytes = max(s.stats.SpoolPeakBytes, s.sp.bytes)
	if s.sp.bytes > s.spoolMax() {
		s.trimSpool()
	}
	return true
}

func (s *Sender) spoolMax() int64 {
	if s.cfg.SpoolMaxBytes > 0 {
		return s.cfg.SpoolMaxBytes
	}
	return DefaultSpoolMaxBytes
}

// trimSpool destroys the oldest traffic-volume PDUs of the spool down to
// three quarters of SpoolMaxBytes, moving the others to the tail.
func (s *Sender) trimSpool() {
	target := s.spoolMax() / 4 * 3
	var pdus, records uint64
	moved := 0
	for s.sp.pdus > 0 && s.sp.bytes > target && moved <= s.sp.pdus {
		r, err := s.sp.peek()
		if err != nil {
			s.spoolFailed(err)
			return
		}
		if !trafficPermanent(r.typ) {
			r, payload, err := s.sp.pop()
			if err == nil { // payload is in the spool's buffer, which push reuses
				err = s.sp.push(r.typ, r.records, r.buildNs, append([]byte(nil), payload...))
			}
			if err != nil {
				s.spoolFailed(err)
				return
			}
			moved++
			continue
		}
		s.sp.advance(r)
		s.countDestroyed(r.typ, 1, r.records)
		pdus++
		records += r.records
	}
	s.permanentOverflow(pdus, records, fmt.Sprintf("the disk spool held more than %d kB", s.spoolMax()>>10))
}

// permanentOverflow counts and reports pdus permanent PDUs, with records,
// destroyed by a bound.
func (s *Sender) permanentOverflow(pdus, records uint64, why string) {
	if pdus == 0 {
		return
	}
	s.stats.PermanentDestroyed += pdus
	s.stats.PermanentDestroyedRecords += records
	if s.onEvent != nil {
		s.pushEvent(senderEvent{timeNs: s.clock, sev: SevError, kind: EventPermanentOverflow, count: records, msg: fmt.Sprintf(
			"%s"+pkt.Nouns(pdus, "%d permanent PDU[s] (")+pkt.Nouns(records, "%d record[s]")+": flow definitions, FTP records, events) destroyed, oldest first: %s while the collector did not acknowledge",
			s.prefix(), pdus, records, why)})
	}
}

// boundPermanent is the memory bound without a spool: the oldest
// traffic-volume permanent PDUs in memory are destroyed down to three
// quarters of MaxPermanentBytes.
func (s *Sender) boundPermanent() {
	if s.cfg.MaxPermanentBytes <= 0 || s.permBytes <= s.cfg.MaxPermanentBytes {
		return
	}
	var old []*pending
	for _, p := range s.unacked {
		if trafficPermanent(p.typ) && !p.probe {
			old = append(old, p)
		}
	}
	slices.SortFunc(old, func(a, b *pending) int { return cmp.Compare(a.id, b.id) })
	target := s.cfg.MaxPermanentBytes / 4 * 3
	var pdus, records uint64
	for _, p := range old {
		if s.permBytes <= target {
			break
		}
		pdus++
		records += p.records
		s.unqueue(p)
		delete(s.unacked, p.id)
		s.destroyed(p)
		s.release(p)
	}
	s.permanentOverflow(pdus, records, fmt.Sprintf("more than %d kB of them waited in memory and no disk spool could take them", s.cfg.MaxPermanentBytes>>10))
}

// refill loads spooled PDUs, oldest first, while memory has room for them
// (always one when none is in memory), as PDUs built now: the next ids,
// queued for their first sending slot.
func (s *Sender) refill() {
	for s.sp != nil && s.sp.pdus > 0 {
		r, err := s.sp.peek()
		if err != nil {
			s.spoolFailed(err)
			return
		}
		if s.permCount > 0 && s.permBytes+permCost(r.n+s.frameOver()) > s.cfg.MaxPermanentBytes {
			return
		}
		r, payload, err := s.sp.pop()
		if err != nil {
			s.spoolFailed(err)
			return
		}
		if r.typ == TypeReport {
			s.finalCopy = nil // in memory now
		}
		s.enqueue(r.typ, r.records, r.buildNs, payload)
	}
}
