package collector

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// PlannedSink is a Sink whose part files can be chosen before they are
// written (store.Appender): a durable server journals the plan before the
// write, so that a write a crash interrupted is redone into the same files
// and never adds the rows twice.
type PlannedSink interface {
	observe.Sink
	// Plan reserves the part of every table Write would write for b.
	Plan(b *observe.Batch) map[string]int
	// WritePlan writes b into the parts of plan, replacing any already
	// there.
	WritePlan(b *observe.Batch, plan map[string]int) error
}

// ErrNotPlanned: a journal was given with a sink that cannot plan its
// writes.
var ErrNotPlanned = errors.New("collector: a journal needs a sink that plans its parts (store.Appender)")

// Journal record kinds: every call that changes the collector's rows,
// with its arguments (the engine is deterministic for the same calls),
// and the drains' writes.
const (
	recEpoch    byte = 'M' // collector state epoch (first record of a new journal)
	recFrame    byte = 'F' // Apply: time, header, payload (empty for a duplicate)
	recFrameOld byte = 'O' // Apply of a frame of an older wire version: the version byte, then recFrame's body
	recLiveness byte = 'L' // Liveness: time, silence
	recRefused  byte = 'R' // ReportRefused: time, counts
	recEvent    byte = 'E' // Event: time, severity, kind, message
	recDrain    byte = 'D' // Drain number n
	recFinish   byte = 'X' // Finish, drain number n
	recBegin    byte = 'B' // write of drain n begins: its plan
	recCommit   byte = 'C' // drain n's parts are committed
	recSwitch   byte = 'S' // Switch: the new version's effective YAML
)

// heldAck is an acknowledgement waiting for its frame's record to be on
// disk.
type heldAck struct {
	seq uint64
	to  netip.AddrPort
	ack []byte
}

// durable is the journal side of a Server (ServerOptions.Journal).
type durable struct {
	log       *journal.Log
	sink      PlannedSink
	epoch     int64
	drains    uint64 // drains and finishes journalled so far
	recovered bool

	mu   sync.Mutex // guards held
	held []heldAck
	buf  []byte
}

// appendFrame journals an Apply call (the caller holds the server lock).
// The payload of a duplicate is left out: Apply does not read it. A frame
// of an older wire version (h.Version) is a recFrameOld: its records are
// decoded as that version wrote them.
func (d *durable) appendFrame(nowNs int64, h pdu.Header, payload []byte, frameLen int, dup bool) (uint64, error) {
	b, kind := d.buf[:0], recFrame
	if h.Version != 0 {
		b, kind = append(b, h.Version), recFrameOld
	}
	b = binary.BigEndian.AppendUint64(b, uint64(nowNs))
	b = append(b, byte(h.Type), h.Flags)
	b = binary.BigEndian.AppendUint16(b, h.ProbeID)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Epoch))
	b = binary.BigEndian.AppendUint32(b, h.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(h.BuildTimeNs))
	b = binary.BigEndian.AppendUint32(b, uint32(frameLen))
	d.buf = b
	if dup {
		payload = nil
	}
	return d.log.Append(kind, b, payload)
}

// frameHeaderLen is the fixed part of a recFrame body.
const frameHeaderLen = 8 + 2 + 2 + 8 + 4 + 8 + 4

func parseFrameRec(b []byte) (nowNs int64, h pdu.Header, payload []byte, frameLen int, err error) {
	if len(b) < frameHeaderLen {
		return 0, h, nil, 0, fmt.Errorf("%w: frame record of %d bytes", journal.ErrCorrupt, len(b))
	}
	nowNs = int64(binary.BigEndian.Uint64(b))
	h.Type, h.Flags = pdu.Type(b[8]), b[9]
	h.ProbeID = binary.BigEndian.Uint16(b[10:])
	h.Epoch = int64(binary.BigEndian.Uint64(b[12:]))
	h.ID = binary.BigEndian.Uint32(b[20:])
	h.BuildTimeNs = int64(binary.BigEndian.Uint64(b[24:]))
	frameLen = int(binary.BigEndian.Uint32(b[32:]))
	return nowNs, h, b[frameHeaderLen:], frameLen, nil
}

