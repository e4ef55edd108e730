package pdu

import (
	"cmp"
	"maps"
	"slices"
)

// ReceiverState is everything a Receiver knows that is not configuration
// (keys, accepted probes, epoch): what a collector persists to survive
// its own restarts without accepting a replayed frame again (issue 13).
// It is a plain value (encoding/gob).
type ReceiverState struct {
	Probes []ProbeRuns
	Stats  ReceiverStats
	// PrevKeys are the probes' previous keys a key change kept
	// (SetKeysAt), each sealed under its probe's key of then, so that a
	// collector restarted inside their grace (KeyGraceNs) keeps them to
	// its end; nil in a state saved before them.
	PrevKeys []SealedPrevKey
	// PrevFrames is PrevKeyFrames (nil in a state saved before it).
	PrevFrames []ProbeCount
}

// ProbeRuns is the state of one probe: its open runs (epochs), oldest
// first, and its liveness.
type ProbeRuns struct {
	ID     uint16
	Closed int64 // epochs at or below it are refused
	Runs   uint32
	LastNs int64
	Silent bool
	Open   []RunWindow
}

// RunWindow is the de-duplication window of one probe run.
type RunWindow struct {
	Epoch  int64
	Base   uint64
	Low    uint32
	Bits   []uint64 // nil while no id arrived out of order
	NSeen  int
	LastNs int64
	// NewestNs is the latest build time of the run's frames (the age
	// bound's reference; 0 in states saved before it).
	NewestNs int64
	// FirstNs is the time of the run's first frame (DuplicateRunNs; 0 in
	// states saved before it: LastNs is taken).
	FirstNs int64
}

// State returns a deep copy of the receiver's state, probes in id order.
func (r *Receiver) State() ReceiverState {
	st := ReceiverState{Stats: r.stats, PrevKeys: r.sealPrev(), PrevFrames: slices.Clone(r.prevFrames)}
	for _, id := range slices.Sorted(maps.Keys(r.probes)) {
		p := r.probes[id]
		pr := ProbeRuns{ID: id, Closed: p.closed, Runs: p.runs, LastNs: p.lastNs, Silent: p.silent}
		for _, w := range p.wins {
			pr.Open = append(pr.Open, RunWindow{Epoch: w.epoch, Base: w.base, Low: w.low, Bits: slices.Clone(w.bits), NSeen: w.nseen, LastNs: w.lastNs, NewestNs: w.newest, FirstNs: w.firstNs})
		}
		st.Probes = append(st.Probes, pr)
	}
	return st
}

// CountReplayed counts in Frames a frame a collector replays from its
// journal (Accept follows): Check counted it in the process that received
// it, whose counters since its last checkpoint the journal does not keep,
// so without it a restarted collector counted the replayed frames' PDUs
// (Accept) but not the frames.
func (r *Receiver) CountReplayed() { r.stats.Frames++ }

// SetState replaces the receiver's state by st (from State); the
// configuration is kept. Windows with a bitmap of the wrong size are
// taken as full (every id of the window received).
func (r *Receiver) SetState(st ReceiverState) {
	r.stats = st.Stats
	r.probes = make(map[uint16]*probeState, len(st.Probes))
	for _, pr := range st.Probes {
		p := &probeState{closed: pr.Closed, runs: pr.Runs, lastNs: pr.LastNs, silent: pr.Silent}
		for _, rw := range pr.Open {
			w := &window{epoch: rw.Epoch, base: rw.Base, low: rw.Low, nseen: rw.NSeen, lastNs: rw.LastNs, newest: rw.NewestNs, firstNs: cmp.Or(rw.FirstNs, rw.LastNs)}
			switch {
			case rw.NSeen == 0 || rw.Bits == nil:
				w.nseen = 0
			case len(rw.Bits) == MaxWindow/64:
				w.bits = slices.Clone(rw.Bits)
			default: // not ours: refuse the whole window rather than accept twice
				w.low, w.nseen = rw.Low+MaxWindow, 0
			}
			p.wins = append(p.wins, w)
		}
		r.probes[pr.ID] = p
	}
	r.prevFrames = slices.Clone(st.PrevFrames)
	r.unsealPrev(st.PrevKeys)
}
