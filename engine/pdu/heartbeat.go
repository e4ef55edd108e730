package pdu

// Heartbeats (design 3.14): an empty PDU after HeartbeatNs of silence,
// carrying the sender's low watermark.

// maxHeartbeatRun bounds the heartbeats sent across one silence of probe
// time (see run).
const maxHeartbeatRun = 360

// maxRetryRun bounds the retransmissions of one PDU across one silence of
// probe time, and maxRunRetries those of all PDUs in one call (see
// transmit): a capture stamped years ahead, or at the end of int64 time,
// costs a bounded amount of work per call.
const (
	maxRetryRun   = 360
	maxRunRetries = 1 << 16
)

// sendHeartbeat sends an empty-of-records heartbeat (not acknowledged, not
// retried). Its 4-byte payload is the low watermark: the oldest PDU id
// still pending (or the next id), every lower id being acknowledged or
// destroyed, so the collector can close its de-duplication window. Its id
// is the latest PDU id the sender gave (0: none yet) and its build time
// the sender's clock: once the collector has every PDU up to that id, it
// knows the probe observed until then (its one-way watermark moves: a
// probe on a silent link is watching, not gone; collector
// heartbeatOneway).
func (s *Sender) sendHeartbeat() { s.heartbeatAt(s.clock) }

// heartbeatAt sends a heartbeat stamped with probe time t (its
// BuildTimeNs); the channel's clock is unchanged.
func (s *Sender) heartbeatAt(t int64) {
	wm := s.nextID + 1
	for id := range s.unacked {
		wm = min(wm, id)
	}
	b := &s.heartbeatBody
	b[0], b[1], b[2], b[3] = byte(wm>>24), byte(wm>>16), byte(wm>>8), byte(wm)
	s.heartbeat = appendFrame(s.heartbeat[:0], Header{Type: TypeHeartbeat, ProbeID: s.probeID, Epoch: s.cfg.Epoch, ID: s.nextID, BuildTimeNs: t}, b[:], s.key)
	s.lastSendNs, s.hasSent = s.clock, true
	n := uint64(len(s.heartbeat))
	s.stats.Heartbeats++
	s.stats.PDUs[TypeHeartbeat]++
	s.stats.Bytes[TypeHeartbeat] += n
	s.stats.TotalBytesOut += n
	if s.cfg.OnSend != nil {
		s.cfg.OnSend(SendRecord{TimeNs: s.clock, Type: TypeHeartbeat, BuildNs: t, Try: 1, Long: s.long, Bytes: len(s.heartbeat)})
	}
	s.sendFrame(s.heartbeat)
}

// Farewell sends a last heartbeat, at probe time nowNs, once every PDU was
// acknowledged or destroyed (a probe process ending). Its low watermark
// tells the collector that the ids it never received were destroyed, so
// it finds the run finished at once (rows written, no probe_silent)
// instead of at its own end: a probe whose regulation destroyed PDUs
// after its last idle heartbeat, busy until its final report was
// acknowledged, otherwise left gaps the collector waited on forever.
// Nothing is sent while PDUs are pending or before anything was sent.
// It is stamped with the build time of the latest PDU, not with nowNs:
// the collector's one-way watermark moves with heartbeats' times, and
// the lingering that precedes the farewell runs on the wall clock, so a
// later stamp would make the collector's rows depend on how long the
// acknowledgements took.
func (s *Sender) Farewell(nowNs int64) {
	if s.Pending() > 0 || !s.hasSent {
		return
	}
	s.clock = max(s.clock, nowNs)
	s.heartbeatAt(min(s.lastBuildNs, s.clock))
}
