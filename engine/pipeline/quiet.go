package pipeline

import (
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// quietNs is how long, in the run's capture time, a probe of a replay may
// have no packet before the run's clock ticks it: 100 ms, as a live
// source's idle wait (live.Config.IdleWait) and the probe's finest timer
// (unanswered requests, every 100 ms).
const quietNs = int64(100e6)

// quietTicks keeps the probes of a replay on the run's capture clock. In a
// replay every engine timer runs on capture time, and the probes of one
// replay share the run's clock (the merged captures' time): a probe whose
// capture has no packet for a stretch still watches its link, as a live
// probe on a silent link does (its idle ticks on the wall clock, Loop.Idle).
// Without a tick its clock would stand still at its last packet: the
// observations it holds in PDUs under construction (max_build_s) and its
// intervals would reach the collector only when its next packet came,
// after the collector's wait for a silent hop (oneway.Limits.SilentS),
// each one counted late (oneway_late) and made a record of its own
// (TestSilentHopReplay). So every quietNs of run time, each probe that
// started (it had a packet with a valid time), still has an input open,
// and has had no packet for quietNs is ticked at the run's time. A probe
// whose every capture ended is not ticked: it no longer watches (the
// collector waits for it as for a silent hop). Ticks depend on capture
// times only, so rows do not depend on speed, read-ahead or workers.
type quietTicks struct {
	probes []probe.Engine
	lastNs []int64      // per probe: capture time of its latest packet; 0: none yet
	inputs [][]*guarded // per probe: its inputs (a probe with none open is not ticked)
	nextNs int64        // run time of the next check
}

// newQuietTicks returns the ticker of a run of several probes, nil for
// one probe (its packets are the run's clock).
func newQuietTicks(probes []probe.Engine, inputs []Input, srcs []pkt.Source) *quietTicks {
	if len(probes) < 2 {
		return nil
	}
	q := &quietTicks{probes: probes, lastNs: make([]int64, len(probes)), inputs: make([][]*guarded, len(probes))}
	for i, in := range inputs {
		if g, ok := srcs[i].(*guarded); ok {
			q.inputs[in.Probe] = append(q.inputs[in.Probe], g)
		}
	}
	return q
}

// packet notes a packet of probe pi at capture time t (the run's clock:
// the merge hands packets in time order) and ticks the quiet probes when a
// check is due. Inlined in the feed closure but for the check (go build
// -gcflags=-m).
func (q *quietTicks) packet(pi int, t int64) {
	prev := q.lastNs[pi]
	q.lastNs[pi] = t
	if t >= q.nextNs {
		q.tick(t, pi, prev)
	}
}

// tick ticks, at run time t, every started probe with an input open and
// no packet for quietNs. A time before 1970 or after pkt.MaxTimeNs is no
// time of the run (the probe takes such a packet at the previous one's
// time): it ticks nothing, and its probe is not ticked before its next
// packet.
//
// A probe that is not quiet is settled (probe.Engine.Settle) at the time
// of its latest packet taken (prev for probe pi, whose packet at t is
// still to come): its clock does not move, but a probe on workers
// (probe.Workers) merges the packets it holds in batches (up to three of
// 1024 packets: seconds of a slow link) and sends their PDUs; a lone
// Probe has nothing held. Without it the probe's observations reached the
// collector seconds of capture time after another probe's of the same
// packets, which took it for a silent hop (oneway_hop_silent): a slow
// probe's rows depended on the number of workers (TestSilentHopHeartbeats,
// TestSilentHopReplay with 2 workers: 3144 dropped where a lone probe
// gives 2898).
func (q *quietTicks) tick(t int64, pi int, prev int64) {
	if !pkt.ValidTime(t) {
		return
	}
	q.nextNs = t + quietNs
	for i, p := range q.probes {
		last := q.lastNs[i]
		if pkt.ValidTime(last) && last != 0 && t-last >= quietNs && q.open(i) {
			p.Tick(t)
			continue
		}
		if i == pi {
			last = prev
		}
		if pkt.ValidTime(last) && last != 0 {
			p.Settle(last)
		}
	}
}

// open reports whether an input of probe i has not ended.
func (q *quietTicks) open(i int) bool {
	for _, g := range q.inputs[i] {
		if !g.done {
			return true
		}
	}
	return false
}

// captureEnded is called when an input of probe pi ends (guarded.end,
// within the merge's read of the next packet: the probe has taken every
// packet of it). Once every input of the probe has ended, the one-way
// observations it holds are sent at once, its clock unmoved
// (probe.Engine.EndCapture): a probe no longer ticked (quietTicks) would
// otherwise hold them until the run's end, after the collector's timeout
// (TestEndedCaptureNotTicked: 48 rows missed).
func (r *run) captureEnded(pi int, srcs []pkt.Source) {
	for i, in := range r.inputs {
		if g, ok := srcs[i].(*guarded); in.Probe == pi && (!ok || !g.done) {
			return
		}
	}
	r.probes[pi].EndCapture()
}
