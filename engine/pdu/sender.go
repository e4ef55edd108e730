package pdu

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
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
	EventLongRetryLeave = "pdu_long_retry_leave" // SevInfo: first ack after a break, with what was destroyed
	EventDestroyed      = "pdu_destroyed"        // SevError: first PDU of a break destroyed by the final timeout
)

// ErrConfig is wrapped by SenderConfig.Validate's errors.
var ErrConfig = errors.New("pdu: invalid sender config")

// SenderConfig regulates one probe-to-collector channel (design 1.5, 3.14);
// each collector of a probe has its own (design 1.2). Times are in
// nanoseconds of the probe's clock (capture time in replay, wall clock in
// live). Zero values keep the behaviour of the first, unregulated
// transport: no gap, no retry limit (so no long retry mode and nothing is
// ever destroyed), no heartbeat.
type SenderConfig struct {
	// Collector names the collector in event messages.
	Collector string
	// MaxPDUBytes is the largest frame sent, header, tag and CRC included
	// (design 1.5 "maximum PDU size"). NewSender clamps it to
	// [HeaderLen+TagLen+TrailerLen+64, HeaderLen+TagLen+TrailerLen+MaxPayload].
	MaxPDUBytes int
	// MaxBuildNs flushes a PDU under construction once its first record is
	// this old (design 1.5 "maximum build duration").
	MaxBuildNs int64
	// MinGapNs is the minimum time between two transmissions, first or
	// retried, heartbeats included: the sending slots of design 1.5.
	MinGapNs int64
	// InitialTimeoutNs is the first acknowledgement timeout; 0 takes
	// RetryTimeoutNs, and 2 s if that is 0 too.
	InitialTimeoutNs int64
	// RetryTimeoutNs is the former name of InitialTimeoutNs, used when
	// InitialTimeoutNs is 0.
	RetryTimeoutNs int64
	// TimeoutIncrementNs and TimeoutMultiplier grow the timeout after each
	// retry: next = previous*TimeoutMultiplier + TimeoutIncrementNs
	// (multiplier 0 means 1).
	TimeoutIncrementNs int64
	TimeoutMultiplier  float64
	// MaxRetries is the number of retransmissions after the first
	// transmission; when the timeout after the last one expires, the PDU is
	// exhausted and the channel enters long retry mode. 0 retries forever
	// at the growing timeout, never entering long retry mode.
	MaxRetries int
	// FinalTimeoutNs: in long retry mode, PDUs older than this (since their
	// build) are destroyed, except definitions, FTP records, break-border
	// PDUs and the exhausted PDU. 0 destroys nothing. Needs MaxRetries > 0.
	FinalTimeoutNs int64
	// BreakBorderNs: on entering long retry mode, the pending PDUs built in
	// the last BreakBorderNs are kept until delivered (design 1.5 "break
	// border window"). 0 keeps none.
	BreakBorderNs int64
	// HeartbeatNs sends an empty heartbeat after this long without any
	// transmission (design 3.14). 0 sends none.
	HeartbeatNs int64
	// Key, if not empty, is the probe's shared secret: frames are tagged
	// with HMAC-SHA256 and only acks tagged with the same key are accepted
	// (see Key).
	Key []byte
	// OnEvent, if set, receives the channel's transitions (Event* kinds)
	// at probe time timeNs. It is called after the Sender's state is
	// settled, so it may append records to the same Sender.
	OnEvent func(timeNs int64, severity uint8, kind, msg string)
	// OnSend, if set, is called for every transmission: the send log.
	OnSend func(SendRecord)
}