func u64s(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func getU64(b []byte, i int) uint64 {
	if len(b) < 8*(i+1) {
		return 0
	}
	return binary.BigEndian.Uint64(b[8*i:])
}

// refusedCounts lists the refusal counters a recRefused record carries.
func refusedCounts(d pdu.ReceiverStats) []uint64 {
	return []uint64{d.Bad, d.BadCRC, d.OldVersion, d.Garbage, d.Unknown, d.BadAuth, d.ClosedEpoch, d.ProbesFull, d.TooOld}
}

func refusedOf(b []byte) pdu.ReceiverStats {
	return pdu.ReceiverStats{Bad: getU64(b, 1), BadCRC: getU64(b, 2), OldVersion: getU64(b, 3), Garbage: getU64(b, 4),
		Unknown: getU64(b, 5), BadAuth: getU64(b, 6), ClosedEpoch: getU64(b, 7), ProbesFull: getU64(b, 8), TooOld: getU64(b, 9)}
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func getStr(b []byte) (string, []byte, bool) {
	if len(b) < 4 || uint64(len(b)-4) < uint64(binary.BigEndian.Uint32(b)) {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	return string(b[4 : 4+n]), b[4+n:], true
}

func encodePlan(n uint64, plan map[string]int) []byte {
	b := binary.BigEndian.AppendUint64(nil, n)
	for _, t := range slices.Sorted(maps.Keys(plan)) {
		b = appendStr(b, t)
		b = binary.BigEndian.AppendUint32(b, uint32(plan[t]))
	}
	return b
}

func decodePlan(b []byte) (uint64, map[string]int, error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("%w: plan record", journal.ErrCorrupt)
	}
	n := binary.BigEndian.Uint64(b)
	plan := map[string]int{}
	for b = b[8:]; len(b) > 0; {
		t, rest, ok := getStr(b)
		if !ok || len(rest) < 4 {
			return 0, nil, fmt.Errorf("%w: plan record", journal.ErrCorrupt)
		}
		plan[t] = int(binary.BigEndian.Uint32(rest))
		b = rest[4:]
	}
	return n, plan, nil
}

// hold keeps ack until the record seq is durable.
func (d *durable) hold(seq uint64, ack []byte, to netip.AddrPort) {
	d.mu.Lock()
	d.held = append(d.held, heldAck{seq: seq, to: to, ack: slices.Clone(ack)})
	d.mu.Unlock()
}

// release sends the acknowledgements whose records are below durable.
func (d *durable) release(durable uint64, send func([]byte, netip.AddrPort) error) {
	d.mu.Lock()
	i := 0
	for i < len(d.held) && d.held[i].seq < durable {
		i++
	}
	out := slices.Clone(d.held[:i])
	d.held = d.held[:copy(d.held, d.held[i:])]
	d.mu.Unlock()
	for _, h := range out {
		send(h.ack, h.to)
	}
}

// drop forgets every held acknowledgement (the journal failed: their
// PDUs are not durable, the probes will send them again).
func (d *durable) drop() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.held)
	d.held = nil
	return n
}

// Recovery tells what Server.Recover found in the journal.
type Recovery struct {
	Checkpoint bool   // the state came from a checkpoint
	Records    uint64 // journal records replayed after it
	Frames     uint64 // of which PDU frames
	Redone     int    // drains whose parts were (re)written: interrupted by the crash
	Epoch      int64  // the collector's state epoch (kept across restarts)
}

// checkpointHeader is the fixed part of a checkpoint: epoch, drains.
const checkpointHeader = 16

