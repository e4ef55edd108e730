package pdu

// ReceiverStats counts what a collector received.
type ReceiverStats struct {
	Frames     uint64 // frames handed to Handle
	Accepted   uint64 // new, valid PDUs
	Duplicates uint64 // valid PDUs already received (acknowledged again)
	Bad        uint64 // frames failing CRC or sanity checks (never acknowledged)
	Bytes      uint64 // bytes of accepted PDUs
}

type probeWindow struct {
	low  uint32              // every id <= low was received
	seen map[uint32]struct{} // ids > low received
}

// Receiver validates, acknowledges and de-duplicates PDUs at the collector
// (design 4.1). It is not safe for concurrent use.
type Receiver struct {
	probes map[uint16]*probeWindow
	stats  ReceiverStats
	ack    []byte
}

// NewReceiver returns an empty Receiver.
func NewReceiver() *Receiver { return &Receiver{probes: map[uint16]*probeWindow{}} }

// Stats returns the counters.
func (r *Receiver) Stats() ReceiverStats { return r.stats }

// Handle checks one frame. It returns the acknowledgement to send back (nil
// for bad frames and heartbeats: design 4.1 acknowledges everything but
// empty heartbeats), the header and payload, and fresh=true if the PDU was
// not received before. ack is valid until the next call.
func (r *Receiver) Handle(frame []byte) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	r.stats.Frames++
	h, payload, err = ParseFrame(frame)
	if err == nil && h.Type == TypeAck {
		err = ErrCorrupt
	}
	if err != nil {
		r.stats.Bad++
		return nil, h, nil, false, err
	}
	if h.Type != TypeHeartbeat {
		r.ack = AppendAck(r.ack[:0], h.ProbeID, h.ID)
		ack = r.ack
	}
	w := r.probes[h.ProbeID]
	if w == nil {
		w = &probeWindow{seen: map[uint32]struct{}{}}
		r.probes[h.ProbeID] = w
	}
	if h.ID <= w.low {
		r.stats.Duplicates++
		return ack, h, payload, false, nil
	}
	if _, dup := w.seen[h.ID]; dup {
		r.stats.Duplicates++
		return ack, h, payload, false, nil
	}
	w.seen[h.ID] = struct{}{}
	for {
		if _, ok := w.seen[w.low+1]; !ok {
			break
		}
		delete(w.seen, w.low+1)
		w.low++
	}
	r.stats.Accepted++
	r.stats.Bytes += uint64(len(frame))
	return ack, h, payload, true, nil
}
