package collector

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// probeRun follows a probe's newest run (epoch) until its end: a run that
// ends without its final report (the probe killed, crashed or out of
// memory, or its report never delivered) is found when the next run
// begins or when the collector finishes (IdleExit, Finish), and said in a
// probe_run_incomplete event (endRun).
type probeRun struct {
	seen   bool   // a frame of a run was accepted
	epoch  int64  // the newest run's epoch
	base   uint64 // its id offset (pdu.Verdict.Base)
	lastNs int64  // the latest build time of its data PDUs (events, dropped notices and heartbeats left out): the probe's clock at its last observation that arrived
	ended  bool   // its end was dealt with (endRun), finished or not
}

// followRun notes a frame of h's probe accepted (base: its run's id
// offset): a newer epoch ends the run followed until then (endRun) and is
// followed from now on; a data PDU of the run followed advances its
// clock. Frames of an older run, arriving late, change nothing.
func (c *Collector) followRun(h pdu.Header, base uint64) {
	p := c.probe(h.ProbeID)
	r := &p.run
	if !r.seen || h.Epoch > r.epoch {
		c.endRun(p, "a new run (epoch "+fmt.Sprint(h.Epoch)+") began")
		*r = probeRun{seen: true, epoch: h.Epoch, base: base}
	}
	if h.Epoch == r.epoch && h.Type != pdu.TypeHeartbeat && h.Type != pdu.TypeEvents && h.Type != pdu.TypeDropped {
		r.lastNs = max(r.lastNs, h.BuildTimeNs)
	}
}

// runOpen reports whether a probe's run followed has neither sent its
// final report nor been ended (endRun): the probe may still be running,
// quiet between two PDUs (Server's IdleExit waits for it).
func (c *Collector) runOpen() bool {
	for _, p := range c.probes {
		if r := &p.run; r.seen && !r.ended && (p.finalID == 0 || p.finalEpoch != r.epoch) {
			return true
		}
	}
	return false
}

// maxLeftOutRuns bounds the runs ended without their final report a
// probe remembers (probeState.leftOut): a definition reordered across a
// restart comes within seconds, a few runs later at most.
const maxLeftOutRuns = 8

// endRuns ends the run of every probe (the collector finishes: nothing
// more of them will be written), in probe order.
func (c *Collector) endRuns() {
	for _, id := range slices.Sorted(maps.Keys(c.probes)) {
		c.endRun(c.probes[id], "the collector finished")
	}
}

// endRun deals, once, with the end of the run p follows (why: what ended
// it). A run whose final report arrived needs nothing: the PDUs before it
// that did not arrive (a gap no heartbeat closed) are those the probe's
// regulation destroyed, counted in that report (pdu_stats). One whose
// final report never came (killed, crashed) never sent the
// final totals of the flows still open in it: a flow none of whose totals
// arrived (only its definition did: it began after the run's last report
// that arrived) is left out of flows, as a 0-packet row would read as a
// measured flow that carried nothing, and is retired (a late update is
// ignored), as is a flow whose definition arrives only after the end
// (reordered across a restart: probeState.leftOut; the event's count,
// written by then, is of the flows known at the end); one whose totals of
// an earlier interval arrived is written with them at the next Drain
// (lower bounds: the packets up to that report). The next Drain says so
// in a probe_run_incomplete warning (reportBad), at the run's last
// observation that arrived, its count the open flows without their final
// totals.
func (c *Collector) endRun(p *probeState, why string) {
	r := &p.run
	if !r.seen || r.ended {
		return
	}
	r.ended = true
	if p.finalID != 0 && p.finalEpoch == r.epoch {
		return // its final report came: what it lacks, the probe destroyed and counted (pdu_stats)
	}
	p.leftOut = append(p.leftOut, r.base>>pdu.RunShift)
	if len(p.leftOut) > maxLeftOutRuns {
		p.leftOut = slices.Delete(p.leftOut, 0, len(p.leftOut)-maxLeftOutRuns)
	}
	var missing []flowKey
	var partial uint64
	for k, f := range c.flows.Probe(p.id) {
		if k.id>>pdu.RunShift != r.base>>pdu.RunShift || f.folded&flowEnded != 0 {
			continue // another run's, or ended by the probe: its totals are final
		}
		if f.packets == 0 {
			missing = append(missing, k) // a flow has one packet at least: no totals arrived
			continue
		}
		partial++
		c.markEnded(k, f)
	}
	for _, k := range missing {
		c.flows.Delete(k)
		c.retire(k)
	}
	at := r.lastNs
	if at == 0 {
		at = c.lastNs
	}
	if c.incomplete == nil {
		c.incomplete = map[uint16]*badPDUs{}
	}
	e := c.incomplete[p.id]
	if e == nil {
		e = &badPDUs{firstNs: at, first: fmt.Sprintf("run epoch %d, found as %s: what it observed after its last PDU that arrived (built at %s, the probe's clock) is missing; %d of those flows had no totals at all and are left out of flows (rtt_samples, tcp_connections, flow_counters rows of the run may name their flow_id), %d keep the totals of their last report (packets up to it)",
			r.epoch, why, time.Unix(0, at).UTC().Format(time.RFC3339Nano), len(missing), partial)}
		c.incomplete[p.id] = e
	}
	e.n += uint64(len(missing)) + partial
	if len(c.incomplete) <= maxProbeEvents { // forged epochs cannot flood the log
		c.say(slog.LevelWarn, "probe run ended without its final report: its last observations are missing", "probe", p.name, "id", p.id, "epoch", r.epoch,
			"open_flows", uint64(len(missing))+partial, "left_out_of_flows", len(missing))
	}
}
