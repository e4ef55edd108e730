package pdu

// Link carries frames from a probe to one collector. Send must not keep
// frame after it returns (copy it). Acknowledgements come back through
// Sender.HandleAck.
type Link interface {
	Send(frame []byte)
}

// SenderConfig regulates one probe-to-collector channel (design 1.5).
// Times are in nanoseconds of the probe's clock (capture time in replay).
type SenderConfig struct {
	// MaxPDUBytes is the largest frame sent, header and CRC included.
	MaxPDUBytes int
	// MaxBuildNs flushes a PDU under construction once its first record is
	// this old.
	MaxBuildNs int64
	// RetryTimeoutNs is the acknowledgement timeout before a resend.
	RetryTimeoutNs int64
}

// DefaultSenderConfig returns 1400-byte PDUs, 1 s build time, 2 s timeout.
func DefaultSenderConfig() SenderConfig {
	return SenderConfig{MaxPDUBytes: 1400, MaxBuildNs: 1e9, RetryTimeoutNs: 2e9}
}

// SenderStats counts a channel's traffic, per PDU type.
type SenderStats struct {
	PDUs          [typeLimit]uint64 // PDUs built, per Type
	Bytes         [typeLimit]uint64 // frame bytes of first transmissions, per Type
	Records       [typeLimit]uint64 // records, per Type
	Retransmits   uint64
	RetransBytes  uint64
	Acked         uint64
	BadAcks       uint64
	Unacked       int // PDUs waiting for an acknowledgement now
	TotalBytesOut uint64
}

type building struct {
	enc     Enc
	records uint64
	mark    int
	startNs int64
}

type pending struct {
	frame    []byte
	typ      Type
	deadline int64
	tries    int
}

// Sender builds PDUs of each type and sends them reliably over a Link: a
// PDU stays queued until acknowledged and is resent after a timeout of
// probe time. It is not safe for concurrent use.
type Sender struct {
	cfg      SenderConfig
	probeID  uint16
	link     Link
	nextID   uint32
	build    [typeLimit]building
	unacked  map[uint32]*pending
	order    []uint32 // PDU ids in send order, for deterministic resends
	stats    SenderStats
	scratch  []byte
	maxBytes int
}

// NewSender returns a Sender for probeID over link.
func NewSender(cfg SenderConfig, probeID uint16, link Link) *Sender {
	if cfg.MaxPDUBytes < HeaderLen+TrailerLen+64 {
		cfg.MaxPDUBytes = HeaderLen + TrailerLen + 64
	}
	if cfg.MaxPDUBytes > HeaderLen+TrailerLen+MaxPayload {
		cfg.MaxPDUBytes = HeaderLen + TrailerLen + MaxPayload
	}
	return &Sender{cfg: cfg, probeID: probeID, link: link, unacked: map[uint32]*pending{}, maxBytes: cfg.MaxPDUBytes - HeaderLen - TrailerLen}
}

// Stats returns a copy of the channel's counters.
func (s *Sender) Stats() SenderStats {
	st := s.stats
	st.Unacked = len(s.unacked)
	return st
}

// Begin returns the encoder of the PDU of type t under construction; the
// caller appends exactly one record and then calls End(t, nowNs).
func (s *Sender) Begin(t Type, nowNs int64) *Enc {
	bd := &s.build[t]
	if len(bd.enc.B) == 0 {
		bd.startNs = nowNs
	}
	bd.mark = len(bd.enc.B)
	return &bd.enc
}

// End closes the record begun with Begin, sending the PDU if it is full.
// A record that does not fit starts the next PDU.
func (s *Sender) End(t Type, nowNs int64) {
	bd := &s.build[t]
	bd.records++
	s.stats.Records[t]++
	if len(bd.enc.B) <= s.maxBytes {
		return
	}
	if bd.mark == 0 { // a single record larger than a PDU: send it alone
		s.flush(t, nowNs)
		return
	}
	rest := append(s.scratch[:0], bd.enc.B[bd.mark:]...)
	bd.enc.B = bd.enc.B[:bd.mark]
	bd.records--
	s.flush(t, nowNs)
	bd.enc.B = append(bd.enc.B[:0], rest...)
	bd.records = 1
	bd.startNs = nowNs
	s.scratch = rest
}

