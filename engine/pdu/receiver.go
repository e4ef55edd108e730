package pdu

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"math/bits"
	"slices"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// ReceiverStats counts what a collector received. Every frame is counted
// once in Frames and, unless accepted, duplicate or heartbeat, in exactly
// one refusal counter (Refused sums them).
type ReceiverStats struct {
	Frames     uint64 // frames handed to Check (Handle)
	Accepted   uint64 // new, valid PDUs
	Duplicates uint64 // valid PDUs already received (acknowledged again)
	Bytes      uint64 // bytes of accepted PDUs
	Heartbeats uint64 // valid heartbeats (never acknowledged)
	// Bad counts frames failing structural checks (never acknowledged):
	// BadCRC + OldVersion + Garbage.
	Bad        uint64
	BadCRC     uint64 // CRC-32C mismatch: line errors, truncation, tampering
	OldVersion uint64 // another wire format version: a probe older or newer than this collector
	Garbage    uint64 // not a frame: too short, no magic, bad flags, length or type
	// Unknown counts frames of probes the collector does not accept: not
	// among SetProbes' ids, or without a key when keys are set.
	Unknown uint64
	BadAuth uint64 // frames with a missing or wrong HMAC tag, or a tag the receiver has no key to check (never acknowledged)
	// NoKey counts the frames of BadAuth (and Unknown) that carry an HMAC
	// tag while the receiver has no key for their probe: the probe has a
	// key, the collector none for it (KeyMissing names them). Not a
	// refusal reason of its own: Refused does not add it.
	NoKey uint64
	// PrevKey counts the frames whose tag Check verified with their
	// probe's previous key after a key change (SetKeysAt, KeyGraceNs): the
	// last frames of the probe's runs begun before it. Not a counter of
	// its own either: Accept counts each as any frame that passed Check.
	PrevKey uint64
	// ClosedEpoch counts frames of a probe run (epoch) the collector closed
	// or that is older than a run it already saw: replayed or very late
	// frames, and those of a run closed as a duplicate (ErrDuplicateRun;
	// never acknowledged).
	ClosedEpoch uint64
	ProbesFull  uint64 // frames of new probes refused past MaxProbes (open collectors)
	// TooOld counts frames a keyed receiver refused for their age: built
	// more than MaxAgeNs before the newest frame of their probe run
	// (replayed or withheld frames; never acknowledged).
	TooOld uint64
	// Skipped counts PDU ids the de-duplication window passed over without
	// receiving them: ids below a heartbeat's low watermark (the probe
	// destroyed them) or dropped by the window bound (MaxWindow).
	Skipped uint64
	// Restarts counts new epochs of probes already seen (probe restarts);
	// EpochsClosed the epochs closed (superseded and silent for
	// EpochGraceNs, or beyond MaxEpochs).
	Restarts     uint64
	EpochsClosed uint64
}

// Refused returns the frames refused for any reason (never acknowledged).
func (s ReceiverStats) Refused() uint64 {
	return s.Bad + s.Unknown + s.BadAuth + s.ClosedEpoch + s.ProbesFull + s.TooOld
}

