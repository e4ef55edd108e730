package pdu

// UnackedHeaders returns the headers of the PDUs sent or queued that wait
// for an acknowledgement (not those in the spool, never sent): at the end
// of an in-process run the pipeline asks the collector which of them it
// received (their acknowledgements lost) and which never reached it. It
// allocates: not for the hot path.
func (s *Sender) UnackedHeaders() []Header {
	hs := make([]Header, 0, len(s.unacked))
	for id, p := range s.unacked {
		hs = append(hs, Header{Type: p.typ, ProbeID: s.probeID, Epoch: s.cfg.Epoch, ID: id, BuildTimeNs: p.buildNs})
	}
	return hs
}

// Channel returns the channel's probe wire id and run epoch (Unix ns): the
// pair a collector knows the probe's run by.
func (s *Sender) Channel() (probeID uint16, epoch int64) { return s.probeID, s.cfg.Epoch }
