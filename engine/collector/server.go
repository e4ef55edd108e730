package collector

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// Transport carries the probes' frames to a collector and its
// acknowledgements back: pdu.UDPListener.
type Transport interface {
	// Serve reads frames until ctx ends, calling handle for each (from one
	// goroutine) and sending the acknowledgement it returns, if any, back
	// to the frame's source.
	Serve(ctx context.Context, handle func(frame []byte, from netip.AddrPort) (ack []byte)) error
	// SendAck sends an acknowledgement held back by an AckGate.
	SendAck(ack []byte, to netip.AddrPort) error
}

// AckGate decides when acknowledgements go out. The default sends each at
// once, when its PDU is decoded. A durable collector (an ack means the
// rows are on disk, issue 13) holds them back until the Commit of the
// sink that covers their rows.
type AckGate interface {
	// Hold receives every acknowledgement (valid during the call) for a
	// frame from from, and returns what to send now: ack, or nil when the
	// gate keeps a copy for later.
	Hold(ack []byte, from netip.AddrPort) []byte
	// Committed is called after each successful Commit of the sink, with
	// the function that sends an acknowledgement.
	Committed(send func(ack []byte, to netip.AddrPort) error)
}

// ServerOptions tune a Server. Zero fields take the defaults.
type ServerOptions struct {
	// WriteEvery is the flush period: rows received so far are handed to
	// the sink and committed this often (default 5 s), and at once when a
	// probe run finishes.
	WriteEvery time.Duration
	// Silence: a probe silent this long (no PDU, no heartbeat) becomes a
	// probe_silent event (default 30 s).
	Silence time.Duration
	// IdleExit stops Serve after this long without any frame, once one
	// came (0: run until ctx ends); while a probe's run has not sent its
	// final report, after Silence and two Heartbeats at least (a probe
	// quiet between PDUs is not gone: a trial's --idle-exit 2s stopped
	// during a realtime replay and left the probe retrying).
	IdleExit time.Duration
	// Heartbeat is the probes' heartbeat period, the largest heartbeat_s
	// of the config's collectors (default: config.DefaultCollector's, 10
	// s): a quiet probe sends one this often (design 1.5).
	Heartbeat time.Duration
	// Now is the wall clock (default time.Now): the collector's own time
	// for liveness and flushing; rows keep the probes' capture times.
	Now func() time.Time
	// Acks holds acknowledgements back (default: none held). Unused with
	// a Journal, which holds them until their frames are on disk.
	Acks AckGate
	// Log receives lifecycle messages (start, stop, write errors).
	Log *slog.Logger
	// Name names the collector in snapshots (default "collector").
	Name string
	// Journal, when set, makes the server durable (issue 13, see
	// doc.go): every call that changes the rows is journalled, a PDU is
	// acknowledged only once its record is on disk (group commit every
	// GroupCommit), every drain's parts are planned in the journal before
	// they are written, and Recover replays the journal after a crash.
	// The sink must be a PlannedSink. Stopping (ctx) then keeps the state
	// for the next run instead of finishing it; IdleExit still finishes.
	Journal *journal.Log
	// GroupCommit is the journal's sync period (default 2 ms): the most an
	// acknowledgement waits, plus the fsync.
	GroupCommit time.Duration
	// OnFail, if set, is called once at the first write failure of a
	// durable server, before its collector_write_failed event is written:
	// the collector process frees the disk space it reserved for that
	// event (a full disk would refuse it otherwise).
	OnFail func()
	// CheckpointBytes: once the journal holds this many bytes since its
	// last checkpoint, the next drain checkpoints the state and the
	// journal's older segments are removed (default 64 MiB).
	CheckpointBytes int64
}