// Bounds of the Receiver's state.
const (
	// MaxWindow bounds the out-of-order PDU ids remembered per probe run:
	// an id more than MaxWindow above the window's low edge moves the edge
	// up, giving up the missing ids in between (counted in Skipped), so a
	// hostile or broken probe cannot grow the collector's memory. A window
	// costs MaxWindow bits (8 KiB), and only once ids arrive out of order.
	MaxWindow = 1 << 16
	// MaxEpochs bounds the runs (epochs) of one probe whose windows are
	// kept open; a newer run beyond it closes the oldest.
	MaxEpochs = 4
	// DefaultMaxProbes bounds the probes a collector open to any probe
	// follows (Receiver.MaxProbes).
	DefaultMaxProbes = 1024
	// RunShift places a probe run's ordinal above the ids the probe assigns
	// (flows, connections, sessions: below 2^48 per run): the collector
	// adds run << RunShift to them, so runs never share an id: run r's ids
	// lie in [r·2^48, (r+1)·2^48). The ordinal keeps its low 16 bits (the
	// shift drops the others): a probe's 65,537th run numbers as its first
	// (docs/tables.md, flows).
	RunShift = 48
	// DuplicateRunNs: a frame of a superseded run (epoch) of a probe that
	// comes this long (collector time) or more after the newer run's
	// first frame is not a frame left in flight by a restart, since a
	// stopped or killed probe sends nothing more: two probe processes run
	// under one name (ErrDuplicateRun). Far above any reordering of a
	// path.
	DuplicateRunNs = 2e9
	// DefaultEpochGraceNs: an epoch superseded by a newer run of its probe
	// is closed once silent this long (collector time): longer than the
	// final timeout (10 min) plus the longest retry period of the default
	// regulation, so no PDU its probe could still send is refused.
	DefaultEpochGraceNs = 15 * 60e9
)

// window is the de-duplication state of one run (epoch) of one probe.
type window struct {
	epoch   int64
	base    uint64   // offset of the run's probe ids in the output (run ordinal << 48)
	low     uint32   // every id <= low was received or given up
	bits    []uint64 // ids in (low, low+MaxWindow] received, bit id%MaxWindow; nil while none
	nseen   int      // bits set
	lastNs  int64    // latest frame time
	firstNs int64    // time of the run's first frame
	newest  int64    // latest build time (probe clock) of the run's frames
}

func (w *window) has(id uint32) bool {
	if id <= w.low || w.bits == nil || id-w.low > MaxWindow {
		return id <= w.low
	}
	i := id % MaxWindow
	return w.bits[i/64]&(1<<(i%64)) != 0
}

func (w *window) flip(id uint32) {
	if w.bits == nil {
		w.bits = make([]uint64, MaxWindow/64)
	}
	i := id % MaxWindow
	w.bits[i/64] ^= 1 << (i % 64)
}

// probeState is what the receiver knows of one probe: its open runs,
// oldest first (the last is the current one), and its liveness.
type probeState struct {
	closed int64 // epochs <= closed are refused (math.MinInt64 while none was closed)
	runs   uint32
	wins   []*window
	lastNs int64
	silent bool
}

// Receiver validates, authenticates, acknowledges and de-duplicates PDUs
// at the collector (design 4.1) and follows each probe's liveness. Its
// work has two steps: Check, stateless (structure, CRC, version, probe
// accepted, tag), and Accept, which de-duplicates per (probe, epoch) and
// builds the acknowledgement; Handle does both. It is not safe for
// concurrent use.
//
// Replay protection: a frame is accepted once per (probe, epoch, PDU id).
// A probe run's epoch is its start time, so a newer run has a greater
// epoch: the first frame of a new epoch opens a window (Verdict.Restart
// if the probe was seen before), frames of an epoch older than every open
// window are refused (ErrClosedEpoch), and a superseded epoch closes once
// silent for EpochGraceNs or when more than MaxEpochs are open. With keys,
// a frame is also bound to time: one built more than MaxAgeNs before the
// newest frame of its run is refused (ErrTooOld). State returns
// everything to persist across collector restarts.
type Receiver struct {
	probes map[uint16]*probeState
	keys   map[uint16]*Key // nil: no authentication
	// secrets are the keys' secrets (SetKeysAt compares them); prev the
	// probes' previous keys after a key change, prevHdr the frame Check
	// last accepted under one when prevOK (keygrace.go).
	secrets map[uint16][]byte
	prev    map[uint16]*prevKey
	// prevFrames counts per probe, in id order, the frames accepted
	// under a previous key (PrevKeyFrames)
	prevFrames []ProbeCount
	prevHdr    Header
	prevOK     bool
	// Frames with a wrong tag are tried with the other probes' keys
	// (otherKey): keyTries counts the tries per claimed id, mismatches the
	// pairs found.
	keyTries   map[uint16]int
	mismatches []KeyMismatch
	allow      map[uint16]struct{} // nil: any probe (up to MaxProbes)
	stats      ReceiverStats
	ack        []byte
	epoch      int64
	// noKey lists the probes whose tagged frames came while the receiver
	// had no key for them, in the order found (at most maxNoKey).
	noKey []uint16
	// MaxProbes bounds the probes followed when the receiver is open to
	// any probe (no SetProbes, no keys); default DefaultMaxProbes.
	MaxProbes int
	// EpochGraceNs: see DefaultEpochGraceNs (0 takes it).
	EpochGraceNs int64
	// MaxAgeNs bounds, with keys set, how much older than the newest frame
	// of its probe run (by their build times, both on the probe's clock:
	// capture time in a replay, wall clock live) a frame may be; older
	// ones are refused (ErrTooOld, TooOld), duplicates included. Exempt:
	// heartbeats, permanent types (Permanent) and frames with FlagKept,
	// which the sender retries however old. 0 takes DefaultMaxAgeNs;
	// negative: no bound. Set it to MaxFrameAgeNs of the probes'
	// regulation. Unkeyed receivers never check it: a forged frame could
	// move the newest time.
	MaxAgeNs int64
}

