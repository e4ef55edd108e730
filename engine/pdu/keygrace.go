package pdu

import "bytes"

// KeyGraceNs is how long (collector time) after a key change
// (Receiver.SetKeysAt) a probe's previous key still authenticates the
// frames of its runs begun before the change. A configuration switch-over
// (design 1.6) stops every run of the old version, flushed and
// acknowledged, before the new one starts: the probe and the collector
// take the new version at the same valid_from, but each at its own next
// packet or tick, so the last PDUs of the probe's old run, signed with the
// key of that run, can reach the collector after it took the new key.
// Refused, they were lost (never acknowledged) and the probe's switch
// waited for them its whole --linger. Two minutes covers the switch of
// both sides and the old run's retries; a probe still on the old version
// after it is refused, as before.
const KeyGraceNs int64 = 120e9

// prevKey is the key a key change replaced for one probe, kept for the
// runs open at the change.
type prevKey struct {
	key     *Key
	upTo    int64 // runs (epochs) <= upTo only: those begun before the change
	untilNs int64 // collector time the grace ends (KeyGraceNs after the change)
}

// SetKeysAt is SetKeys for a key change at collector time nowNs while
// probes run (a configuration switch-over): a probe whose key changed
// keeps its previous key, for the frames of its runs begun before the
// change (epoch, the run's start on the probe's clock, before nowNs, or
// a run the receiver had heard from by then; not a later run), until
// nowNs+KeyGraceNs. A run's PDUs are all signed with the key it began
// with, and a quiet run may be heard from for the first time by its last
// PDUs, after the change. Those frames
// are accepted (counted in PrevKey) and acknowledged with the key that
// signed them, which is the one the probe's run checks acknowledgements
// with. Error: as SetKeys (nothing changed).
func (r *Receiver) SetKeysAt(nowNs int64, keys map[uint16][]byte) error {
	old, oldSecrets, oldPrev := r.keys, r.secrets, r.prev
	if err := r.SetKeys(keys); err != nil {
		return err
	}
	for id, k := range old {
		p := r.probes[id]
		switch {
		case r.keys == nil || r.keys[id] == nil:
		case bytes.Equal(oldSecrets[id], r.secrets[id]):
			if pk := oldPrev[id]; pk != nil && nowNs < pk.untilNs { // a switch-over within an earlier change's grace
				r.keepPrev(id, pk)
			}
		default:
			upTo := nowNs - 1 // runs begun before the change, by the probe's clock
			if p != nil && len(p.wins) > 0 {
				upTo = max(upTo, p.wins[len(p.wins)-1].epoch) // and those heard from before it, whatever the clocks
			}
			r.keepPrev(id, &prevKey{key: k, upTo: upTo, untilNs: nowNs + KeyGraceNs})
		}
	}
	return nil
}

func (r *Receiver) keepPrev(id uint16, pk *prevKey) {
	if r.prev == nil {
		r.prev = map[uint16]*prevKey{}
	}
	r.prev[id] = pk
}

// prevVerify reports whether frame (of header h, received at collector
// time nowNs), refused under its probe's key, carries the tag of the
// probe's previous key within its grace (SetKeysAt); the receiver then
// acknowledges it with that key (Accept).
func (r *Receiver) prevVerify(h Header, frame []byte, nowNs int64) bool {
	pk := r.prev[h.ProbeID]
	if pk == nil || h.Epoch > pk.upTo || nowNs >= pk.untilNs || pk.key.Verify(frame) != nil {
		return false
	}
	r.prevHdr, r.prevOK = h, true
	return true
}

// ackKey returns the key to tag the acknowledgement of h with: the
// previous key of its probe when Check just accepted h under it, else the
// probe's key (nil without keys).
func (r *Receiver) ackKey(h Header) *Key {
	if r.prevOK && r.prevHdr == h {
		r.prevOK = false
		return r.prev[h.ProbeID].key
	}
	if r.keys == nil {
		return nil
	}
	return r.keys[h.ProbeID]
}