// Server runs a Collector behind a Transport: frames in, acknowledgements
// out, rows handed to a Sink every WriteEvery (design 4). It is the
// collector process's serve loop; Serve runs it. Stats and Snapshot may
// be called from any goroutine.
type Server struct {
	opt  ServerOptions
	tr   Transport
	sink observe.Sink
	log  *slog.Logger

	mu      sync.Mutex // guards coll and the fields below: the engine is single-threaded
	coll    *Collector
	last    time.Time // wall time of the latest frame
	frames  uint64
	resumed bool   // state recovered from before a restart: frames came already
	written uint64 // rows handed to the sink
	werr    error  // first sink error
	// refusedLogAt is when sayRefused last logged, refusedLogged the
	// receiver's counters then.
	refusedLogAt  time.Time
	refusedLogged pdu.ReceiverStats
	refusedSaid   uint64 // frames the lines said so far
	// refusedFrom is the sender of the last refused frame, refusedClaim
	// the frame's header if it parsed (ProbeID 0: not), for the log line.
	refusedFrom  netip.AddrPort
	refusedClaim pdu.Header
	// refusedNames: the names refused Hello frames gave their wire ids
	// (at most maxRefusedNames), for the log line: an unlisted probe is
	// named as it names itself, not only probe-<id>.
	refusedNames map[uint16]string
	// keyMisSaid counts the receiver's key mismatches reported (events),
	// noKeySaid the probes of its KeyMissing.
	keyMisSaid int
	noKeySaid  int
	// prevKeySaid is the receiver's PrevKey at the last
	// probe_key_previous events, prevSaid its PrevKeyFrames then.
	prevKeySaid uint64
	prevSaid    []pdu.ProbeCount
	// reported holds the receiver counters at the last pdu_refused event;
	// refusedPending is set once a tick saw refusals not reported yet, in
	// the collector interval numbered refusedIdx (wall time / interval).
	reported       pdu.ReceiverStats
	refusedPending bool
	refusedIdx     int64
	dur            *durable      // nil: acks as soon as decoded
	acks           ackLimiter    // acknowledgements to unknown addresses
	limited        uint64        // acks.limited at the last acks_limited event
	failed         chan struct{} // closed at the first write or journal failure
	failOnce       sync.Once
	stopped        bool // Serve returned (Snapshot's Done)
	// finals are the acknowledgements of the frames that finished a
	// probe run, held until the drain after them is written: a probe
	// process ends once acknowledged, and its rows are then in the
	// output (a query right after sees them). flushNow asks Serve for
	// that drain at once.
	finals   []heldAck
	flushNow chan struct{}
}

// rxDelta returns the refusal counters of a minus those of b.
func rxDelta(a, b pdu.ReceiverStats) pdu.ReceiverStats {
	return pdu.ReceiverStats{Bad: a.Bad - b.Bad, BadCRC: a.BadCRC - b.BadCRC, OldVersion: a.OldVersion - b.OldVersion, Garbage: a.Garbage - b.Garbage,
		Unknown: a.Unknown - b.Unknown, BadAuth: a.BadAuth - b.BadAuth, ClosedEpoch: a.ClosedEpoch - b.ClosedEpoch, ProbesFull: a.ProbesFull - b.ProbesFull,
		TooOld: a.TooOld - b.TooOld}
}

// SetTransport sets the transport (NewServer's t) when it is opened after
// Recover, before Serve.
func (s *Server) SetTransport(t Transport) { s.tr = t }