// definitions are flushed before any observation PDU so the collector
// learns flows and metrics before their observations (design 3.14).
var definitions = [...]Type{TypeHello, TypeMetricDef, TypeHistDef, TypeFlowDef}

func (s *Sender) flush(t Type, nowNs int64) {
	if t != TypeHello && t != TypeMetricDef && t != TypeHistDef && t != TypeFlowDef {
		for _, d := range definitions {
			if len(s.build[d].enc.B) > 0 {
				s.flush(d, nowNs)
			}
		}
	}
	bd := &s.build[t]
	if len(bd.enc.B) == 0 && t != TypeHeartbeat {
		return
	}
	s.nextID++
	id := s.nextID
	frame := AppendFrame(make([]byte, 0, HeaderLen+len(bd.enc.B)+TrailerLen), Header{Type: t, ProbeID: s.probeID, ID: id, BuildTimeNs: nowNs}, bd.enc.B)
	bd.enc.B = bd.enc.B[:0]
	bd.records = 0
	s.stats.PDUs[t]++
	s.stats.Bytes[t] += uint64(len(frame))
	s.stats.TotalBytesOut += uint64(len(frame))
	s.unacked[id] = &pending{frame: frame, typ: t, deadline: nowNs + s.cfg.RetryTimeoutNs, tries: 1}
	s.order = append(s.order, id)
	s.link.Send(frame)
}

// Tick flushes PDUs under construction older than MaxBuildNs and resends
// unacknowledged PDUs whose timeout passed. Call it as probe time advances.
func (s *Sender) Tick(nowNs int64) {
	for t := Type(1); t < typeLimit; t++ {
		if len(s.build[t].enc.B) > 0 && nowNs-s.build[t].startNs >= s.cfg.MaxBuildNs {
			s.flush(t, nowNs)
		}
	}
	s.resend(nowNs)
}

func (s *Sender) resend(nowNs int64) {
	if len(s.unacked) == 0 {
		s.order = s.order[:0]
		return
	}
	keep := s.order[:0]
	for _, id := range s.order {
		p, ok := s.unacked[id]
		if !ok {
			continue
		}
		keep = append(keep, id)
		if nowNs >= p.deadline {
			p.tries++
			p.deadline = nowNs + s.cfg.RetryTimeoutNs
			s.stats.Retransmits++
			s.stats.RetransBytes += uint64(len(p.frame))
			s.stats.TotalBytesOut += uint64(len(p.frame))
			s.link.Send(p.frame)
		}
	}
	s.order = keep
}

// Flush sends every PDU under construction (end of input or shutdown).
func (s *Sender) Flush(nowNs int64) {
	for _, t := range definitions {
		s.flush(t, nowNs)
	}
	for t := Type(1); t < typeLimit; t++ {
		if t != TypeHeartbeat {
			s.flush(t, nowNs)
		}
	}
}

// Pending reports how many PDUs wait for an acknowledgement.
func (s *Sender) Pending() int { return len(s.unacked) }

// HandleAck processes an acknowledgement frame from the collector. Invalid
// or foreign acks are counted and ignored.
func (s *Sender) HandleAck(frame []byte) {
	probe, id, err := ParseAck(frame)
	if err != nil || probe != s.probeID {
		s.stats.BadAcks++
		return
	}
	if _, ok := s.unacked[id]; ok {
		delete(s.unacked, id)
		s.stats.Acked++
	}
}

// Loopback is the in-process Link between a probe's Sender and a
// collector: each frame is copied (probe and collector share no memory),
// handed to Deliver, and the acknowledgement Deliver returns is handed to
// Ack. Fault injection comes later (loss, duplication, outages).
type Loopback struct {
	Deliver func(frame []byte) (ack []byte)
	Ack     func(ack []byte)
	buf     []byte
}

// Send implements Link.
func (l *Loopback) Send(frame []byte) {
	l.buf = append(l.buf[:0], frame...)
	if ack := l.Deliver(l.buf); ack != nil && l.Ack != nil {
		l.Ack(ack)
	}
}
