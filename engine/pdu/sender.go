package pdu

import (
	"context"
	"errors"
	"math"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Link carries frames from a probe to one collector. Send must not keep
// frame after it returns (copy it). Acknowledgements come back through
// Sender.HandleAck or Sender.HandleAckAt.
type Link interface {
	Send(frame []byte)
}

// TimedLink is a Link that wants the probe time of every transmission
// (Loopback uses it to apply its outage windows and to be reproducible).
// Sender calls SendAt instead of Send when its link implements it.
type TimedLink interface {
	Link
	SendAt(nowNs int64, frame []byte)
}

// Severities of the events a Sender reports, as in Event.Severity.
const (
	SevInfo    uint8 = 0
	SevWarning uint8 = 1
	SevError   uint8 = 2
)

// Event kinds a Sender reports through SenderConfig.OnEvent.
const (
	EventLongRetryEnter = "pdu_long_retry_enter" // SevWarning: first PDU exhausted its retries
	EventLongRetryLeave = "pdu_long_retry_leave" // SevInfo: first ack after a break, with what was destroyed (SevWarning: the run ended in long retry mode)
	EventDestroyed      = "pdu_destroyed"        // SevError: first PDU of a break destroyed by the final timeout
	EventBacklog        = "pdu_backlog"          // SevWarning: more queued sends than BacklogNs
	EventBacklogCleared = "pdu_backlog_cleared"  // SevInfo: the queue is back under half of BacklogNs
	EventAckRefused     = "pdu_ack_refused"      // SevError: acknowledgements for this probe arrive, refused for their HMAC tag (keys differ)
)

// SendRecord is one line of the send log (SenderConfig.OnSend).
type SendRecord struct {
	TimeNs  int64  // probe time of the sending slot
	ID      uint32 // PDU id; 0 for heartbeats
	Type    Type
	BuildNs int64  // PDU build time
	Records uint64 // records in the PDU
	Try     int    // 1 for the first transmission
	Long    bool   // sent in long retry mode
	Bytes   int    // frame length
}

// SenderStats counts a channel's traffic, per PDU type where indexed by
// Type.
type SenderStats struct {
	PDUs          [typeLimit]uint64 // PDUs built (heartbeats: sent), per Type
	Bytes         [typeLimit]uint64 // frame bytes of first transmissions, per Type
	Records       [typeLimit]uint64 // records, per Type
	Retransmits   uint64
	RetransBytes  uint64
	Acked         uint64
	BadAcks       uint64 // acks failing CRC, sanity or tag checks, or for another probe or probe epoch
	LateAcks      uint64 // valid acks of PDUs no longer pending (duplicates, destroyed PDUs)
	Unacked       int    // PDUs waiting for an acknowledgement now (sent or queued)
	Queued        int    // PDUs waiting for a sending slot now
	TotalBytesOut uint64
	Heartbeats    uint64
	// Destroyed and DestroyedRecords count the PDUs, and their records,
	// given up by the final timeout in long retry mode, per Type: exactly
	// the observations design 1.5 lets go. (A destroyed PDU may still have
	// reached the collector if only its acknowledgements were lost.)
	Destroyed        [typeLimit]uint64
	DestroyedRecords [typeLimit]uint64
	BreakBorder      uint64 // PDUs kept until delivered by the break-border window
	LongRetryEntries uint64 // times the channel entered long retry mode
	LongRetry        bool   // in long retry mode now
	LongRetryNs      int64  // probe time spent in long retry mode
	// RetransmitsByType splits Retransmits per PDU type.
	RetransmitsByType [typeLimit]uint64
	// BadAckTags counts the acks of BadAcks for this probe run refused for
	// their HMAC tag only (missing or wrong): the collector has no key
	// for the probe, or another one (EventAckRefused, once).
	BadAckTags uint64
	// CollectorRestarts counts the epoch changes seen in acknowledgements.
	CollectorRestarts uint64
	// BacklogEntries counts the times the PDUs waiting for their first
	// slot exceeded BacklogNs of sending time; Backlog is set while they
	// do, BacklogTimeNs is the probe time spent so, and MaxQueued is the
	// most PDUs that ever waited for their first slot.
	BacklogEntries uint64
	Backlog        bool
	// Overflowed and OverflowedRecords count the PDUs, and their records,
	// destroyed by the backlog bound (MaxQueueBytes; also in Destroyed).
	Overflowed        uint64
	OverflowedRecords uint64
	BacklogTimeNs     int64
	MaxQueued         int
	// DestroyedAfterReport and DestroyedRecordsAfterReport count the PDUs,
	// and their records, destroyed (final timeout or backlog bound) after
	// the channel's final report took its counts (ReportTaken): also in
	// Destroyed, but missing from the collector's pdu_stats rows.
	DestroyedAfterReport        uint64
	DestroyedRecordsAfterReport uint64
	ReportAcked                 bool // the final report (built after ReportTaken) was acknowledged: its counts, Destroyed among them, are in pdu_stats
	// PermanentBytes is the memory the permanent PDUs held take now
	// (frames plus their bookkeeping), at most MaxPermanentBytes but for
	// one PDU (permanent.go).
	PermanentBytes int
	// Spooled counts the permanent PDUs written to the disk spool past
	// MaxPermanentBytes; SpoolPDUs and SpoolBytes are what it holds now,
	// SpoolPeakBytes the most it held.
	Spooled        uint64
	SpoolPDUs      int
	SpoolBytes     int64
	SpoolPeakBytes int64
	// PermanentDestroyed and PermanentDestroyedRecords count the permanent
	// PDUs, and their records, destroyed by the spool bound
	// (SpoolMaxBytes), with a spool that failed, or past
	// MaxPermanentBytes without a spool (also in Destroyed).
	PermanentDestroyed        uint64
	PermanentDestroyedRecords uint64
}

type building struct {
	enc     Enc
	records uint64
	mark    int
	startNs int64
}

// where a pending PDU is queued
const (
	inNone uint8 = iota
	inFresh
	inRetry
	inTimers
	inWall
)

type pending struct {
	id         uint32
	typ        Type
	frame      []byte
	records    uint64
	buildNs    int64
	lastSendNs int64
	firstNs    int64 // its first transmission
	deadline   int64
	waitNs     int64 // acknowledgement timeout after the last transmission
	wallDue    int64 // with SenderConfig.WallNs: the wall time the timeout also waits for
	sends      int   // transmissions so far
	round      int   // transmissions in the current nominal round
	border     bool  // kept by the break-border window
	final      bool  // a report PDU built after ReportTaken: the final report
	probe      bool  // the exhausted PDU retried at the initial timeout in long retry mode
	where      uint8
	idx        int
}

type senderEvent struct {
	timeNs    int64
	sev       uint8
	kind, msg string
	count     uint64 // what the event counts (records destroyed), 0 if nothing
}

// Sender builds PDUs of each type and sends them, regulated and reliably,
// to one collector over a Link (design 1.5, 3.14; the state machine is in
// the package documentation). Time only moves through the nowNs arguments:
// between two calls the Sender replays, in time order, everything that
// would have happened (build timeouts, acknowledgement timeouts, sending
// slots, heartbeats), so a replay gives the same send log whatever the
// spacing of the calls. A Sender is not safe for concurrent use.
type Sender struct {
	epoch       int64  // collector epoch of the latest ack
	onRestart   func() // called when the epoch changes
	onDestroy   func(t Type, payload []byte)
	onEventN    func(timeNs int64, severity uint8, kind, msg string, n uint64)
	queuedBytes int // bytes of the pending PDUs that may be destroyed (bound.go)
	permBytes   int // memory of the pending permanent PDUs (permanent.go)
	permCount   int // pending permanent PDUs in memory
	sp          *spool
	noSpool     bool           // the spool failed or cannot be made: the memory bound destroys
	finalCopy   *spooledReport // the final report while it waits in the spool (finalcopy.go)
	reported    bool           // the final report took the counters (ReportTaken)
	// afterReport counts the PDUs and records destroyed after ReportTaken
	// per type; lateSent those of them late reports carry (LateReport).
	afterReport [typeLimit][2]uint64
	lateSent    [typeLimit][2]uint64
	cfg         SenderConfig
	probeID     uint16
	link        Link
	tlink       TimedLink
	key         *Key
	nextID      uint32
	build       [typeLimit]building
	unacked     map[uint32]*pending
	fresh       queue // built, never sent
	retry       queue // due for retransmission
	wall        queue // timed out in probe time, waiting for wallDue (SenderConfig.WallNs)
	timers      queue // sent, waiting for ack or timeout
	maxBytes    int

	initialNs    int64
	maxTimeoutNs int64
	lastBuildNs  int64  // the latest build time of a PDU: the farewell heartbeat's
	wallKeepNs   int64  // with WallNs and a key: a retransmission this old in probe time is kept (FlagKept)
	wallCalls    uint32 // wallReady's calls, to read the wall clock on one in wallEvery
	mult         float64

	clock      int64  // probe time up to which events were processed
	untilNs    int64  // end of the current run (math.MinInt64 when draining)
	runRetries int    // retransmissions in the current run
	steps      uint64 // events processed, for the tests' work bound
	wakeNs     int64  // no event before this time
	// tickDue: before this time Tick only moves the clock (rearm); at
	// most wakeNs, math.MinInt64 while anything else may be due
	tickDue    int64
	lastSendNs int64
	hasSent    bool
	inLoop     bool
	delivering bool

	long          bool
	longSinceNs   int64
	backlogged    bool
	backlogSince  int64
	lostPDUs      uint64 // destroyed in the current long retry episode
	lostRecords   uint64
	lostPerType   [typeLimit]uint64
	onEvent       func(timeNs int64, severity uint8, kind, msg string)
	events        []senderEvent
	freeFrames    [][]byte
	freePending   []*pending
	stats         SenderStats
	scratch       []byte
	heartbeat     []byte
	heartbeatBody [4]byte
}

// NewSender returns a Sender for probeID over link. Out-of-range fields of
// cfg are clamped or defaulted (call cfg.Validate first to report them).
func NewSender(cfg SenderConfig, probeID uint16, link Link) *Sender {
	s := &Sender{cfg: cfg, probeID: probeID, link: link, unacked: map[uint32]*pending{}, onEvent: cfg.OnEvent}
	s.tlink, _ = link.(TimedLink)
	over := HeaderLen + TrailerLen
	if len(cfg.Key) > 0 {
		s.key, _ = NewKey(cfg.Key)
		over += TagLen
	}
	s.cfg.MaxPDUBytes = min(max(cfg.MaxPDUBytes, HeaderLen+TagLen+TrailerLen+64), over+MaxPayload, MaxFrameBytes)
	s.maxBytes = s.cfg.MaxPDUBytes - over
	s.cfg.MaxBuildNs = max(cfg.MaxBuildNs, 0)
	s.cfg.MinGapNs = max(cfg.MinGapNs, 0)
	s.initialNs = cfg.InitialTimeoutNs
	config.OrDefault(&s.initialNs, 2e9)
	s.initialNs = min(s.initialNs, maxTimeout)
	s.mult = cfg.TimeoutMultiplier
	if !(s.mult >= 1 && s.mult <= 100) {
		s.mult = 1
	}
	s.cfg.TimeoutIncrementNs = max(cfg.TimeoutIncrementNs, 0)
	s.cfg.MaxRetries = max(cfg.MaxRetries, 0)
	s.maxTimeoutNs = s.grown(s.initialNs, s.cfg.MaxRetries)
	if s.cfg.WallNs != nil {
		// Retransmissions wait in wall time (WallNs): a capture replayed
		// faster than real time moves the probe clock far past a PDU
		// before its retry, and a keyed collector would refuse the retry
		// as older than its age bound (MaxFrameAgeNs). Past half of it,
		// a retry is kept (FlagKept), as long retry mode keeps its PDUs.
		s.wallKeepNs = MaxFrameAgeNs(s.cfg) / 2
	}
	s.cfg.FinalTimeoutNs = max(cfg.FinalTimeoutNs, 0)
	s.cfg.BreakBorderNs = max(cfg.BreakBorderNs, 0)
	s.cfg.HeartbeatNs = max(cfg.HeartbeatNs, 0)
	config.OrDefault(&s.cfg.BacklogNs, 10e9)
	if s.cfg.MaxQueueBytes == 0 {
		s.cfg.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if s.cfg.MaxPermanentBytes == 0 {
		s.cfg.MaxPermanentBytes = DefaultMaxPermanentBytes
	}
	if s.cfg.HeartbeatNs > 0 {
		s.cfg.HeartbeatNs = max(s.cfg.HeartbeatNs, s.cfg.MinGapNs, 1)
	}
	s.fresh.where, s.retry.where, s.timers.where, s.timers.byDeadline = inFresh, inRetry, inTimers, true
	s.wall.where, s.wall.byWall = inWall, true
	s.clock = math.MinInt64 / 4
	s.lastSendNs = math.MinInt64 / 4
	s.wakeNs = math.MaxInt64
	s.tickDue = math.MinInt64 // the first Tick rearms
	return s
}

// maxTimeout caps every acknowledgement timeout (about 36 years): a
// timeout added to any capture time saturates instead of wrapping.
const maxTimeout int64 = 1 << 60

// grow returns the timeout following w: w*multiplier + increment, capped
// at maxTimeout.
func (s *Sender) grow(w int64) int64 {
	n := float64(w)*s.mult + float64(s.cfg.TimeoutIncrementNs)
	if n > float64(maxTimeout) {
		return maxTimeout
	}
	return int64(n)
}

// grown returns the timeout after n retries starting from w: grow applied
// n times, stopping once it no longer changes (maxTimeout reached). Past
// 64 retries it is computed at once (w*m^n + inc*(m^n-1)/(m-1), or
// w + n*inc for a multiplier of 1), so a huge MaxRetries costs nothing.
func (s *Sender) grown(w int64, n int) int64 {
	if n > 64 {
		m, inc, k := s.mult, float64(s.cfg.TimeoutIncrementNs), float64(n)
		g := float64(w) + k*inc
		if m > 1 {
			p := math.Pow(m, k)
			g = float64(w)*p + inc*(p-1)/(m-1)
		}
		if !(g < float64(maxTimeout)) {
			return maxTimeout
		}
		return int64(g)
	}
	for range n {
		next := s.grow(w)
		if next == w {
			break
		}
		w = next
	}
	return w
}

// MaxTimeoutNs returns the longest acknowledgement timeout (the one after
// the last retry), the retry period of long retry mode.
func (s *Sender) MaxTimeoutNs() int64 { return s.maxTimeoutNs }

// SetOnEvent replaces the event callback (see SenderConfig.OnEvent).
func (s *Sender) SetOnEvent(fn func(timeNs int64, severity uint8, kind, msg string)) { s.onEvent = fn }

// SetOnEventCount replaces the event callback by one that also gets what
// the event counts (pdu_overflow: the records destroyed; 0 for the
// others), for events.count.
func (s *Sender) SetOnEventCount(fn func(timeNs int64, severity uint8, kind, msg string, n uint64)) {
	s.onEventN = fn
	s.onEvent = func(t int64, sev uint8, kind, msg string) { fn(t, sev, kind, msg, 0) }
}

// SetOnDestroy sets the function told of every PDU the channel destroys
// (its type and payload, valid during the call): the probe turns destroyed
// one-way observations into "dropped" notices (design 4.3). It must not
// send on the Sender from inside the call.
func (s *Sender) SetOnDestroy(fn func(t Type, payload []byte)) { s.onDestroy = fn }

// SetOnRestart sets the function called when acknowledgements show that
// the collector restarted (its epoch changed): the probe re-sends its
// definitions then.
func (s *Sender) SetOnRestart(fn func()) { s.onRestart = fn }

// Stats returns a copy of the channel's counters.
func (s *Sender) Stats() SenderStats {
	st := s.stats
	st.Unacked = s.Pending()
	st.PermanentBytes = s.permBytes
	if s.sp != nil {
		st.SpoolPDUs, st.SpoolBytes = s.sp.pdus, s.sp.bytes
	}
	st.Queued = len(s.fresh.items) + len(s.retry.items)
	st.LongRetry = s.long
	if s.long {
		st.LongRetryNs = pkt.AddNs(st.LongRetryNs, pkt.SubNs(s.clock, s.longSinceNs))
	}
	st.Backlog = s.backlogged
	if s.backlogged {
		st.BacklogTimeNs = pkt.AddNs(st.BacklogTimeNs, pkt.SubNs(s.clock, s.backlogSince))
	}
	return st
}

// Pending reports how many PDUs wait for an acknowledgement (sent, still
// queued for their first slot, or in the spool).
func (s *Sender) Pending() int {
	if s.sp != nil {
		return len(s.unacked) + s.sp.pdus
	}
	return len(s.unacked)
}

// Unsent counts the PDUs of Pending never sent: waiting for their first
// sending slot (the regulation's min_gap_ms paces them) or in the spool.
// The others were sent and await their acknowledgement or a retry.
func (s *Sender) Unsent() int {
	n := len(s.fresh.items)
	if s.sp != nil {
		n += s.sp.pdus
	}
	return n
}

// NextEventNs returns the earliest probe time at which Tick has work
// (a build or acknowledgement timeout, a sending slot, a heartbeat), or
// math.MaxInt64. A live probe sleeps until then at most.
func (s *Sender) NextEventNs() int64 {
	t, k := s.nextEvent(false)
	if k == evNone {
		return math.MaxInt64
	}
	return t
}

// Begin returns the encoder of the PDU of type t under construction; the
// caller appends exactly one record and then calls End(t, nowNs). t must
// be a record type (not TypeHeartbeat or TypeAck, whose records are
// discarded).
func (s *Sender) Begin(t Type, nowNs int64) *Enc {
	if !s.clockOnly(nowNs) {
		s.advance(nowNs)
	}
	bd := &s.build[t]
	if len(bd.enc.B) == 0 {
		bd.startNs = max(nowNs, s.clock)
		s.wakeNs = min(s.wakeNs, pkt.AddNs(bd.startNs, s.cfg.MaxBuildNs))
		s.tickDue = min(s.tickDue, s.wakeNs)
	}
	bd.mark = len(bd.enc.B)
	return &bd.enc
}

// End closes the record begun with Begin, queueing the PDU for sending if
// it is full. A record that does not fit starts the next PDU; a record
// larger than a PDU is sent alone, and one larger than MaxRecordBytes is
// refused (EventRecordTooLarge).
func (s *Sender) End(t Type, nowNs int64) {
	bd := &s.build[t]
	if len(bd.enc.B)-bd.mark > MaxRecordBytes && s.tooLarge(t, bd) {
		s.advance(nowNs)
		s.deliver()
		return
	}
	bd.records++
	s.stats.Records[t]++
	if len(bd.enc.B) > s.maxBytes {
		now := max(nowNs, s.clock)
		if bd.mark == 0 {
			s.flush(t, now)
		} else {
			rest := append(s.scratch[:0], bd.enc.B[bd.mark:]...)
			bd.enc.B = bd.enc.B[:bd.mark]
			bd.records--
			s.flush(t, now)
			bd.enc.B = append(bd.enc.B[:0], rest...)
			bd.records = 1
			bd.startNs = now
			s.wakeNs = min(s.wakeNs, pkt.AddNs(now, s.cfg.MaxBuildNs))
			s.tickDue = min(s.tickDue, s.wakeNs)
			s.scratch = rest
		}
	}
	if !s.clockOnly(nowNs) {
		s.advance(nowNs)
	}
	if len(s.events) > 0 {
		s.deliver()
	}
}

// FlushType builds the PDU of type t under construction now (if it holds
// records) and queues it for sending, without waiting for it to fill or age:
// for records whose timeliness matters (one-way observations).
func (s *Sender) FlushType(t Type, nowNs int64) {
	now := max(nowNs, s.clock)
	s.flush(t, now)
	s.advance(nowNs)
	s.deliver()
}

// Clock returns the channel's time, ns: the latest probe time it was
// given, or later after a Flush, which moves it MinGapNs per PDU sent
// past the time it was called at.
func (s *Sender) Clock() int64 { return s.clock }

// Collector returns the collector's name (SenderConfig.Collector).
func (s *Sender) Collector() string { return s.cfg.Collector }

// PayloadBytes returns the most payload bytes one PDU of this channel
// carries (MaxPDUBytes less the header, tag and CRC).
func (s *Sender) PayloadBytes() int { return s.maxBytes }

// AppendRecord appends one already encoded record of type t: Begin, copy,
// End.
func (s *Sender) AppendRecord(t Type, nowNs int64, rec []byte) {
	e := s.Begin(t, nowNs)
	e.B = append(e.B, rec...)
	s.End(t, nowNs)
}

// definitions are flushed before any observation PDU so the collector
// learns flows and metrics before their observations (design 3.14).
var definitions = [...]Type{TypeHello, TypeRunConfig, TypeMetricDef, TypeHistDef, TypeFlowDef}

func isDefinition(t Type) bool {
	return t == TypeHello || t == TypeRunConfig || t == TypeMetricDef || t == TypeHistDef || t == TypeFlowDef
}

// Permanent reports whether PDUs of type t are never destroyed: the key
// definitions (hello, metric, histogram slice and flow definitions), the
// FTP transfer and session records (design 1.5 "key definitions and
// important (low volume) observations") and the events, which explain
// the measurements around a break (design 1.7; low volume: aggregated per
// interval), the notices of dropped observations and the final report.
// They are retried until acknowledged, at the maximum timeout
// in long retry mode.
func Permanent(t Type) bool {
	return isDefinition(t) || t == TypeFTPTransfer || t == TypeFTPSession || t == TypeEvents || t == TypeDropped || t == TypeReport
}

// flush turns the PDU under construction of type t into a frame queued for
// its first sending slot, definitions first.
func (s *Sender) flush(t Type, nowNs int64) {
	bd := &s.build[t]
	if t == TypeHeartbeat || t == TypeAck {
		bd.enc.B, bd.records = bd.enc.B[:0], 0
		return
	}
	if !isDefinition(t) {
		for _, d := range definitions {
			if len(s.build[d].enc.B) > 0 {
				s.flush(d, nowNs)
			}
		}
	}
	if len(bd.enc.B) == 0 {
		return
	}
	s.stats.PDUs[t]++
	if !s.spoolable(t) || !s.spooling(len(bd.enc.B)) || !s.toSpool(t, bd, nowNs) {
		s.enqueue(t, bd.records, nowNs, bd.enc.B)
	}
	bd.enc.B = bd.enc.B[:0]
	bd.records = 0
}

// enqueue makes the next PDU, of type t, from payload (copied) and queues
// it for its first sending slot, then applies the memory bounds.
func (s *Sender) enqueue(t Type, records uint64, buildNs int64, payload []byte) {
	s.nextID++
	if s.nextID == 0 {
		s.nextID = 1
	}
	p := s.newPending()
	p.id, p.typ, p.records, p.buildNs = s.nextID, t, records, buildNs
	p.final = t == TypeReport && s.reported
	s.lastBuildNs = max(s.lastBuildNs, buildNs)
	p.frame = appendFrame(s.frameBuf(HeaderLen+len(payload)+TagLen+TrailerLen), Header{Type: t, ProbeID: s.probeID, Epoch: s.cfg.Epoch, ID: p.id, BuildTimeNs: buildNs}, payload, s.key)
	s.unacked[p.id] = p
	s.fresh.push(p)
	s.held(p, +1)
	s.bound()
	if s.noSpool {
		s.boundPermanent()
	}
	s.checkBacklog()
	s.wakeNs = min(s.wakeNs, s.slotNs())
	s.tickDue = min(s.tickDue, s.wakeNs)
}

func (s *Sender) newPending() *pending {
	if n := len(s.freePending); n > 0 {
		p := s.freePending[n-1]
		s.freePending = s.freePending[:n-1]
		return p
	}
	return &pending{}
}

func (s *Sender) frameBuf(n int) []byte {
	if k := len(s.freeFrames); k > 0 && cap(s.freeFrames[k-1]) >= n {
		b := s.freeFrames[k-1]
		s.freeFrames = s.freeFrames[:k-1]
		return b[:0]
	}
	return make([]byte, 0, max(n, 64))
}

// ReportTaken tells the channel that its final report (pdu_stats) took
// its counters: PDUs destroyed from now on are counted apart
// (SenderStats.DestroyedAfterReport), since no report carries them.
func (s *Sender) ReportTaken() { s.reported = true }

// destroyed counts p, destroyed unacknowledged.
func (s *Sender) destroyed(p *pending) { s.countDestroyed(p.typ, 1, p.records) }

// release recycles a PDU no longer pending (acknowledged or destroyed).
func (s *Sender) release(p *pending) {
	s.held(p, -1)
	if len(s.freeFrames) < 64 {
		s.freeFrames = append(s.freeFrames, p.frame[:0])
	}
	*p = pending{idx: -1}
	if len(s.freePending) < 64 {
		s.freePending = append(s.freePending, p)
	}
}

// Flush is the end of input or a shutdown: it builds every PDU under
// construction and sends every PDU never sent yet, one per sending slot
// from nowNs on, moving the channel's clock past nowNs by MinGapNs per PDU
// (acknowledgement timeouts falling in that span are handled, but due
// retransmissions wait for later Ticks). Unacknowledged PDUs stay pending.
func (s *Sender) Flush(nowNs int64) {
	if s.inLoop {
		return
	}
	for range 3 { // events delivered after a drain may append records
		s.advance(nowNs)
		for _, t := range definitions {
			s.flush(t, s.clock)
		}
		for t := Type(1); t < typeLimit; t++ {
			s.flush(t, s.clock)
		}
		s.run(0, true)
		s.deliver()
		if !s.building() {
			return
		}
	}
}

// Settle is for the end of a replay over a lossy link: it advances the
// channel event by event until no PDU is pending or the next event is past
// limitNs, and returns the channel's time then. PDUs still pending at
// limitNs stay pending (Pending tells).
func (s *Sender) Settle(limitNs int64) int64 {
	t, _ := s.SettleContext(context.Background(), limitNs)
	return t
}

// SettleContext is Settle stopping early, with ctx.Err(), once ctx is
// done: settling runs without packets, so it must heed an interrupt. It
// checks ctx before every step.
func (s *Sender) SettleContext(ctx context.Context, limitNs int64) (int64, error) {
	for s.Pending() > 0 {
		if err := ctx.Err(); err != nil {
			return s.clock, err
		}
		t := s.NextEventNs()
		if t > limitNs || t == math.MaxInt64 { // nothing more, or not before limitNs
			break
		}
		s.Tick(t)
	}
	return s.clock, nil
}

func (s *Sender) building() bool {
	for t := range s.build {
		if len(s.build[t].enc.B) > 0 {
			return true
		}
	}
	return false
}

// HandleAck processes an acknowledgement frame from the collector at the
// channel's current time. Invalid acks (CRC, sanity, missing or bad tag
// when the channel has a Key, other probe) count in BadAcks; acks of PDUs
// no longer pending in LateAcks. The first valid ack in long retry mode
// ends it.
func (s *Sender) HandleAck(frame []byte) { s.HandleAckAt(s.clock, frame) }

// HandleAckAt is HandleAck for an acknowledgement received at probe time
// nowNs: the channel first advances to nowNs (as Tick).
func (s *Sender) HandleAckAt(nowNs int64, frame []byte) {
	s.advance(nowNs)
	s.ack(frame)
	if !s.inLoop {
		s.wakeNs, s.tickDue = math.MinInt64, math.MinInt64
		s.advance(s.clock)
	}
	s.deliver()
}

func (s *Sender) ack(frame []byte) {
	var err error
	if s.key != nil {
		err = s.key.Verify(frame)
	}
	var probe uint16
	var epoch int64
	var id uint32
	if err == nil {
		probe, epoch, id, err = ParseAck(frame)
	} else if errors.Is(err, ErrAuth) {
		s.refusedTag(frame)
	}
	if err != nil || probe != s.probeID || epoch != s.cfg.Epoch {
		s.stats.BadAcks++
		return
	}
	if e := AckEpoch(frame); e != 0 {
		if s.epoch != 0 && e != s.epoch && s.onRestart != nil {
			s.stats.CollectorRestarts++
			s.onRestart()
		}
		s.epoch = e
	}
	p := s.unacked[id]
	if p == nil {
		s.stats.LateAcks++
		if s.long { // still a sign the collector is reachable again
			s.leaveLong(id, 0)
		}
		return
	}
	s.unqueue(p)
	delete(s.unacked, id)
	s.stats.Acked++
	s.stats.ReportAcked = s.stats.ReportAcked || p.final
	if s.long {
		s.leaveLong(id, p.typ)
	}
	perm := Permanent(p.typ)
	s.release(p)
	if perm {
		s.refill()
	}
}

// refusedTag counts an ack refused for its tag alone (ErrAuth under the
// channel's key) if it is otherwise a valid ack of this probe run, and
// says the first one (EventAckRefused): the collector answers, but the
// probe cannot tell an answer from a forgery, so it keeps retrying and
// would destroy (count as lost) what the collector wrote.
func (s *Sender) refusedTag(frame []byte) {
	probe, epoch, _, err := ParseAck(frame)
	if err != nil || probe != s.probeID || epoch != s.cfg.Epoch {
		return
	}
	s.stats.BadAckTags++
	if s.stats.BadAckTags > 1 {
		return
	}
	cause := "they carry another HMAC tag: the collector has another key for this probe (different keys on the two sides)"
	if frame[4]&FlagHMAC == 0 {
		cause = "they carry no HMAC tag: the collector has no key for this probe (a key on the probe's side only)"
	}
	s.event(SevError, EventAckRefused, s.prefix()+"acknowledgements arrive but are refused: "+cause+"; nothing this probe sends counts as delivered until both sides have the same key")
}

func (s *Sender) unqueue(p *pending) {
	switch p.where {
	case inFresh:
		s.fresh.remove(p.idx)
	case inRetry:
		s.retry.remove(p.idx)
	case inTimers:
		s.timers.remove(p.idx)
	case inWall:
		s.wall.remove(p.idx)
	}
}

func (s *Sender) prefix() string {
	switch s.cfg.Collector {
	case "":
		return ""
	case "collector": // replay's unnamed collector: not "collector collector: "
		return "collector: "
	}
	return "collector " + s.cfg.Collector + ": "
}

func (s *Sender) event(sev uint8, kind, msg string) { s.eventN(sev, kind, msg, 0) }

// eventN is event for an event that reports n things (events.count).
func (s *Sender) eventN(sev uint8, kind, msg string, n uint64) {
	if s.onEvent != nil {
		s.pushEvent(senderEvent{timeNs: s.clock, sev: sev, kind: kind, msg: msg, count: n})
	}
}