// NewServer returns a server of c over t writing to sink.
func NewServer(c *Collector, t Transport, sink observe.Sink, opt ServerOptions) *Server {
	if opt.WriteEvery <= 0 {
		opt.WriteEvery = 5 * time.Second
	}
	if opt.Silence <= 0 {
		opt.Silence = 30 * time.Second
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = time.Duration(config.DefaultCollector().HeartbeatS * float64(time.Second))
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Acks == nil {
		opt.Acks = immediate{}
	}
	if opt.Name == "" {
		opt.Name = "collector"
	}
	if opt.GroupCommit <= 0 {
		opt.GroupCommit = 2 * time.Millisecond
	}
	if opt.CheckpointBytes <= 0 {
		opt.CheckpointBytes = 64 << 20
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opt: opt, tr: t, sink: sink, log: log, coll: c, failed: make(chan struct{}), flushNow: make(chan struct{}, 1)}
	c.SetPeriodicReports(true)
	if opt.Journal != nil {
		s.dur = &durable{log: opt.Journal}
		s.dur.sink, _ = sink.(PlannedSink)
	}
	return s
}

type immediate struct{}

func (immediate) Hold(ack []byte, _ netip.AddrPort) []byte            { return ack }
func (immediate) Committed(func(ack []byte, to netip.AddrPort) error) {}

// handle is the Transport's frame handler. With a journal the frame's
// record is appended before the collector applies it, and its
// acknowledgement waits until the record is on disk.
func (s *Server) handle(frame []byte, from netip.AddrPort) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = s.opt.Now()
	s.frames++
	refused := s.coll.rx.Stats().Refused()
	defer s.noteRefused(refused, frame, from)
	now := s.last.UnixNano()
	h, payload, err := s.coll.CheckAt(now, frame)
	if err != nil {
		return nil
	}
	finished := s.coll.FinishedRuns()
	if s.dur == nil {
		ack := s.coll.Apply(now, h, payload, len(frame))
		if ack == nil || !s.acks.allow(from, now) {
			return nil
		}
		if s.finishing(finished, ack, from) {
			return nil
		}
		return s.opt.Acks.Hold(ack, from)
	}
	if s.isFailed() || s.coll.Refuses(h) {
		s.coll.Apply(now, h, payload, len(frame)) // counted only: no state changes, nothing to journal
		return nil
	}
	seq, err := s.dur.appendFrame(now, h, payload, len(frame), s.coll.Seen(h))
	if err != nil {
		s.fail(err)
		return nil
	}
	if ack := s.coll.Apply(now, h, payload, len(frame)); ack != nil && s.acks.allow(from, now) && !s.finishing(finished, ack, from) {
		s.dur.hold(seq, ack, from)
	}
	return nil
}

// finishing holds ack (to from) until the next drain is written when the
// frame just applied finished a probe run (the collector's FinishedRuns
// was finished before it), and asks Serve for that drain now. The server
// lock is held. A durable server's drain syncs the journal first: the
// frame is durable when its acknowledgement goes.
func (s *Server) finishing(finished uint64, ack []byte, from netip.AddrPort) bool {
	if s.coll.FinishedRuns() == finished {
		return false
	}
	s.finals = append(s.finals, heldAck{to: from, ack: slices.Clone(ack)})
	select {
	case s.flushNow <- struct{}{}:
	default:
	}
	return true
}

// sayKeyMismatches turns the key mismatches found since the last call
// into probe_key_mismatch events and log lines at wall time nowNs, the
// probes named by the list in effect. The server lock is held.
func (s *Server) sayKeyMismatches(nowNs int64) {
	for ms := s.coll.rx.KeyMismatches(); s.keyMisSaid < len(ms); s.keyMisSaid++ {
		msg := s.coll.keyMismatch(ms[s.keyMisSaid])
		s.coll.EventCount(nowNs, observe.SevError, "probe_key_mismatch", msg, 0)
		s.recordEvent(nowNs, observe.SevError, "probe_key_mismatch", msg, 0)
		s.log.Error("probe key mismatch: " + msg)
	}
}

// sayKeyMissing turns the probes found tagging their frames while the
// collector has no key for them (pdu.Receiver.KeyMissing) into one
// probe_key_missing event and one log line each, at wall time nowNs. The
// server lock is held.
func (s *Server) sayKeyMissing(nowNs int64) {
	for ids := s.coll.rx.KeyMissing(); s.noKeySaid < len(ids); s.noKeySaid++ {
		id := ids[s.noKeySaid]
		msg := fmt.Sprintf("probe %s (wire id %d) tags its PDUs with an HMAC key and this collector has no key for it: its PDUs are refused, never acknowledged (an untagged acknowledgement would be refused by the probe, which would count written data as lost); give the collector's config the probe's key, or remove the key from the probe's", s.coll.probeName(id), id)
		s.coll.EventCount(nowNs, observe.SevError, "probe_key_missing", msg, 0)
		s.recordEvent(nowNs, observe.SevError, "probe_key_missing", msg, 0)
		s.log.Error("probe key missing: " + msg)
	}
}