// DefaultMaxAgeNs is MaxFrameAgeNs of the default regulation (742.25 s).
var DefaultMaxAgeNs = MaxFrameAgeNs(DefaultSenderConfig())

// SetEpoch makes every acknowledgement carry epoch (the collector's state
// epoch): probes that see it change re-send their definitions, so a
// collector that lost its state loses no flow definitions.
func (r *Receiver) SetEpoch(epoch int64) { r.epoch = epoch }

// NewReceiver returns an empty Receiver accepting unauthenticated frames
// from any probe (until SetKeys or SetProbes).
func NewReceiver() *Receiver {
	return &Receiver{probes: map[uint16]*probeState{}, MaxProbes: DefaultMaxProbes, EpochGraceNs: DefaultEpochGraceNs}
}

// SetKeys turns authentication on: from now on only frames from the
// probes in keys (probe id -> shared secret, from the config), tagged with
// the probe's key, are accepted, and their acknowledgements are tagged
// with it. Others are counted (Unknown, BadAuth) and dropped, never
// acknowledged. A nil map turns authentication off. The key mismatches
// found under the previous keys are forgotten (KeyMismatches starts
// again), and so are the previous keys SetKeysAt kept. Error: ErrKey for
// an empty secret (nothing is changed then).
func (r *Receiver) SetKeys(keys map[uint16][]byte) error {
	r.prev, r.prevOK = nil, false
	if keys == nil {
		r.keys, r.secrets, r.noKey = nil, nil, nil
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
	r.keys, r.secrets, r.keyTries, r.mismatches, r.noKey = ks, maps.Clone(keys), nil, nil, nil
	return nil
}

// KeyMismatch is a probe numbered by another probes list than the
// collector's: frames claiming wire id Claimed carry the HMAC tag of the
// key of wire id KeyOf (config.ProbeID counts a probe's place in the
// list, config.ProbeKeys gives each id its probe's key).
type KeyMismatch struct {
	Claimed, KeyOf uint16
}

// maxKeyTries bounds the frames of one claimed probe id tried with every
// other key, so that forged frames cannot make each refusal cost one HMAC
// per probe for long.
const maxKeyTries = 8

// otherKey tries a frame whose tag failed with the keys of the other
// probes, for the first maxKeyTries such frames of its claimed id: a key
// that verifies it is a KeyMismatch, noted once.
func (r *Receiver) otherKey(claimed uint16, frame []byte) {
	if r.keyTries == nil {
		r.keyTries = map[uint16]int{}
	}
	if r.keyTries[claimed] >= maxKeyTries {
		return
	}
	r.keyTries[claimed]++
	for _, id := range slices.Sorted(maps.Keys(r.keys)) {
		if id != claimed && r.keys[id].Verify(frame) == nil {
			m := KeyMismatch{Claimed: claimed, KeyOf: id}
			if !slices.Contains(r.mismatches, m) {
				r.mismatches = append(r.mismatches, m)
			}
			r.keyTries[claimed] = maxKeyTries // found: no more tries
			return
		}
	}
}

// maxNoKey bounds the probes KeyMissing lists: an open collector may get
// tagged frames forged under any id.
const maxNoKey = 64

// keyMissing notes probe, which tags its frames while the receiver has no
// key for it.
func (r *Receiver) keyMissing(probe uint16) {
	r.stats.NoKey++
	if len(r.noKey) < maxNoKey && !slices.Contains(r.noKey, probe) {
		r.noKey = append(r.noKey, probe)
	}
}

// KeyMissing returns the probes that sent HMAC-tagged frames while the
// receiver had no key for them, since the last SetKeys, in the order
// found (the slice only grows until then, to at most 64 probes; a caller
// reports those past the ones it saw). Their frames are refused: the
// receiver cannot check the tag nor tag the acknowledgement, which the
// probe would refuse, so it would count written data as lost.
func (r *Receiver) KeyMissing() []uint16 { return r.noKey }

// KeyMismatches returns the mismatches found since the last SetKeys, in
// the order found (the slice only grows until then; a caller reports those
// past the ones it saw).
func (r *Receiver) KeyMismatches() []KeyMismatch { return r.mismatches }

// SetProbes restricts the receiver to the probes with these wire ids
// (those of the config): frames of others are counted in Unknown, never
// acknowledged. nil opens it to any probe, up to MaxProbes.
func (r *Receiver) SetProbes(ids []uint16) {
	if ids == nil {
		r.allow = nil
		return
	}
	r.allow = make(map[uint16]struct{}, len(ids))
	for _, id := range ids {
		r.allow[id] = struct{}{}
	}
}

// Open reports whether the receiver accepts any probe (no SetProbes list
// and no keys).
func (r *Receiver) Open() bool { return r.allow == nil && r.keys == nil }

// Stats returns the counters.
func (r *Receiver) Stats() ReceiverStats { return r.stats }

// Verdict is what Accept decided for a checked frame.
type Verdict struct {
	// Ack is the acknowledgement to send back (nil for heartbeats: design
	// 4.1 acknowledges everything but empty heartbeats); valid until the
	// next call.
	Ack []byte
	// Fresh is true for a PDU not received before (heartbeats never are).
	Fresh bool
	// Restart is true for the first frame of a new run (epoch) of a probe
	// already seen: the collector reports a probe_restart event.
	Restart bool
	// Base offsets the ids the probe assigns in this run (flows,
	// connections, sessions) in the output: run ordinal << 48, 0 for the
	// first run the collector sees, so two runs never share an id.
	Base uint64
}

// Check does the stateless half of the reception: structure, CRC and
// version (ParseFrame), type sanity, accepted probe and tag. It counts the
// frame in Frames and a refused frame in its counter, and returns the
// header and payload (borrowed from frame). Errors: those of ParseFrame,
// ErrCorrupt for an ack or a malformed heartbeat, ErrUnknownProbe,
// ErrAuth (also for a tagged frame of a probe the receiver has no key for,
// counted in NoKey too: KeyMissing). The frame's build time is taken as
// the collector's time (as Handle does); CheckAt takes the collector's
// clock.
func (r *Receiver) Check(frame []byte) (Header, []byte, error) { return r.check(frame, 0, false) }

// CheckAt is Check for a frame received at collector time nowNs (Unix
// ns), which bounds a probe's previous key (SetKeysAt, KeyGraceNs).
func (r *Receiver) CheckAt(nowNs int64, frame []byte) (Header, []byte, error) {
	return r.check(frame, nowNs, true)
}

func (r *Receiver) check(frame []byte, nowNs int64, timed bool) (Header, []byte, error) {
	r.stats.Frames++
	r.prevOK = false
	h, payload, err := ParseFrame(frame)
	if err == nil && (h.Type == TypeAck || h.Type == TypeHeartbeat && len(payload) != 0 && len(payload) != 4) {
		err = ErrCorrupt
	}
	if err != nil {
		r.stats.Bad++
		switch {
		case errors.Is(err, ErrCRC):
			r.stats.BadCRC++
		case errors.Is(err, ErrVersion):
			r.stats.OldVersion++
		default:
			r.stats.Garbage++
		}
		return h, nil, err
	}
	if r.allow != nil {
		if _, ok := r.allow[h.ProbeID]; !ok {
			r.stats.Unknown++
			return h, nil, ErrUnknownProbe
		}
	}
	if r.keys == nil && h.Flags&FlagHMAC != 0 {
		// The probe has a key, this receiver none: accepting would write
		// rows whose untagged acknowledgements the probe refuses, so it
		// retries, then destroys (counts as lost) what was written.
		r.stats.BadAuth++
		r.keyMissing(h.ProbeID)
		return h, nil, ErrAuth
	}
	if r.keys != nil {
		k := r.keys[h.ProbeID]
		if k == nil {
			r.stats.Unknown++
			if h.Flags&FlagHMAC != 0 {
				r.keyMissing(h.ProbeID)
			}
			return h, nil, ErrUnknownProbe
		}
		if err := k.Verify(frame); err != nil {
			if !timed {
				nowNs = h.BuildTimeNs
			}
			if r.prevVerify(h, frame, nowNs) {
				return h, payload, nil
			}
			r.stats.BadAuth++
			r.otherKey(h.ProbeID, frame)
			return h, nil, err
		}
	}
	return h, payload, nil
}

// Accept does the stateful half for a frame Check passed, received at
// collector time nowNs: epoch windows, de-duplication, liveness, the
// acknowledgement. It depends only on its arguments and the receiver's
// state, so a collector replaying its log gets the same verdicts. Errors
// (the frame is refused, not acknowledged): ErrClosedEpoch, ErrProbesFull.
// frameLen counts in Bytes.
func (r *Receiver) Accept(nowNs int64, h Header, payload []byte, frameLen int) (Verdict, error) {
	var v Verdict
	p := r.probes[h.ProbeID]
	if p == nil {
		if r.Open() && len(r.probes) >= max(r.MaxProbes, 1) {
			r.stats.ProbesFull++
			return v, ErrProbesFull
		}
		p = &probeState{closed: math.MinInt64, lastNs: nowNs}
		r.probes[h.ProbeID] = p
	}
	if r.tooOld(p, h) {
		r.stats.TooOld++
		return v, ErrTooOld
	}
	w, restart, err := r.window(p, h.Epoch, nowNs)
	if err != nil {
		r.stats.ClosedEpoch++
		return v, err
	}
	w.newest = max(w.newest, h.BuildTimeNs)
	v.Restart, v.Base = restart, w.base
	p.lastNs = max(p.lastNs, nowNs)
	w.lastNs = max(w.lastNs, nowNs)
	r.closeStale(p, nowNs)
	if h.Type == TypeHeartbeat {
		r.stats.Heartbeats++
		if len(payload) == 4 {
			if wm := binary.BigEndian.Uint32(payload); wm > 0 {
				r.giveUp(w, wm-1)
			}
		}
		return v, nil
	}
	r.ack = appendAck(r.ack[:0], h.ProbeID, h.Epoch, h.ID, r.epoch, r.ackKey(h))
	v.Ack = r.ack
	if w.has(h.ID) {
		r.stats.Duplicates++
		return v, nil
	}
	if h.ID-w.low > MaxWindow { // keep id inside the window: give up the oldest missing ids
		r.giveUp(w, h.ID-MaxWindow)
	}
	if h.ID == w.low+1 {
		w.low++
		r.extend(w)
	} else {
		w.flip(h.ID)
		w.nseen++
	}
	r.stats.Accepted++
	r.stats.Bytes += uint64(frameLen)
	v.Fresh = true
	return v, nil
}

// tooOld reports whether h, a frame of probe p, is older than MaxAgeNs
// before the newest frame of its run (see MaxAgeNs).
func (r *Receiver) tooOld(p *probeState, h Header) bool {
	bound := r.MaxAgeNs
	if bound == 0 {
		bound = DefaultMaxAgeNs
	}
	if r.keys == nil || bound <= 0 || h.Type == TypeHeartbeat || Permanent(h.Type) || h.Flags&FlagKept != 0 {
		return false
	}
	for _, w := range p.wins {
		if w.epoch == h.Epoch {
			return h.BuildTimeNs < w.newest && pkt.SubNs(w.newest, h.BuildTimeNs) > bound
		}
	}
	return false
}

// window returns the open window of epoch, opening a new one for a newer
// epoch (restart reports a probe seen before), at collector time nowNs.
// A superseded epoch that speaks DuplicateRunNs after the newest began is
// a second probe under the same id: it is closed with every older one
// (ErrDuplicateRun), and the newest run alone is taken from then on.
func (r *Receiver) window(p *probeState, epoch int64, nowNs int64) (w *window, restart bool, err error) {
	if epoch <= p.closed {
		return nil, false, ErrClosedEpoch
	}
	for i := len(p.wins) - 1; i >= 0; i-- {
		if p.wins[i].epoch != epoch {
			continue
		}
		if n := len(p.wins); i < n-1 && nowNs-p.wins[n-1].firstNs >= DuplicateRunNs {
			for p.wins[0].epoch <= epoch {
				r.closeFirst(p)
			}
			return nil, false, ErrDuplicateRun
		}
		return p.wins[i], false, nil
	}
	if n := len(p.wins); n > 0 && epoch < p.wins[n-1].epoch {
		return nil, false, ErrClosedEpoch // older than the current run and never seen
	}
	restart = p.runs > 0
	if restart {
		r.stats.Restarts++
	}
	w = &window{epoch: epoch, base: uint64(p.runs) << RunShift, firstNs: nowNs}
	p.runs++
	p.wins = append(p.wins, w)
	if len(p.wins) > MaxEpochs {
		r.closeFirst(p)
	}
	return w, restart, nil
}

// closeFirst closes the oldest open epoch of p.
func (r *Receiver) closeFirst(p *probeState) {
	p.closed = max(p.closed, p.wins[0].epoch)
	p.wins[0] = nil
	p.wins = p.wins[1:]
	r.stats.EpochsClosed++
}

// closeStale closes the superseded epochs of p silent for EpochGraceNs
// at nowNs, oldest first.
func (r *Receiver) closeStale(p *probeState, nowNs int64) {
	grace := r.EpochGraceNs
	if grace <= 0 {
		grace = DefaultEpochGraceNs
	}
	for len(p.wins) > 1 && nowNs-p.wins[0].lastNs >= grace {
		r.closeFirst(p)
	}
}

// Handle checks and accepts one frame, taking its build time as the
// probe's latest sign of life (HandleAt takes the collector's clock
// instead). It returns the acknowledgement to send back (nil for refused
// frames and heartbeats), the header and payload, and fresh=true if the
// PDU was not received before. ack and payload are valid until the next
// call. Errors: those of Check and Accept.
func (r *Receiver) Handle(frame []byte) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	return r.handle(frame, 0, false)
}