// Recover replays the journal into the collector (fresh from New, with
// its configuration, probes and keys set): the latest checkpoint's state,
// then every record after it, calling Drain and Finish exactly where the
// previous run did; the rows of a drain whose parts were committed are
// dropped, those of a drain the crash interrupted are written (into the
// parts it had planned, if any). The collector then holds exactly the
// state it had when the last record was written, and acknowledges under
// the same epoch, so probes see no restart. Serve calls it if not done.
// Errors: ErrNotPlanned, journal.ErrCorrupt, a state or plan that does not
// fit, write errors.
func (s *Server) Recover() (Recovery, error) {
	d := s.dur
	var rec Recovery
	if d == nil || d.recovered {
		return rec, nil
	}
	if d.sink == nil {
		return rec, ErrNotPlanned
	}
	type pend struct {
		n    uint64
		b    *observe.Batch
		plan map[string]int
	}
	var pending []*pend
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.restoring = true
	defer func() { s.coll.restoring = false }()
	err := d.log.Replay(func(state []byte, at uint64) error {
		if len(state) < checkpointHeader {
			return fmt.Errorf("%w: checkpoint of %d bytes", journal.ErrCorrupt, len(state))
		}
		d.epoch, d.drains = int64(getU64(state, 0)), getU64(state, 1)
		rec.Checkpoint = true
		return s.coll.RestoreState(state[checkpointHeader:])
	}, func(seq uint64, kind byte, body []byte) error {
		rec.Records++
		switch kind {
		case recEpoch:
			d.epoch = int64(getU64(body, 0))
		case recFrame, recFrameOld:
			var version byte
			if kind == recFrameOld && len(body) > 0 {
				version, body = body[0], body[1:]
			}
			now, h, payload, n, err := parseFrameRec(body)
			if err != nil {
				return err
			}
			h.Version = version
			rec.Frames++
			s.coll.rx.CountReplayed() // Check counted it before the crash
			s.coll.Apply(now, h, payload, n)
		case recLiveness:
			s.coll.Liveness(int64(getU64(body, 0)), int64(getU64(body, 1)))
		case recRefused:
			s.coll.ReportRefused(int64(getU64(body, 0)), refusedOf(body))
		case recEvent:
			t, n, sev := int64(getU64(body, 0)), getU64(body, 1), ""
			kind, msg := "", ""
			var ok bool
			if sev, body, ok = getStr(body[min(16, len(body)):]); ok {
				if kind, body, ok = getStr(body); ok {
					msg, _, ok = getStr(body)
				}
			}
			if !ok {
				return fmt.Errorf("%w: event record", journal.ErrCorrupt)
			}
			s.coll.EventCount(t, sev, kind, msg, n)
		case recDrain, recFinish:
			n := getU64(body, 0)
			if n != d.drains {
				return fmt.Errorf("%w: drain %d where %d was due", journal.ErrCorrupt, n, d.drains)
			}
			d.drains++
			b := s.coll.Drain()
			if kind == recFinish {
				b = s.coll.Finish()
			}
			pending = append(pending, &pend{n: n, b: b})
		case recBegin:
			n, plan, err := decodePlan(body)
			if err != nil {
				return err
			}
			for _, p := range pending {
				if p.n == n {
					p.plan = plan
				}
			}
		case recSwitch:
			if err := s.coll.replaySwitch(body); err != nil {
				return err
			}
		case recCommit:
			n := getU64(body, 0)
			pending = slices.DeleteFunc(pending, func(p *pend) bool { return p.n == n })
		default:
			return fmt.Errorf("%w: record kind %q at %d", journal.ErrCorrupt, kind, seq)
		}
		return nil
	})
	if err != nil {
		return rec, fmt.Errorf("collector: recover %s: %w", d.log.Dir(), err)
	}
	for _, p := range pending {
		if p.plan == nil {
			p.plan = d.sink.Plan(p.b)
			if _, err := d.log.Append(recBegin, encodePlan(p.n, p.plan)); err != nil {
				return rec, err
			}
			if _, err := d.log.Sync(); err != nil {
				return rec, err
			}
		}
		if err := d.sink.WritePlan(p.b, p.plan); err != nil {
			return rec, fmt.Errorf("collector: recover: write rows: %w", err)
		}
		if _, err := d.log.Append(recCommit, u64s(p.n)); err != nil {
			return rec, err
		}
		s.written += uint64(p.b.Rows())
		rec.Redone++
	}
	if rec.Frames > 0 || rec.Checkpoint {
		// It received frames before the restart: IdleExit counts from now
		// even if no probe speaks again (they may all have finished).
		s.resumed, s.last = true, s.opt.Now()
	}
	if rec.Records > 0 {
		// A clean stop ends the journal with a checkpoint: records after
		// it mean the previous run was killed, crashed or failed to write.
		now := s.opt.Now().UnixNano()
		msg := fmt.Sprintf("collector state recovered from its journal after an unclean stop (killed, crashed or a write failed): "+pkt.Nouns(rec.Records, "%d record[s] (")+pkt.Nouns(rec.Frames, "%d PDU[s]) replayed, ")+pkt.Nouns(rec.Redone, "%d interrupted write[s] redone"),
			rec.Records, rec.Frames, rec.Redone)
		s.recordEvent(now, observe.SevWarning, "collector_recovered", msg, 0)
		s.coll.Event(now, observe.SevWarning, "collector_recovered", msg)
		s.log.Warn(msg)
	} else if rec.Checkpoint {
		s.log.Info("collector state restored from its checkpoint (a clean stop)")
	}
	if d.epoch == 0 {
		d.epoch = s.opt.Now().UnixNano()
		if _, err := d.log.Append(recEpoch, u64s(uint64(d.epoch))); err != nil {
			return rec, err
		}
	}
	if _, err := d.log.Sync(); err != nil {
		return rec, err
	}
	s.coll.SetEpoch(d.epoch)
	s.reported = s.coll.Stats().Receiver
	s.refusedLogged = s.reported // the lines say what this process refused
	s.prevKeySaid, s.prevSaid = s.reported.PrevKey, append(s.prevSaid[:0], s.coll.rx.PrevKeyFrames()...)
	rec.Epoch = d.epoch
	d.recovered = true
	return rec, nil
}