// DefaultSenderConfig returns the documented defaults: 1400-byte PDUs
// (fits a 1500-byte Ethernet MTU with IP and UDP headers), 1 s build time,
// 10 ms between sends (at most 100 PDUs/s, 140 kB/s), timeouts of 2 s
// growing by x1.5 + 1 s over 5 retries (2, 4, 7, 11.5, 18.25 and 28.375 s:
// a PDU is exhausted 71.125 s after its first transmission, and 28.375 s is
// the long-retry period), 10 min final timeout, 30 s break-border window,
// heartbeat after 10 s of silence.
func DefaultSenderConfig() SenderConfig {
	return SenderConfig{
		MaxPDUBytes:        1400,
		MaxBuildNs:         1e9,
		MinGapNs:           10e6,
		InitialTimeoutNs:   2e9,
		RetryTimeoutNs:     2e9,
		TimeoutIncrementNs: 1e9,
		TimeoutMultiplier:  1.5,
		MaxRetries:         5,
		FinalTimeoutNs:     600e9,
		BreakBorderNs:      30e9,
		HeartbeatNs:        10e9,
	}
}

// Validate reports every inconsistent field, each error wrapping ErrConfig.
func (c SenderConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	lo, hi := HeaderLen+TagLen+TrailerLen+64, HeaderLen+TagLen+TrailerLen+MaxPayload
	if c.MaxPDUBytes < lo || c.MaxPDUBytes > hi {
		bad("MaxPDUBytes %d outside [%d, %d]", c.MaxPDUBytes, lo, hi)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"MaxBuildNs", c.MaxBuildNs}, {"MinGapNs", c.MinGapNs}, {"InitialTimeoutNs", c.InitialTimeoutNs},
		{"RetryTimeoutNs", c.RetryTimeoutNs}, {"TimeoutIncrementNs", c.TimeoutIncrementNs}, {"FinalTimeoutNs", c.FinalTimeoutNs},
		{"BreakBorderNs", c.BreakBorderNs}, {"HeartbeatNs", c.HeartbeatNs}, {"MaxRetries", int64(c.MaxRetries)}} {
		if f.v < 0 {
			bad("%s %d < 0", f.name, f.v)
		}
	}
	if c.InitialTimeoutNs == 0 && c.RetryTimeoutNs == 0 {
		bad("InitialTimeoutNs is 0")
	}
	if c.TimeoutMultiplier != 0 && !(c.TimeoutMultiplier >= 1 && c.TimeoutMultiplier <= 100) {
		bad("TimeoutMultiplier %g outside [1, 100]", c.TimeoutMultiplier)
	}
	if c.HeartbeatNs > 0 && c.HeartbeatNs < c.MinGapNs {
		bad("HeartbeatNs %d < MinGapNs %d", c.HeartbeatNs, c.MinGapNs)
	}
	if c.FinalTimeoutNs > 0 && c.MaxRetries == 0 {
		bad("FinalTimeoutNs set but MaxRetries is 0 (no long retry mode)")
	}
	return errors.Join(errs...)
}

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
	BadAcks       uint64 // acks failing CRC, sanity or tag checks, or for another probe
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
	// CollectorRestarts counts the epoch changes seen in acknowledgements.
	CollectorRestarts uint64
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
)

type pending struct {
	id         uint32
	typ        Type
	frame      []byte
	records    uint64
	buildNs    int64
	lastSendNs int64
	deadline   int64
	waitNs     int64 // acknowledgement timeout after the last transmission
	sends      int   // transmissions so far
	round      int   // transmissions in the current nominal round
	border     bool  // kept by the break-border window
	probe      bool  // the exhausted PDU retried at the initial timeout in long retry mode
	where      uint8
	idx        int
}

type senderEvent struct {
	timeNs    int64
	sev       uint8
	kind, msg string
}