// HandleAt is Handle for a frame received at collector time nowNs (ns).
func (r *Receiver) HandleAt(nowNs int64, frame []byte) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	return r.handle(frame, nowNs, true)
}

func (r *Receiver) handle(frame []byte, nowNs int64, timed bool) (ack []byte, h Header, payload []byte, fresh bool, err error) {
	h, payload, err = r.check(frame, nowNs, timed)
	if err != nil {
		return nil, h, nil, false, err
	}
	if !timed {
		nowNs = h.BuildTimeNs
	}
	v, err := r.Accept(nowNs, h, payload, len(frame))
	if err != nil {
		return nil, h, nil, false, err
	}
	return v.Ack, h, payload, v.Fresh, nil
}

// extend moves the window over consecutive received ids.
func (r *Receiver) extend(w *window) {
	for w.nseen > 0 && w.has(w.low+1) {
		w.flip(w.low + 1)
		w.nseen--
		w.low++
	}
}

// giveUp moves the window's low edge to low: ids up to it never received
// are counted as skipped, and later copies of them are duplicates.
func (r *Receiver) giveUp(w *window, low uint32) {
	if low <= w.low {
		return
	}
	span := uint64(low - w.low)
	had := uint64(0)
	if w.nseen > 0 {
		if span >= MaxWindow {
			for _, b := range w.bits {
				had += uint64(bits.OnesCount64(b))
			}
			clear(w.bits)
		} else {
			for id := w.low + 1; id != low+1; id++ {
				if w.has(id) {
					w.flip(id)
					had++
				}
			}
		}
		w.nseen -= int(had)
	}
	r.stats.Skipped += span - had
	w.low = low
	r.extend(w)
}

