package pdu

import "iter"

// UnackedHeaders yields the headers of the PDUs sent or queued that wait
// for an acknowledgement (not those in the spool, never sent), in no
// particular order: at the end of an in-process run the pipeline asks the
// collector which of them it received (their acknowledgements lost) and
// which never reached it. It allocates nothing (it returned a slice it
// made, one per channel and run: TestUnackedHeadersAllocs); the sender
// must not change while the loop runs.
func (s *Sender) UnackedHeaders() iter.Seq[Header] {
	return func(yield func(Header) bool) {
		for id, p := range s.unacked {
			if !yield(Header{Type: p.typ, ProbeID: s.probeID, Epoch: s.cfg.Epoch, ID: id, BuildTimeNs: p.buildNs}) {
				return
			}
		}
	}
}

// Channel returns the channel's probe wire id and run epoch (Unix ns): the
// pair a collector knows the probe's run by.
func (s *Sender) Channel() (probeID uint16, epoch int64) { return s.probeID, s.cfg.Epoch }