// sayPrevKey turns the frames accepted under their probe's previous key
// since the last call (pdu.Receiver.SetKeysAt: the last PDUs of runs
// begun before a key change) into one probe_key_previous event per probe,
// at wall time nowNs: the message names the probe, the count is its
// frames. The server lock is held.
func (s *Server) sayPrevKey(nowNs int64) {
	if s.coll.rx.Stats().PrevKey == s.prevKeySaid {
		return
	}
	said := s.prevSaid
	for _, c := range s.coll.rx.PrevKeyFrames() {
		for len(said) > 0 && said[0].ID < c.ID {
			said = said[1:]
		}
		n := c.N
		if len(said) > 0 && said[0].ID == c.ID {
			n -= min(said[0].N, n)
		}
		if n == 0 {
			continue
		}
		msg := fmt.Sprintf(pkt.Nouns(n, "probe %s (wire id %d): %d frame[s] accepted under its previous HMAC key: frame[s] of its runs begun before the key change, within %s of it (its later runs must use the new key)"),
			s.coll.probeName(c.ID), c.ID, n, time.Duration(pdu.KeyGraceNs)) // markers resolved before the name goes in
		s.coll.EventCount(nowNs, observe.SevInfo, "probe_key_previous", msg, n)
		s.recordEvent(nowNs, observe.SevInfo, "probe_key_previous", msg, n)
	}
	s.prevKeySaid = s.coll.rx.Stats().PrevKey
	s.prevSaid = append(s.prevSaid[:0], s.coll.rx.PrevKeyFrames()...)
}

// Serve receives frames until ctx ends, the transport fails or IdleExit
// passes without a frame; then it hands every remaining row (Finish) to
// the sink and commits (the sink has every table from the start:
// store.OpenAppend). It returns the transport's error (not ctx's) or the sink's
// first error.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.dur != nil {
		if !s.dur.recovered {
			if _, err := s.Recover(); err != nil {
				return err
			}
		}
		go s.syncLoop(ctx)
	}
	served := make(chan error, 1)
	go func() { served <- s.tr.Serve(ctx, s.handle) }()
	s.log.Info("collector started", "write_every", s.opt.WriteEvery)
	tick := time.NewTicker(min(s.opt.WriteEvery, time.Second))
	defer tick.Stop()
	lastWrite := s.opt.Now()
	var serveErr error
	serveDone, idle := false, false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-s.failed:
			break loop
		case err := <-served:
			serveDone = true
			if err != nil && ctx.Err() == nil {
				serveErr = fmt.Errorf("collector: %w", err)
			}
			break loop
		case <-tick.C:
			now := s.opt.Now()
			flush := now.Sub(lastWrite) >= s.opt.WriteEvery
			if flush {
				lastWrite = now
			}
			if s.tick(now, flush) {
				s.log.Info("collector idle: stopping", "idle_exit", s.opt.IdleExit)
				idle = true
				break loop
			}
		case <-s.flushNow: // a probe run finished: its rows now, then its acknowledgement
			now := s.opt.Now()
			lastWrite = now
			if s.tick(now, true) {
				s.log.Info("collector idle: stopping", "idle_exit", s.opt.IdleExit)
				idle = true
				break loop
			}
		}
	}
	cancel()
	if !serveDone {
		<-served
	}
	s.mu.Lock()
	s.reportRefused(s.opt.Now().UnixNano(), true) // the last interval's
	s.sayPrevKey(s.opt.Now().UnixNano())
	if rx := s.coll.Stats().Receiver; rx.Refused() > s.refusedLogged.Refused() {
		s.sayRefused(s.opt.Now(), rx, true) // those after the last line, however recent
	}
	s.mu.Unlock()
	if s.dur != nil {
		s.stopDurable(idle)
	} else {
		s.mu.Lock()
		b := s.coll.Finish()
		s.mu.Unlock()
		s.write(b, 0)
	}
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	st := s.Stats()
	s.log.Info("collector stopped", "frames", st.Receiver.Frames, "pdus", st.Receiver.Accepted, "rows", s.Written())
	if serveErr != nil {
		return serveErr
	}
	return s.err()
}

