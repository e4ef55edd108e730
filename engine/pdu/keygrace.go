package pdu

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"
)

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
	secret  []byte // key's secret: the checkpoint keeps it sealed under the probe's key (SealedPrevKey)
	upTo    int64  // runs (epochs) <= upTo only: those begun before the change
	untilNs int64  // collector time the grace ends (KeyGraceNs after the change)
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
			r.keepPrev(id, &prevKey{key: k, secret: oldSecrets[id], upTo: upTo, untilNs: nowNs + KeyGraceNs})
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
	r.stats.PrevKey++
	i, found := slices.BinarySearchFunc(r.prevFrames, h.ProbeID, func(c ProbeCount, id uint16) int { return cmp.Compare(c.ID, id) })
	if !found {
		r.prevFrames = slices.Insert(r.prevFrames, i, ProbeCount{ID: h.ProbeID})
	}
	r.prevFrames[i].N++
	return true
}

// ProbeCount is a count of one probe's frames.
type ProbeCount struct {
	ID uint16 // the probe's wire id
	N  uint64
}

// PrevKeyFrames returns, per probe in id order, the frames accepted under
// its previous key (SetKeysAt) since the receiver began (ReceiverStats.PrevKey
// sums them). The slice is the receiver's: read it before the next call.
func (r *Receiver) PrevKeyFrames() []ProbeCount { return r.prevFrames }

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

// SealedPrevKey is a probe's previous key within its grace (SetKeysAt) as
// a collector's checkpoint keeps it: the checkpoint is a file of the
// output, where no key is written in clear (the journal's configuration
// records have theirs redacted), so the previous secret is sealed under
// the probe's current key, which the restarted collector has from its
// configuration. Sealed is the secret XOR a keystream of HMAC-SHA256 blocks
// (RFC 2104) under the current secret, over the window's fields and a
// block counter; Check is HMAC-SHA256 under the current secret of the
// fields and Sealed, truncated to TagLen bytes. A collector restarted
// with another key for the probe (a version switched to while it was
// down) cannot check it, and drops it: the grace ends then.
type SealedPrevKey struct {
	ID      uint16 // the probe's wire id
	UpTo    int64  // runs (epochs) at or below it only
	UntilNs int64  // collector time (Unix ns) the grace ends
	Sealed  []byte
	Check   []byte
}

// sealInfo is what the keystream and the check of k are computed over:
// a label, the wire id, UpTo and UntilNs.
func (k *SealedPrevKey) sealInfo(label string) []byte {
	b := append([]byte(label), byte(k.ID>>8), byte(k.ID))
	b = binary.BigEndian.AppendUint64(b, uint64(k.UpTo))
	return binary.BigEndian.AppendUint64(b, uint64(k.UntilNs))
}

// xorStream XORs b in place with the keystream of k under secret.
func (k *SealedPrevKey) xorStream(secret, b []byte) {
	info := k.sealInfo("tmonbench previous key stream")
	for i := 0; i < len(b); i += sha256.Size {
		m := hmac.New(sha256.New, secret)
		m.Write(binary.BigEndian.AppendUint32(info, uint32(i/sha256.Size)))
		for j, x := range m.Sum(nil) {
			if i+j < len(b) {
				b[i+j] ^= x
			}
		}
	}
}

// check returns the check value of k under secret.
func (k *SealedPrevKey) check(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(k.sealInfo("tmonbench previous key check"))
	m.Write(k.Sealed)
	return m.Sum(nil)[:TagLen]
}

// sealPrev returns the previous keys sealed under their probes' keys, in
// id order (State).
func (r *Receiver) sealPrev() []SealedPrevKey {
	var out []SealedPrevKey
	for _, id := range slices.Sorted(maps.Keys(r.prev)) {
		pk, cur := r.prev[id], r.secrets[id]
		if len(cur) == 0 || len(pk.secret) == 0 {
			continue
		}
		k := SealedPrevKey{ID: id, UpTo: pk.upTo, UntilNs: pk.untilNs, Sealed: slices.Clone(pk.secret)}
		k.xorStream(cur, k.Sealed)
		k.Check = k.check(cur)
		out = append(out, k)
	}
	return out
}

// unsealPrev makes the previous keys of a saved state those of the
// receiver (SetState), those its probes' keys check; the others (a probe
// with another key now, or none) are dropped.
func (r *Receiver) unsealPrev(keys []SealedPrevKey) {
	r.prev, r.prevOK = nil, false
	for _, k := range keys {
		cur := r.secrets[k.ID]
		if len(cur) == 0 || !hmac.Equal(k.check(cur), k.Check) {
			continue
		}
		secret := slices.Clone(k.Sealed)
		k.xorStream(cur, secret)
		key, err := NewKey(secret)
		if err != nil {
			continue
		}
		r.keepPrev(k.ID, &prevKey{key: key, secret: secret, upTo: k.UpTo, untilNs: k.UntilNs})
	}
}