// Sender builds PDUs of each type and sends them, regulated and reliably,
// to one collector over a Link (design 1.5, 3.14; the state machine is in
// the package documentation). Time only moves through the nowNs arguments:
// between two calls the Sender replays, in time order, everything that
// would have happened (build timeouts, acknowledgement timeouts, sending
// slots, heartbeats), so a replay gives the same send log whatever the
// spacing of the calls. A Sender is not safe for concurrent use.
type Sender struct {
	epoch     int64  // collector epoch of the latest ack
	onRestart func() // called when the epoch changes
	onDestroy func(t Type, payload []byte)
	cfg       SenderConfig
	probeID   uint16
	link      Link
	tlink     TimedLink
	key       *Key
	nextID    uint32
	build     [typeLimit]building
	unacked   map[uint32]*pending
	fresh     queue // built, never sent
	retry     queue // due for retransmission
	timers    queue // sent, waiting for ack or timeout
	maxBytes  int

	initialNs    int64
	maxTimeoutNs int64
	mult         float64

	clock      int64 // probe time up to which events were processed
	wakeNs     int64 // no event before this time
	lastSendNs int64
	hasSent    bool
	inLoop     bool
	delivering bool

	long          bool
	longSinceNs   int64
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
	s.cfg.MaxPDUBytes = min(max(cfg.MaxPDUBytes, HeaderLen+TagLen+TrailerLen+64), over+MaxPayload)
	s.maxBytes = s.cfg.MaxPDUBytes - over
	s.cfg.MaxBuildNs = max(cfg.MaxBuildNs, 0)
	s.cfg.MinGapNs = max(cfg.MinGapNs, 0)
	s.initialNs = cfg.InitialTimeoutNs
	if s.initialNs <= 0 {
		s.initialNs = cfg.RetryTimeoutNs
	}
	if s.initialNs <= 0 {
		s.initialNs = 2e9
	}
	s.mult = cfg.TimeoutMultiplier
	if !(s.mult >= 1 && s.mult <= 100) {
		s.mult = 1
	}
	s.cfg.TimeoutIncrementNs = max(cfg.TimeoutIncrementNs, 0)
	s.cfg.MaxRetries = max(cfg.MaxRetries, 0)
	s.maxTimeoutNs = s.initialNs
	for range s.cfg.MaxRetries {
		s.maxTimeoutNs = s.grow(s.maxTimeoutNs)
	}
	s.cfg.FinalTimeoutNs = max(cfg.FinalTimeoutNs, 0)
	s.cfg.BreakBorderNs = max(cfg.BreakBorderNs, 0)
	s.cfg.HeartbeatNs = max(cfg.HeartbeatNs, 0)
	if s.cfg.HeartbeatNs > 0 {
		s.cfg.HeartbeatNs = max(s.cfg.HeartbeatNs, s.cfg.MinGapNs, 1)
	}
	s.fresh.where, s.retry.where, s.timers.where, s.timers.byDeadline = inFresh, inRetry, inTimers, true
	s.clock = math.MinInt64 / 4
	s.lastSendNs = math.MinInt64 / 4
	s.wakeNs = math.MaxInt64
	return s
}

// grow returns the timeout following w: w*multiplier + increment, capped.
func (s *Sender) grow(w int64) int64 {
	n := float64(w)*s.mult + float64(s.cfg.TimeoutIncrementNs)
	if n > 1<<60 {
		return 1 << 60
	}
	return int64(n)
}

// MaxTimeoutNs returns the longest acknowledgement timeout (the one after
// the last retry), the retry period of long retry mode.
func (s *Sender) MaxTimeoutNs() int64 { return s.maxTimeoutNs }

// SetOnEvent replaces the event callback (see SenderConfig.OnEvent).
func (s *Sender) SetOnEvent(fn func(timeNs int64, severity uint8, kind, msg string)) { s.onEvent = fn }

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
	st.Unacked = len(s.unacked)
	st.Queued = len(s.fresh.items) + len(s.retry.items)
	st.LongRetry = s.long
	if s.long {
		st.LongRetryNs += s.clock - s.longSinceNs
	}
	return st
}

// Pending reports how many PDUs wait for an acknowledgement (sent or
// still queued for their first slot).
func (s *Sender) Pending() int { return len(s.unacked) }

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
	s.advance(nowNs)
	bd := &s.build[t]
	if len(bd.enc.B) == 0 {
		bd.startNs = max(nowNs, s.clock)
		s.wakeNs = min(s.wakeNs, bd.startNs+s.cfg.MaxBuildNs)
	}
	bd.mark = len(bd.enc.B)
	return &bd.enc
}