// record journals one call (the server lock held); a failure stops the
// acknowledgements.
func (s *Server) record(kind byte, body []byte) {
	if s.dur == nil {
		return
	}
	if _, err := s.dur.log.Append(kind, body); err != nil {
		s.fail(err)
	}
}

// recordDrain journals a drain (or finish) and returns its number.
func (s *Server) recordDrain(kind byte) uint64 {
	if s.dur == nil {
		return 0
	}
	n := s.dur.drains
	s.dur.drains++
	s.record(kind, u64s(n))
	return n
}

// Event records a collector-side event through the journal (a durable
// server) and the collector.
func (s *Server) Event(t int64, sev, kind, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordEvent(t, sev, kind, msg, 0)
	s.coll.Event(t, sev, kind, msg)
}

// recordEvent journals an EventCount call.
func (s *Server) recordEvent(t int64, sev, kind, msg string, n uint64) {
	b := u64s(uint64(t), n)
	b = appendStr(appendStr(appendStr(b, sev), kind), msg)
	s.record(recEvent, b)
}

func (s *Server) isFailed() bool {
	select {
	case <-s.failed:
		return true
	default:
		return false
	}
}

// fail stops a durable server at its first write error (the server lock
// held): no more acknowledgements (those held are dropped: their PDUs are
// not durable and the probes send them again, in long retry mode if it
// lasts), a collector_write_failed event (failedEvent), and Serve returns
// the error.
func (s *Server) fail(err error) {
	s.failOnce.Do(func() {
		if s.werr == nil {
			s.werr = err
		}
		n := 0
		if s.dur != nil {
			n = s.dur.drop()
		}
		s.log.Error("collector: writing failed: acknowledgements stopped, stopping", "err", err, "acks_dropped", n)
		close(s.failed)
		if s.opt.OnFail != nil {
			s.opt.OnFail()
		}
		s.failedEvent(err)
	})
}

