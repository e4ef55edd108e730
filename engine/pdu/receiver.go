package pdu

import (
	"encoding/binary"
	"maps"
	"slices"
)

// ReceiverStats counts what a collector received.
type ReceiverStats struct {
	Frames     uint64 // frames handed to Handle
	Accepted   uint64 // new, valid PDUs
	Duplicates uint64 // valid PDUs already received (acknowledged again)
	Bad        uint64 // frames failing CRC or sanity checks (never acknowledged)
	Bytes      uint64 // bytes of accepted PDUs
	Heartbeats uint64 // valid heartbeats (never acknowledged)
	Unknown    uint64 // frames from probes without a key, when keys are set (never acknowledged)
	BadAuth    uint64 // frames with a missing or wrong HMAC tag (never acknowledged)
	// Skipped counts PDU ids the de-duplication window passed over without
	// receiving them: ids below a heartbeat's low watermark (the probe
	// destroyed them) or dropped by the window bound (MaxWindow).
	Skipped uint64
}

// MaxWindow bounds the out-of-order PDU ids remembered per probe: past it,
// the oldest half of the missing ids is given up (counted in Skipped) so a
// hostile or broken probe cannot grow the collector's memory.
const MaxWindow = 1 << 16

type probeWindow struct {
	low    uint32              // every id <= low was received or given up
	seen   map[uint32]struct{} // ids > low received
	lastNs int64               // latest frame time
	silent bool                // last reported liveness state
}

// Receiver validates, authenticates, acknowledges and de-duplicates PDUs
// at the collector (design 4.1) and follows each probe's liveness. It is
// not safe for concurrent use.
type Receiver struct {
	probes map[uint16]*probeWindow
	keys   map[uint16]*Key // nil: no authentication
	stats  ReceiverStats
	ack    []byte
	epoch  int64
}

// SetEpoch makes every acknowledgement carry epoch (e.g. the collector's
// start time in Unix ns): probes that see it change re-send their
// definitions, so a restarted collector loses no flow definitions.
func (r *Receiver) SetEpoch(epoch int64) { r.epoch = epoch }

// NewReceiver returns an empty Receiver accepting unauthenticated frames
// from any probe (until SetKeys).
func NewReceiver() *Receiver { return &Receiver{probes: map[uint16]*probeWindow{}} }

// SetKeys turns authentication on: from now on only frames from the
// probes in keys (probe id -> shared secret, from the config), tagged with
// the probe's key, are accepted, and their acknowledgements are tagged
// with it. Others are counted (Unknown, BadAuth) and dropped, never
// acknowledged. A nil map turns authentication off. Error: ErrKey for an
// empty secret (nothing is changed then).
func (r *Receiver) SetKeys(keys map[uint16][]byte) error {
	if keys == nil {
		r.keys = nil
		return nil
	}
	ks := make(map[uint16]*Key, len(keys))
	for id, secret := range keys {
		k, err := NewKey(secret)
		if err != nil {
			return err
		}
		ks[id] = k
	}
	r.keys = ks
	return nil
}

// Stats returns the counters.
func (r *Receiver) Stats() ReceiverStats { return r.stats }

// Handle checks one frame, taking its build time as the probe's latest
// sign of life (HandleAt takes the collector's clock instead). It returns
// the acknowledgement to send back (nil for rejected frames and
// heartbeats: design 4.1 acknowledges everything but empty heartbeats),
// the header and payload, and fresh=true if the PDU was not received
// before (heartbeats are never fresh). ack and payload are valid until the
// next call. Errors: those of ParseFrame, ErrCorrupt for an ack or a
// malformed heartbeat, ErrUnknownProbe, ErrAuth.
func (r *Receiver) Handle(frame []byte) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	return r.handle(frame, 0, false)
}

// HandleAt is Handle for a frame received at collector time nowNs (ns).
func (r *Receiver) HandleAt(nowNs int64, frame []byte) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	return r.handle(frame, nowNs, true)
}