// Liveness reports each probe whose state changed since the previous call:
// silent=true when no valid frame (heartbeats included) came for afterNs
// at collector time nowNs, silent=false when it spoke again. lastNs is the
// time of its latest frame. Probes are visited in id order. Superseded
// epochs silent for EpochGraceNs are closed on the way.
func (r *Receiver) Liveness(nowNs, afterNs int64, fn func(probe uint16, lastNs int64, silent bool)) {
	for _, id := range slices.Sorted(maps.Keys(r.probes)) {
		p := r.probes[id]
		r.closeStale(p, nowNs)
		if silent := nowNs-p.lastNs >= afterNs; silent != p.silent {
			p.silent = silent
			fn(id, p.lastNs, silent)
		}
	}
}

// CurrentEpoch returns the newest open run (epoch) of probe, false if
// none.
func (r *Receiver) CurrentEpoch(probe uint16) (int64, bool) {
	if p := r.probes[probe]; p != nil && len(p.wins) > 0 {
		return p.wins[len(p.wins)-1].epoch, true
	}
	return 0, false
}

// LastSeen returns the time of probe's latest valid frame, false if none
// came.
func (r *Receiver) LastSeen(probe uint16) (int64, bool) {
	if p := r.probes[probe]; p != nil {
		return p.lastNs, true
	}
	return 0, false
}