// failedEvent records a collector_write_failed event where it can still
// go (the server lock held). A journal that still works takes it, synced:
// the restart that must follow (the probes' unacknowledged PDUs wait for
// it) replays it into the events table. Otherwise, the journal being what
// failed, it is written straight to the sink as a part of its own, once
// (not journalled, so never replayed); a full disk refuses that too, and
// only the log (stderr) and the exit status tell.
func (s *Server) failedEvent(err error) {
	ev := observe.Event{Time: s.opt.Now().UnixNano(), Source: "collector", Severity: observe.SevError, Kind: "collector_write_failed",
		Message: fmt.Sprintf("writing failed, acknowledgements stopped until a restart: %v", err)}
	if s.dur != nil && s.dur.log.Err() == nil {
		b := appendStr(appendStr(appendStr(u64s(uint64(ev.Time), 0), ev.Severity), ev.Kind), ev.Message)
		if _, jerr := s.dur.log.Append(recEvent, b); jerr == nil {
			if _, jerr = s.dur.log.Sync(); jerr == nil {
				return
			}
		}
	}
	werr := s.sink.Write(&observe.Batch{Events: []observe.Event{ev}})
	if werr == nil {
		werr = s.sink.Commit()
	}
	if werr != nil {
		s.log.Error("collector: the collector_write_failed event could not be written either", "err", werr)
	}
}

// syncLoop is the group commit: every GroupCommit it makes the journal
// durable and sends the acknowledgements it covers.
func (s *Server) syncLoop(ctx context.Context) {
	t := time.NewTicker(s.opt.GroupCommit)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.failed:
			return
		case <-t.C:
		}
		durable, err := s.dur.log.Sync()
		if err != nil {
			s.mu.Lock()
			s.fail(err)
			s.mu.Unlock()
			return
		}
		s.dur.release(durable, s.tr.SendAck)
	}
}

// writeDurable writes the rows of drain n: its plan journalled and synced
// (with every record before it), then the parts, then the commit record;
// then maybe a checkpoint.
func (s *Server) writeDurable(b *observe.Batch, n uint64) {
	d := s.dur
	if s.isFailed() {
		return
	}
	plan := d.sink.Plan(b)
	err := func() error {
		if _, err := d.log.Append(recBegin, encodePlan(n, plan)); err != nil {
			return err
		}
		if _, err := d.log.Sync(); err != nil {
			return err
		}
		if err := d.sink.WritePlan(b, plan); err != nil {
			return err
		}
		_, err := d.log.Append(recCommit, u64s(n))
		return err
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.fail(err)
		return
	}
	s.written += uint64(b.Rows())
	if d.log.Written() >= s.opt.CheckpointBytes {
		if err := s.checkpointLocked(); err != nil {
			s.fail(err)
		}
	}
}

// checkpointLocked saves the collector's state as the journal's
// checkpoint (the server lock held, so no record can slip in between).
func (s *Server) checkpointLocked() error {
	state, err := s.coll.SaveState()
	if err != nil {
		return err
	}
	blob := append(u64s(uint64(s.dur.epoch), s.dur.drains), state...)
	return s.dur.log.Checkpoint(s.dur.log.Next(), blob)
}

// stopDurable ends a durable Serve: at IdleExit (finish) every row is
// written, open flows and one-way records included; on a stop (ctx) the
// resolved rows are written and the rest stays in the checkpoint for the
// next run. The journal is checkpointed and closed either way.
func (s *Server) stopDurable(finish bool) {
	if s.isFailed() {
		return
	}
	s.mu.Lock()
	var b *observe.Batch
	var n uint64
	if finish {
		n = s.recordDrain(recFinish)
		b = s.coll.Finish()
	} else {
		n = s.recordDrain(recDrain)
		b = s.coll.Drain()
	}
	s.mu.Unlock()
	s.writeDurable(b, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isFailed() {
		return
	}
	if err := s.checkpointLocked(); err != nil {
		s.fail(err)
		return
	}
	if err := s.dur.log.Close(); err != nil {
		s.fail(err)
		return
	}
	s.dur.release(s.dur.log.Durable(), s.tr.SendAck)
}