// refusedLogEvery is the least time between two log lines on refused
// frames: a misconfigured probe (a wrong key, a probe not in the config)
// keeps sending, and its frames are said once a minute, not every tick.
const refusedLogEvery = time.Minute

// noteRefused remembers from, and the header of frame, when the frame
// just handled was refused (the receiver's refusals passed before): the
// log line on refused frames says who sends them. The server lock is
// held.
func (s *Server) noteRefused(before uint64, frame []byte, from netip.AddrPort) {
	if s.coll.rx.Stats().Refused() == before {
		return
	}
	s.refusedFrom = from
	h, payload, err := pdu.ParseFrame(frame)
	s.refusedClaim = h
	if err != nil || h.Type != pdu.TypeHello || h.ProbeID == 0 || (len(s.refusedNames) >= maxRefusedNames && s.refusedNames[h.ProbeID] == "") {
		return
	}
	d := pdu.Dec{B: payload, Version: h.Version}
	var r pdu.Hello
	if r.Decode(&d); d.Err() == nil && r.Probe != "" {
		if s.refusedNames == nil {
			s.refusedNames = map[uint16]string{}
		}
		s.refusedNames[h.ProbeID] = r.Probe
	}
}

// maxRefusedNames bounds the names of refused Hellos kept for the log
// (forged Hellos cannot grow it).
const maxRefusedNames = 64

// sayRefused logs the frames refused since the last line (rx: the
// receiver's counters now), at most once per refusedLogEvery, and when
// final (the server stops) whatever the time, with the run's total: the
// refusals after a line are never left unsaid. The pdu_refused events
// keep every count.
func (s *Server) sayRefused(now time.Time, rx pdu.ReceiverStats, final bool) {
	if !final && !s.refusedLogAt.IsZero() && now.Sub(s.refusedLogAt) < refusedLogEvery {
		return
	}
	d := rxDelta(rx, s.refusedLogged)
	who := ""
	if s.refusedFrom.IsValid() {
		who = " (the last from " + s.refusedFrom.String()
		if id := s.refusedClaim.ProbeID; id != 0 {
			name := s.coll.probeName(id)
			if n := s.refusedNames[id]; n != "" && n != name {
				name += fmt.Sprintf("; its hello names it %q", n)
			}
			who += fmt.Sprintf(", claiming wire id %d (%s)", id, name)
		}
		who += ")"
	}
	more, total := "", ""
	if s.refusedSaid > 0 {
		more = "more "
	}
	s.refusedSaid += d.Refused()
	if final && more != "" {
		total = fmt.Sprintf("; %d refused in all", s.refusedSaid)
	}
	s.log.Warn(fmt.Sprintf(pkt.Nouns(d.Refused(), "collector: %d %sframe[s] refused: %s%s (the pdu_refused events count every one)%s"), d.Refused(), more, refusedReasons(d), who, total)) // markers resolved before the address ([v6]:port) goes in
	s.refusedLogAt, s.refusedLogged = now, rx
}

// reportRefused turns the frames refused since the last pdu_refused
// event into one more, at wall time nowNs, once per collector interval
// (README: "one pdu_refused event per interval"): at the first tick of an
// interval after the one in which a tick first saw them, or at once when
// final (the server stops). The server lock is held.
func (s *Server) reportRefused(nowNs int64, final bool) {
	rx := s.coll.Stats().Receiver
	if rx.Refused() == s.reported.Refused() {
		return
	}
	idx := nowNs / max(s.coll.intervalNs, 1)
	if !s.refusedPending {
		s.refusedPending, s.refusedIdx = true, idx
	}
	if !final && idx == s.refusedIdx {
		return
	}
	d := rxDelta(rx, s.reported)
	s.record(recRefused, u64s(append([]uint64{uint64(nowNs)}, refusedCounts(d)...)...))
	s.coll.ReportRefused(nowNs, d)
	s.reported, s.refusedPending = rx, false
}