// Refuses reports whether Accept would refuse a frame of h (ErrClosedEpoch,
// ErrProbesFull) without changing any state but a counter: a journal need
// not keep it. A frame Accept refuses with ErrDuplicateRun changes the
// state (it closes runs): Refuses says false for it.
func (r *Receiver) Refuses(h Header) bool {
	p := r.probes[h.ProbeID]
	if p == nil {
		return r.Open() && len(r.probes) >= max(r.MaxProbes, 1)
	}
	if h.Epoch <= p.closed || r.tooOld(p, h) {
		return true
	}
	for _, w := range p.wins {
		if w.epoch == h.Epoch {
			return false
		}
	}
	return len(p.wins) > 0 && h.Epoch < p.wins[len(p.wins)-1].epoch
}

// Seen reports whether the PDU of h (probe, epoch, id) was already
// received or given up: Accept would take it as a duplicate.
func (r *Receiver) Seen(h Header) bool {
	if p := r.probes[h.ProbeID]; p != nil {
		for _, w := range p.wins {
			if w.epoch == h.Epoch {
				return w.has(h.ID)
			}
		}
	}
	return false
}

// Low returns, for a probe's run (epoch), the PDU id below which every
// PDU was received or given up (0 when none yet or the run is not open):
// the collector's watermark of what can no longer arrive late.
func (r *Receiver) Low(probe uint16, epoch int64) uint32 {
	if p := r.probes[probe]; p != nil {
		for _, w := range p.wins {
			if w.epoch == epoch {
				return w.low
			}
		}
	}
	return 0
}