// End closes the record begun with Begin, queueing the PDU for sending if
// it is full. A record that does not fit starts the next PDU; a record
// larger than a PDU is sent alone.
func (s *Sender) End(t Type, nowNs int64) {
	bd := &s.build[t]
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
			s.wakeNs = min(s.wakeNs, now+s.cfg.MaxBuildNs)
			s.scratch = rest
		}
	}
	s.advance(nowNs)
	s.deliver()
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
var definitions = [...]Type{TypeHello, TypeMetricDef, TypeHistDef, TypeFlowDef}

func isDefinition(t Type) bool {
	return t == TypeHello || t == TypeMetricDef || t == TypeHistDef || t == TypeFlowDef
}

// Permanent reports whether PDUs of type t are never destroyed: the key
// definitions (hello, metric, histogram slice and flow definitions), the
// FTP transfer and session records (design 1.5 "key definitions and
// important (low volume) observations") and the events, which explain
// the measurements around a break (design 1.7; low volume: aggregated per
// interval). They are retried until acknowledged, at the maximum timeout
// in long retry mode.
func Permanent(t Type) bool {
	return isDefinition(t) || t == TypeFTPTransfer || t == TypeFTPSession || t == TypeEvents || t == TypeDropped
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
	s.nextID++
	if s.nextID == 0 {
		s.nextID = 1
	}
	p := s.newPending()
	p.id, p.typ, p.records, p.buildNs = s.nextID, t, bd.records, nowNs
	p.frame = appendFrame(s.frameBuf(HeaderLen+len(bd.enc.B)+TagLen+TrailerLen), Header{Type: t, ProbeID: s.probeID, ID: p.id, BuildTimeNs: nowNs}, bd.enc.B, s.key)
	bd.enc.B = bd.enc.B[:0]
	bd.records = 0
	s.stats.PDUs[t]++
	s.unacked[p.id] = p
	s.fresh.push(p)
	s.wakeNs = min(s.wakeNs, s.slotNs())
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

// release recycles a PDU no longer pending (acknowledged or destroyed).
func (s *Sender) release(p *pending) {
	if len(s.freeFrames) < 64 {
		s.freeFrames = append(s.freeFrames, p.frame[:0])
	}
	*p = pending{idx: -1}
	if len(s.freePending) < 64 {
		s.freePending = append(s.freePending, p)
	}
}

// Tick advances the channel to probe time nowNs: flushes PDUs older than
// MaxBuildNs, handles expired acknowledgement timeouts, uses the sending
// slots up to nowNs and sends heartbeats. Call it as probe time advances
// (on every packet in replay; at least every MinGapNs, or at NextEventNs,
// in live capture). Earlier times than already seen are taken as the
// latest one.
func (s *Sender) Tick(nowNs int64) {
	s.advance(nowNs)
	s.deliver()
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
	for s.Pending() > 0 {
		t := s.NextEventNs()
		if t > limitNs {
			break
		}
		s.Tick(t)
	}
	return s.clock
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
		s.wakeNs = math.MinInt64
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
	var id uint32
	if err == nil {
		probe, id, err = ParseAck(frame)
	}
	if err != nil || probe != s.probeID {
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
	if s.long {
		s.leaveLong(id, p.typ)
	}
	s.release(p)
}

func (s *Sender) unqueue(p *pending) {
	switch p.where {
	case inFresh:
		s.fresh.remove(p.idx)
	case inRetry:
		s.retry.remove(p.idx)
	case inTimers:
		s.timers.remove(p.idx)
	}
}

// advance processes every event due up to nowNs, unless called from inside
// the event loop (a synchronous link acknowledging, a send log hook).
func (s *Sender) advance(nowNs int64) {
	if s.inLoop {
		return
	}
	if nowNs < s.wakeNs {
		s.clock = max(s.clock, nowNs)
		return
	}
	s.run(nowNs, false)
}

type evKind uint8

const (
	evNone evKind = iota
	evBuild
	evTimer
	evSlot
	evHeartbeat
)

func (s *Sender) slotNs() int64 { return max(s.lastSendNs+s.cfg.MinGapNs, s.clock) }

// nextEvent returns the time and kind of the earliest pending event; ties
// go to build timeouts, then acknowledgement timeouts, then slots. In drain
// mode only never-sent PDUs use the slots and no heartbeat is due.
func (s *Sender) nextEvent(drain bool) (int64, evKind) {
	best, kind := int64(math.MaxInt64), evNone
	for t := range s.build {
		if bd := &s.build[t]; len(bd.enc.B) > 0 && bd.startNs+s.cfg.MaxBuildNs < best {
			best, kind = bd.startNs+s.cfg.MaxBuildNs, evBuild
		}
	}
	if p := s.timers.top(); p != nil && p.deadline < best {
		best, kind = p.deadline, evTimer
	}
	if len(s.fresh.items) > 0 || (!drain && len(s.retry.items) > 0) {
		if t := s.slotNs(); t < best {
			best, kind = t, evSlot
		}
	} else if !drain && s.cfg.HeartbeatNs > 0 && s.hasSent {
		if t := s.lastSendNs + s.cfg.HeartbeatNs; t < best {
			best, kind = t, evHeartbeat
		}
	}
	return max(best, s.clock), kind
}

// run is the event loop: it processes events in time order up to untilNs,
// or, in drain mode, until every PDU was sent once.
func (s *Sender) run(untilNs int64, drain bool) {
	s.inLoop = true
	for {
		if drain && len(s.fresh.items) == 0 {
			break
		}
		t, kind := s.nextEvent(drain)
		if kind == evNone || (!drain && t > untilNs) {
			break
		}
		s.clock = t
		switch kind {
		case evBuild:
			for typ := range s.build {
				if bd := &s.build[typ]; len(bd.enc.B) > 0 && bd.startNs+s.cfg.MaxBuildNs <= t {
					s.flush(Type(typ), t)
				}
			}
		case evTimer:
			s.expire(s.timers.remove(0))
		case evSlot:
			s.sendNext(drain)
		case evHeartbeat:
			s.sendHeartbeat()
			// Across a very long silence (a replayed capture with days
			// between two packets: one sample spans three years) a
			// heartbeat every HeartbeatNs would be millions of frames: past
			// maxHeartbeatRun of them, one more at the end says as much.
			if !drain && untilNs-s.clock > maxHeartbeatRun*s.cfg.HeartbeatNs {
				s.lastSendNs = untilNs - s.cfg.HeartbeatNs
			}
		}
	}
	if !drain {
		s.clock = max(s.clock, untilNs)
	}
	s.inLoop = false
	s.wakeNs, _ = s.nextEvent(false)
}

func (s *Sender) destroyable(p *pending) bool {
	return s.cfg.FinalTimeoutNs > 0 && !p.border && !p.probe && !Permanent(p.typ)
}

// sendNext uses the current slot for the oldest PDU waiting for one.
func (s *Sender) sendNext(drain bool) {
	var p *pending
	f, r := s.fresh.top(), s.retry.top()
	if drain {
		r = nil
	}
	switch {
	case f != nil && (r == nil || f.id < r.id):
		p = s.fresh.remove(0)
	case r != nil:
		p = s.retry.remove(0)
	default:
		return
	}
	if s.long && s.destroyable(p) && s.clock-p.buildNs >= s.cfg.FinalTimeoutNs {
		s.destroy(p)
		return
	}
	s.transmit(p)
}

func (s *Sender) transmit(p *pending) {
	now := s.clock
	p.sends++
	p.round++
	switch {
	case s.long && p.probe:
		p.waitNs = s.initialNs
	case s.long:
		p.waitNs = s.maxTimeoutNs
	case p.round == 1:
		p.waitNs = s.initialNs
	default:
		p.waitNs = s.grow(p.waitNs)
	}
	p.lastSendNs = now
	p.deadline = now + p.waitNs
	if s.long && s.destroyable(p) {
		p.deadline = min(p.deadline, p.buildNs+s.cfg.FinalTimeoutNs)
	}
	s.timers.push(p)
	s.lastSendNs, s.hasSent = now, true
	n := uint64(len(p.frame))
	if p.sends == 1 {
		s.stats.Bytes[p.typ] += n
	} else {
		s.stats.Retransmits++
		s.stats.RetransmitsByType[p.typ]++
		s.stats.RetransBytes += n
	}
	s.stats.TotalBytesOut += n
	if s.cfg.OnSend != nil {
		s.cfg.OnSend(SendRecord{TimeNs: now, ID: p.id, Type: p.typ, BuildNs: p.buildNs, Records: p.records, Try: p.sends, Long: s.long, Bytes: len(p.frame)})
	}
	s.sendFrame(p.frame) // p may be acknowledged and recycled from here on
}

func (s *Sender) sendFrame(frame []byte) {
	if s.tlink != nil {
		s.tlink.SendAt(s.clock, frame)
	} else {
		s.link.Send(frame)
	}
}

// maxHeartbeatRun bounds the heartbeats sent across one silence of probe
// time (see run).
const maxHeartbeatRun = 360

// sendHeartbeat sends an empty-of-records heartbeat (not acknowledged, not
// retried, PDU id 0). Its 4-byte payload is the low watermark: the oldest
// PDU id still pending (or the next id), every lower id being acknowledged
// or destroyed, so the collector can close its de-duplication window.
func (s *Sender) sendHeartbeat() {
	wm := s.nextID + 1
	for id := range s.unacked {
		wm = min(wm, id)
	}
	b := &s.heartbeatBody
	b[0], b[1], b[2], b[3] = byte(wm>>24), byte(wm>>16), byte(wm>>8), byte(wm)
	s.heartbeat = appendFrame(s.heartbeat[:0], Header{Type: TypeHeartbeat, ProbeID: s.probeID, BuildTimeNs: s.clock}, b[:], s.key)
	s.lastSendNs, s.hasSent = s.clock, true
	n := uint64(len(s.heartbeat))
	s.stats.Heartbeats++
	s.stats.PDUs[TypeHeartbeat]++
	s.stats.Bytes[TypeHeartbeat] += n
	s.stats.TotalBytesOut += n
	if s.cfg.OnSend != nil {
		s.cfg.OnSend(SendRecord{TimeNs: s.clock, Type: TypeHeartbeat, BuildNs: s.clock, Try: 1, Long: s.long, Bytes: len(s.heartbeat)})
	}
	s.sendFrame(s.heartbeat)
}

// expire handles an acknowledgement timeout.
func (s *Sender) expire(p *pending) {
	switch {
	case s.long && s.destroyable(p) && s.clock-p.buildNs >= s.cfg.FinalTimeoutNs:
		s.destroy(p)
	case !s.long && s.cfg.MaxRetries > 0 && p.round > s.cfg.MaxRetries:
		s.enterLong(p)
	default:
		s.retry.push(p)
	}
}

// enterLong starts long retry mode because p exhausted its retries.
func (s *Sender) enterLong(p *pending) {
	now := s.clock
	s.long, s.longSinceNs = true, now
	s.lostPDUs, s.lostRecords, s.lostPerType = 0, 0, [typeLimit]uint64{}
	s.stats.LongRetryEntries++
	p.probe = true
	border := 0
	if s.cfg.BreakBorderNs > 0 {
		for _, q := range s.unacked {
			if q != p && !Permanent(q.typ) && !q.border && q.buildNs >= now-s.cfg.BreakBorderNs {
				q.border = true
				border++
			}
		}
	}
	s.stats.BreakBorder += uint64(border)
	for _, q := range s.timers.items { // the others slow down to the maximum timeout
		q.deadline = q.lastSendNs + s.maxTimeoutNs
		if s.destroyable(q) {
			q.deadline = min(q.deadline, q.buildNs+s.cfg.FinalTimeoutNs)
		}
	}
	s.timers.init()
	s.retry.push(p)
	s.event(SevWarning, EventLongRetryEnter, fmt.Sprintf("%sPDU %d (%s) unacknowledged after %d transmissions over %v: long retry mode, %d PDUs pending, %d kept as break border (built since %v before), others retried every %v and destroyed after %v",
		s.prefix(), p.id, p.typ, p.sends, time.Duration(s.firstWaitSpan(p)+now-p.lastSendNs), len(s.unacked), border,
		time.Duration(s.cfg.BreakBorderNs), time.Duration(s.maxTimeoutNs), time.Duration(s.cfg.FinalTimeoutNs)))
}

// firstWaitSpan returns the time from p's first transmission to its last
// one: the sum of the timeouts of its round but the last.
func (s *Sender) firstWaitSpan(p *pending) int64 {
	var span int64
	w := s.initialNs
	for i := 1; i < p.round; i++ {
		span += w
		w = s.grow(w)
	}
	return span
}

// leaveLong ends long retry mode on the acknowledgement of PDU id (of type
// typ, 0 if no longer pending): nominal behaviour again, every pending PDU
// due now with a fresh retry budget.
func (s *Sender) leaveLong(id uint32, typ Type) {
	now := s.clock
	s.long = false
	s.stats.LongRetryNs += now - s.longSinceNs
	for len(s.timers.items) > 0 {
		s.retry.push(s.timers.remove(len(s.timers.items) - 1))
	}
	for _, q := range s.unacked {
		q.probe, q.round = false, 0
	}
	var lost strings.Builder
	for t, n := range s.lostPerType {
		if n > 0 {
			fmt.Fprintf(&lost, " %s:%d", Type(t), n)
		}
	}
	what := "no longer pending"
	if typ != 0 {
		what = typ.String()
	}
	msg := fmt.Sprintf("%sack of PDU %d (%s) after %v in long retry mode: nominal mode, %d PDUs pending", s.prefix(), id, what, time.Duration(now-s.longSinceNs), len(s.unacked))
	if s.lostPDUs > 0 {
		msg += fmt.Sprintf(", %d PDUs (%d records) destroyed by the final timeout (PDUs per type:%s)", s.lostPDUs, s.lostRecords, lost.String())
	}
	s.event(SevInfo, EventLongRetryLeave, msg)
}

// destroy gives up p (final timeout in long retry mode).
func (s *Sender) destroy(p *pending) {
	delete(s.unacked, p.id)
	s.stats.Destroyed[p.typ]++
	s.stats.DestroyedRecords[p.typ] += p.records
	s.lostPDUs++
	s.lostRecords += p.records
	s.lostPerType[p.typ]++
	if s.onDestroy != nil {
		if _, payload, err := ParseFrame(p.frame); err == nil {
			s.onDestroy(p.typ, payload)
		}
	}
	if s.lostPDUs == 1 {
		s.event(SevError, EventDestroyed, fmt.Sprintf("%sdestroying PDUs older than the final timeout %v in long retry mode, first PDU %d (%s, %d records, built %v ago); totals come when the collector answers again",
			s.prefix(), time.Duration(s.cfg.FinalTimeoutNs), p.id, p.typ, p.records, time.Duration(s.clock-p.buildNs)))
	}
	s.release(p)
}

func (s *Sender) prefix() string {
	if s.cfg.Collector == "" {
		return ""
	}
	return "collector " + s.cfg.Collector + ": "
}

func (s *Sender) event(sev uint8, kind, msg string) {
	if s.onEvent != nil {
		s.events = append(s.events, senderEvent{timeNs: s.clock, sev: sev, kind: kind, msg: msg})
	}
}

// deliver hands queued events to OnEvent once the state is settled.
func (s *Sender) deliver() {
	if s.inLoop || s.delivering || len(s.events) == 0 || s.onEvent == nil {
		return
	}
	s.delivering = true
	for i := 0; i < len(s.events); i++ {
		e := s.events[i]
		s.onEvent(e.timeNs, e.sev, e.kind, e.msg)
	}
	s.events = s.events[:0]
	s.delivering = false
}