// tick runs the collector's periodic work at wall time now: liveness
// events and, when flush is set, a drain to the sink. It reports whether
// IdleExit has passed.
func (s *Server) tick(now time.Time, flush bool) (idle bool) {
	s.mu.Lock()
	nowNs, silence := now.UnixNano(), s.opt.Silence.Nanoseconds()
	s.record(recLiveness, u64s(uint64(nowNs), uint64(silence)))
	s.coll.Liveness(nowNs, silence)
	s.reportRefused(nowNs, false)
	if rx := s.coll.Stats().Receiver; rx.Refused() > s.refusedLogged.Refused() {
		s.sayRefused(now, rx, false)
	}
	s.sayKeyMismatches(nowNs)
	s.sayKeyMissing(nowNs)
	s.sayPrevKey(nowNs)
	if n := s.acks.limited - s.limited; n > 0 {
		s.coll.EventCount(nowNs, observe.SevWarning, "acks_limited", acksLimited(n), n)
		s.recordEvent(nowNs, observe.SevWarning, "acks_limited", acksLimited(n), n)
		s.limited = s.acks.limited
	}
	wait := s.opt.IdleExit
	if s.coll.runOpen() { // a probe mid-run sends a heartbeat every heartbeat_s when quiet: silent for two of them and Silence, it is gone
		wait = max(wait, s.opt.Silence, 2*s.opt.Heartbeat)
	}
	idle = s.opt.IdleExit > 0 && (s.frames > 0 || s.resumed) && now.Sub(s.last) >= wait
	var b *observe.Batch
	var n uint64
	var finals []heldAck
	if flush {
		n = s.recordDrain(recDrain)
		b = s.coll.Drain()
		finals, s.finals = s.finals, nil
	}
	s.mu.Unlock()
	if b != nil {
		s.write(b, n)
	}
	if s.err() == nil && !s.isFailed() { // else not sent: the probes send the frames again
		for _, f := range finals {
			s.tr.SendAck(f.ack, f.to)
		}
	}
	return idle
}

// write hands b, the rows of drain n, to the sink and commits (with a
// journal: writeDurable); the first error is kept (and logged), later
// batches are still tried.
func (s *Server) write(b *observe.Batch, n uint64) {
	if s.dur != nil {
		s.writeDurable(b, n)
		return
	}
	err := s.sink.Write(b)
	if err == nil {
		err = s.sink.Commit()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.werr == nil {
			s.werr = err
			s.log.Error("collector: writing rows failed", "err", err)
		}
		return
	}
	s.written += uint64(b.Rows())
	s.opt.Acks.Committed(s.tr.SendAck)
}

func (s *Server) err() error {
	return syncio.Locked(&s.mu, func() error { return s.werr })
}

// Stats returns the collector's counters.
func (s *Server) Stats() Stats {
	return syncio.Locked(&s.mu, func() Stats { return s.coll.Stats() })
}

// Snapshot implements observe.Snapshotter: the collector's counters now
// (frames, PDUs, one-way records pending, rows written), copied under the
// server's mutex once per call. Safe from any goroutine.
func (s *Server) Snapshot() *observe.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.coll.Counters(s.opt.Name)
	c.RowsWritten = s.written
	return &observe.Snapshot{WallNs: s.opt.Now().UnixNano(), CaptureNs: s.coll.ClockNs(), State: "serving", Done: s.stopped, Collectors: []observe.CollectorCounters{c}}
}

// Written returns the rows handed to the sink so far.
func (s *Server) Written() uint64 {
	return syncio.Locked(&s.mu, func() uint64 { return s.written })
}

// acksLimited is the acks_limited event's message for n acknowledgements
// not sent.
func acksLimited(n uint64) string {
	return fmt.Sprintf(pkt.Nouns(n, "%d acknowledgement[s] not sent: more than %d a second to addresses not acknowledged before (forged sources?); [its probe retries|their probes retry]"), n, AckNewRate)
}