func (r *Receiver) handle(frame []byte, nowNs int64, timed bool) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	r.stats.Frames++
	h, payload, err = ParseFrame(frame)
	if err == nil && (h.Type == TypeAck || h.Type == TypeHeartbeat && len(payload) != 0 && len(payload) != 4) {
		err = ErrCorrupt
	}
	if err != nil {
		r.stats.Bad++
		return nil, h, nil, false, err
	}
	var k *Key
	if r.keys != nil {
		if k = r.keys[h.ProbeID]; k == nil {
			r.stats.Unknown++
			return nil, h, nil, false, ErrUnknownProbe
		}
		if err := k.Verify(frame); err != nil {
			r.stats.BadAuth++
			return nil, h, nil, false, err
		}
	}
	w := r.probes[h.ProbeID]
	if w == nil {
		w = &probeWindow{seen: map[uint32]struct{}{}, lastNs: h.BuildTimeNs}
		r.probes[h.ProbeID] = w
	}
	if !timed {
		nowNs = h.BuildTimeNs
	}
	w.lastNs = max(w.lastNs, nowNs)
	if h.Type == TypeHeartbeat {
		r.stats.Heartbeats++
		if len(payload) == 4 {
			if wm := binary.BigEndian.Uint32(payload); wm > 0 {
				r.giveUp(w, wm-1)
			}
		}
		return nil, h, payload, false, nil
	}
	if k != nil {
		r.ack = appendAck(r.ack[:0], h.ProbeID, h.ID, r.epoch, k)
	} else {
		r.ack = appendAck(r.ack[:0], h.ProbeID, h.ID, r.epoch, nil)
	}
	ack = r.ack
	if _, dup := w.seen[h.ID]; dup || h.ID <= w.low {
		r.stats.Duplicates++
		return ack, h, payload, false, nil
	}
	w.seen[h.ID] = struct{}{}
	r.extend(w)
	if len(w.seen) > MaxWindow {
		ids := slices.Sorted(maps.Keys(w.seen))
		r.giveUp(w, ids[len(ids)/2])
	}
	r.stats.Accepted++
	r.stats.Bytes += uint64(len(frame))
	return ack, h, payload, true, nil
}

// extend moves the window over consecutive received ids.
func (r *Receiver) extend(w *probeWindow) {
	for {
		if _, ok := w.seen[w.low+1]; !ok {
			return
		}
		delete(w.seen, w.low+1)
		w.low++
	}
}

// giveUp moves the window's low edge to low: ids up to it never received
// are counted as skipped, and later copies of them are duplicates.
func (r *Receiver) giveUp(w *probeWindow, low uint32) {
	if low <= w.low {
		return
	}
	had := uint64(0)
	for id := range w.seen {
		if id <= low {
			delete(w.seen, id)
			had++
		}
	}
	r.stats.Skipped += uint64(low-w.low) - had
	w.low = low
	r.extend(w)
}

// Liveness reports each probe whose state changed since the previous call:
// silent=true when no valid frame (heartbeats included) came for afterNs
// at collector time nowNs, silent=false when it spoke again. lastNs is the
// time of its latest frame. Probes are visited in id order.
func (r *Receiver) Liveness(nowNs, afterNs int64, fn func(probe uint16, lastNs int64, silent bool)) {
	for _, id := range slices.Sorted(maps.Keys(r.probes)) {
		w := r.probes[id]
		if silent := nowNs-w.lastNs >= afterNs; silent != w.silent {
			w.silent = silent
			fn(id, w.lastNs, silent)
		}
	}
}

// LastSeen returns the time of probe's latest valid frame, false if none
// came.
func (r *Receiver) LastSeen(probe uint16) (int64, bool) {
	if w := r.probes[probe]; w != nil {
		return w.lastNs, true
	}
	return 0, false
}

// Low returns, for a probe, the PDU id below which every PDU was received
// or given up (0 when none yet): the collector's watermark of what can no
// longer arrive late.
func (r *Receiver) Low(probe uint16) uint32 {
	if w := r.probes[probe]; w != nil {
		return w.low
	}
	return 0
}
