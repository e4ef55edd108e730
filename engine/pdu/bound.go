package pdu

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// The backlog bound (issue 13.5): a probe must not hold more observations
// than its memory budget allows, whatever the traffic and however long
// the collector is out of reach. When the PDUs waiting to be sent or
// acknowledged that may be destroyed (not Permanent, not break-border, not
// the exhausted PDU of long retry mode) hold more than MaxQueueBytes, the
// oldest of them are destroyed, as design 1.5's final timeout destroys
// them in long retry mode, until they hold three quarters of it: counted
// per type in SenderStats.Destroyed and DestroyedRecords, in Overflowed
// and OverflowedRecords, handed to the destroy hook (one-way observations
// become "dropped" notices), and reported by a pdu_overflow event with
// the records destroyed as its count. Permanent PDUs (definitions, FTP
// records, events, drop notices) are kept until delivered, as the design
// wants: their volume is that of the flows and events themselves.

// DefaultMaxQueueBytes is the default bound of the destroyable PDUs a
// channel holds.
const DefaultMaxQueueBytes = 16 << 20

// EventOverflow is the event kind of PDUs destroyed by the backlog bound.
const EventOverflow = "pdu_overflow" // SevError: oldest destroyable PDUs destroyed past MaxQueueBytes, records counted

// held accounts for p entering (+1) or leaving (-1) the pending PDUs.
func (s *Sender) held(p *pending, sign int) {
	if !Permanent(p.typ) {
		s.queuedBytes += sign * len(p.frame)
	} else {
		s.permBytes += sign * permCost(len(p.frame))
		s.permCount += sign
	}
}

// bound destroys the oldest destroyable PDUs while they hold more than
// MaxQueueBytes.
func (s *Sender) bound() {
	if s.cfg.MaxQueueBytes <= 0 || s.queuedBytes <= s.cfg.MaxQueueBytes {
		return
	}
	var old []*pending
	for _, p := range s.unacked {
		if !Permanent(p.typ) && !p.border && !p.probe {
			old = append(old, p)
		}
	}
	slices.SortFunc(old, func(a, b *pending) int { return cmp.Compare(a.id, b.id) })
	target := s.cfg.MaxQueueBytes / 4 * 3
	var pdus, records uint64
	first := uint32(0)
	for _, p := range old {
		if s.queuedBytes <= target {
			break
		}
		if first == 0 {
			first = p.id
		}
		pdus++
		records += p.records
		s.unqueue(p)
		s.overflow(p)
	}
	if pdus > 0 && s.onEvent != nil {
		s.pushEvent(senderEvent{timeNs: s.clock, sev: SevError, kind: EventOverflow, count: records, msg: fmt.Sprintf(
			"%s"+pkt.Nouns(pdus, "%d PDU[s] (")+pkt.Nouns(records, "%d record[s], oldest PDU %d) destroyed")+": more than %d kB of observations waited to be sent or acknowledged (the link is slower than the observations, or down)",
			s.prefix(), pdus, records, first, s.cfg.MaxQueueBytes>>10)})
	}
}

// overflow destroys p for the backlog bound.
func (s *Sender) overflow(p *pending) {
	delete(s.unacked, p.id)
	s.destroyed(p)
	s.stats.Overflowed++
	s.stats.OverflowedRecords += p.records
	if s.onDestroy != nil {
		if _, payload, err := ParseFrame(p.frame); err == nil {
			s.onDestroy(p.typ, payload)
		}
	}
	s.release(p)
}

// EventRecordTooLarge is the event of a record refused for its length.
const EventRecordTooLarge = "pdu_record_too_large" // SevError: a record longer than MaxRecordBytes refused (counted in DestroyedRecords)

// tooLarge refuses the record just appended to bd when it is longer than
// MaxRecordBytes: no frame can carry it (16-bit length, one UDP
// datagram), and sent it would be refused as corrupt and, permanent,
// retried for ever. It is dropped, counted in DestroyedRecords and said
// (EventRecordTooLarge).
func (s *Sender) tooLarge(t Type, bd *building) bool {
	n := len(bd.enc.B) - bd.mark
	if n <= MaxRecordBytes {
		return false
	}
	bd.enc.B = bd.enc.B[:bd.mark]
	s.stats.DestroyedRecords[t]++
	s.event(SevError, EventRecordTooLarge, fmt.Sprintf("%sa %s record of %d bytes refused: a record holds at most %d bytes (one frame, one UDP datagram)", s.prefix(), t, n, MaxRecordBytes))
	return true
}
