package collector

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// badPDUs counts a probe's PDUs whose records did not decode, reported
// as one event per drain (never one per PDU: a flood of forged frames must
// not become a flood of rows).
type badPDUs struct {
	n       uint64
	firstNs int64
	first   string
	// unclean: a probe_restart followed a run that did not end cleanly
	// (no final report): a warning; after clean ends only, info.
	unclean bool
}

// badRecords counts an undecodable PDU of h's probe.
func (c *Collector) badRecords(h pdu.Header, err error) {
	if c.bad == nil {
		c.bad = map[uint16]*badPDUs{}
	}
	b := c.bad[h.ProbeID]
	if b == nil {
		b = &badPDUs{firstNs: h.BuildTimeNs, first: fmt.Sprintf("PDU %d (%s): %v", h.ID, h.Type, err)}
		c.bad[h.ProbeID] = b
	}
	b.n++
}

// maxProbeEvents bounds the per-probe pdu_bad_records and probe_restart
// events of one drain; beyond it one event sums up the others (a flood
// of forged frames from phantom probes must not become a flood of rows).
const maxProbeEvents = 16

// restarted counts a new run (epoch) of h's probe, reported at the drain
// (probe_restart), and logs it at once: the first new run of a probe
// since the last drain, of at most maxProbeEvents probes. Called before
// followRun: p.run is still the previous run. A new run after one whose
// final report arrived (a clean end: a probe run again on the next
// capture, a restart after an upgrade) is normal, said as info; after one
// that did not end cleanly (killed, crashed, or still sending), a warning.
func (c *Collector) restarted(h pdu.Header, base uint64) {
	p := c.probe(h.ProbeID)
	clean := p.run.seen && p.finalID != 0 && p.finalEpoch == p.run.epoch
	if c.restarts == nil {
		c.restarts = map[uint16]*badPDUs{}
	}
	r := c.restarts[h.ProbeID]
	if r == nil {
		r = &badPDUs{firstNs: h.BuildTimeNs}
		c.restarts[h.ProbeID] = r
	}
	r.n++
	r.first = fmt.Sprintf("run epoch %d, ids offset by %d", h.Epoch, base)
	if clean {
		r.first += ", after a clean end (the previous run's final report arrived)"
	} else {
		r.first += ", after a run that did not end cleanly (no final report)"
		r.unclean = true
	}
	if r.n == 1 && len(c.restarts) <= maxProbeEvents { // forged epochs cannot flood the log
		if clean {
			c.say(slog.LevelInfo, "probe started a new run after a clean end", "probe", p.name, "id", h.ProbeID, "epoch", h.Epoch)
		} else {
			c.say(slog.LevelWarn, "probe restarted: a new run, the previous one did not end cleanly", "probe", p.name, "id", h.ProbeID, "epoch", h.Epoch)
		}
	}
}

// reportBad turns the undecodable PDUs, the probe restarts and the probe
// runs ended without their final report counted since the last drain into
// events: one per probe, or one in all past
// maxProbeEvents probes.
func (c *Collector) reportBad() {
	for _, k := range []struct {
		m                       map[uint16]*badPDUs
		Kind, Severity, Message string // Message: one probe's event (refgen reads these keys)
		all                     string
	}{
		{m: c.bad, Kind: "pdu_bad_records", Severity: observe.SevError, Message: "probe %s: %d PDU[s] with records that do not decode ([its|their] rows are missing); first %s",
			all: "%d PDUs of %d probes with records that do not decode (their rows are missing); first from probe %s: %s"},
		{m: c.restarts, Kind: "probe_restart", Severity: observe.SevWarning, Message: "probe %s restarted: %d new run[s] since the last report, each de-duplicated on its own; latest %s",
			all: "%d restarts of %d probes; first probe %s: %s"},
		{m: c.incomplete, Kind: "probe_run_incomplete", Severity: observe.SevWarning, Message: "probe %s: a run ended without its final report (killed, crashed, or the report never arrived): %d flow[s] still open in it never got [its|their] final totals; %s",
			all: "%d flows still open in the runs of %d probes that ended without their final report never got their final totals; first probe %s: %s"},
	} {
		if len(k.m) == 0 {
			continue // nothing to say: no sorted list of none (issue 14: 3 allocations a drain)
		}
		ids := slices.Sorted(maps.Keys(k.m))
		// probe_restart: info when every run before a new one ended cleanly
		sev := func(unclean bool) string {
			if k.Kind == "probe_restart" && !unclean {
				return observe.SevInfo
			}
			return k.Severity
		}
		if len(ids) <= maxProbeEvents {
			for _, id := range ids {
				b := k.m[id]
				c.batch.Events = append(c.batch.Events, observe.Event{Time: b.firstNs, Source: "collector", Kind: k.Kind, Severity: sev(b.unclean),
					Message: fmt.Sprintf(pkt.Nouns(b.n, k.Message), c.probe(id).ref, b.n, b.first), Count: b.n})
			}
		} else {
			var n uint64
			unclean := false
			first := k.m[ids[0]]
			for _, id := range ids {
				n += k.m[id].n
				unclean = unclean || k.m[id].unclean
			}
			c.batch.Events = append(c.batch.Events, observe.Event{Time: first.firstNs, Source: "collector", Kind: k.Kind, Severity: sev(unclean),
				Message: fmt.Sprintf(k.all, n, len(ids), c.probe(ids[0]).ref, first.first), Count: n})
		}
		clear(k.m)
	}
}

func (c *Collector) event(t int64, sev, kind, msg string) {
	c.batch.Events = append(c.batch.Events, observe.Event{Time: t, Source: "collector", Kind: kind, Severity: sev, Message: msg})
}

// ReportRefused turns the frames refused since the previous report (d:
// the difference of two pdu.ReceiverStats) into one pdu_refused event at
// collector time nowNs, with every reason's count: an event per
// interval, never one per frame (issue 13).
func (c *Collector) ReportRefused(nowNs int64, d pdu.ReceiverStats) {
	c.wallNs = max(c.wallNs, nowNs)
	n := d.Refused()
	if n == 0 {
		return
	}
	c.batch.Events = append(c.batch.Events, observe.Event{Time: nowNs, Source: "collector", Kind: "pdu_refused", Severity: observe.SevWarning,
		Message: pkt.Nouns(n, fmt.Sprintf("%d frame[s] refused: %s", n, refusedReasons(d))), Count: n})
}

// refusedReasons says why the frames of d were refused, with every
// reason's count ("3 bad CRC, 2 bad or missing HMAC tag").
func refusedReasons(d pdu.ReceiverStats) string {
	var parts []string
	for _, r := range []struct {
		n    uint64
		what string
	}{{d.BadCRC, "bad CRC"}, {d.Garbage, "not a frame"}, {d.OldVersion, "other wire format version (upgrade the probe)"},
		{d.Unknown, "probe not in the config"}, {d.BadAuth, "bad or missing HMAC tag"}, {d.ClosedEpoch, "closed probe epoch (replayed or stale)"},
		{d.ProbesFull, "too many probes"}, {d.TooOld, "too old for their probe run (replayed or withheld)"}} {
		if r.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", r.n, r.what))
		}
	}
	return strings.Join(parts, ", ")
}

// Liveness turns probes that fell silent for afterNs (no PDU, no
// heartbeat) at collector time nowNs, and probes that spoke again, into
// events (design 4.1: "the probe alive time is refreshed"). A probe whose
// run finished (its final report and everything before it arrived) is
// silent by design: no event.
//
// A probe run under a configuration the collector does not run is said
// once afterNs passed without the collector switching to it
// (probe_config_mismatch, reportConfig).
func (c *Collector) Liveness(nowNs, afterNs int64) {
	c.wallNs = max(c.wallNs, nowNs)
	defer c.reportConfig(nowNs, afterNs, false)
	c.rx.Liveness(nowNs, afterNs, func(id uint16, lastNs int64, silent bool) {
		p := c.probe(id)
		if silent && p.finished {
			p.quietEnd = true // its run ended: silence is expected
			return
		}
		if !silent && p.quietEnd {
			p.quietEnd = false
			return
		}
		if silent {
			c.event(nowNs, observe.SevWarning, "probe_silent", fmt.Sprintf("probe %s silent since %s", p.ref, time.Unix(0, lastNs).UTC().Format(time.RFC3339Nano)))
			c.say(slog.LevelWarn, "probe silent: disconnected?", "probe", p.name, "id", id, "since", time.Unix(0, lastNs).UTC())
		} else {
			c.event(nowNs, observe.SevInfo, "probe_alive", fmt.Sprintf("probe %s sends again", p.ref))
			c.say(slog.LevelInfo, "probe sends again", "probe", p.name, "id", id)
		}
	})
}

// Event records a collector-side event (e.g. a truncated capture reported
// by the replay driver) at capture time t.
func (c *Collector) Event(t int64, sev, kind, msg string) { c.event(t, sev, kind, msg) }

// EventCount is Event with the count of things the event reports
// (events.count).
func (c *Collector) EventCount(t int64, sev, kind, msg string, n uint64) {
	c.batch.Events = append(c.batch.Events, observe.Event{Time: t, Source: "collector", Kind: kind, Severity: sev, Message: msg, Count: n})
}

// duplicateRun reports that h, a frame of an older run of its probe,
// came long after a newer run began
// (pdu.ErrDuplicateRun): two probe processes send under one name. The
// receiver closed the older run (its PDUs are refused from now on, never
// acknowledged, so that probe warns and retries); one
// probe_duplicate_name event each time, one log line per probe.
func (c *Collector) duplicateRun(h pdu.Header) {
	p := c.probe(h.ProbeID)
	newer, _ := c.rx.CurrentEpoch(h.ProbeID)
	c.event(h.BuildTimeNs, observe.SevError, "probe_duplicate_name", fmt.Sprintf("probe %s: two probes run under this name: run epoch %d still sends after run epoch %d began (the probe_restart was not a restart); the older run's PDUs are refused from now on, and the rows of both before this are mixed under one name: give each probe its own name", p.ref, h.Epoch, newer))
	if c.dupSaid[h.ProbeID] {
		return
	}
	if c.dupSaid == nil {
		c.dupSaid = map[uint16]bool{}
	}
	c.dupSaid[h.ProbeID] = true
	c.say(slog.LevelError, "two probes run under one name: the older run's PDUs are refused (give each probe its own name)", "probe", p.name, "id", h.ProbeID, "older_epoch", h.Epoch, "newer_epoch", newer)
}

// nameConflictAdvice says how a probe_name_conflict comes about and goes
// away (the event's message says it too, written out for the events
// reference): the collector's state in --out keeps the names its probe
// ids had.
const nameConflictAdvice = "two probes named alike, or the config's probes list reordered while the collector remembers the old order, in its --out: give each probe its own name, keep the list's order, or start the collector on a new --out"

// nameTaken reports whether another probe id already introduced itself
// with name (a Hello): then h's Hello is refused with a
// probe_name_conflict event and a warning in the log, and h's probe is
// named by its placeholder probe-<id> in the rows (the caller takes its
// interfaces: its rows are written, not held for a name). Two ids under
// one name would share its flow ids (each id numbers its first run from
// 0): the flows, connections and sessions of both would become one (found
// by FuzzApply). It happens when the probes list of the config is
// reordered while a collector runs (a listed probe's id is its position),
// or with two probes given one name.
func (c *Collector) nameTaken(h pdu.Header, name string) bool {
	for id, o := range c.probes {
		if id != h.ProbeID && o.hello && o.name == name {
			c.event(h.BuildTimeNs, observe.SevError, "probe_name_conflict", fmt.Sprintf("probe id %d introduced itself as %s, the name of probe id %d: its rows are under probe-%d (two probes named alike, or the config's probes list reordered while the collector remembers the old order, in its --out: give each probe its own name, keep the list's order, or start the collector on a new --out)", h.ProbeID, name, id, h.ProbeID))
			c.say(slog.LevelWarn, "probe name taken by another probe id: its rows are under probe-"+strconv.Itoa(int(h.ProbeID))+" ("+nameConflictAdvice+")", "probe", name, "id", h.ProbeID, "taken_by", id)
			return true
		}
	}
	return false
}

// list notes the names of cfg's probes by wire id (nil: none).
func (c *Collector) list(cfg *config.Config) {
	c.listed = map[uint16]string{}
	if cfg != nil {
		for _, p := range cfg.Probes {
			c.listed[cfg.ProbeID(p.Name)] = p.Name
		}
	}
}

// probeName is the name of wire id in this collector's probes list, or
// "probe-<id>" for an id it does not list.
func (c *Collector) probeName(id uint16) string {
	if n, ok := c.listed[id]; ok {
		return n
	}
	return "probe-" + strconv.Itoa(int(id))
}

// keyMismatch is the message of a probe_key_mismatch event: frames of
// wire id m.Claimed carry the key of m.KeyOf (pdu.KeyMismatch).
func (c *Collector) keyMismatch(m pdu.KeyMismatch) string {
	name := c.probeName
	return fmt.Sprintf("frames claiming wire id %d (%s in this collector's probes list) carry the HMAC key of %s (wire id %d): probe %s numbers itself by another probes list (order or names); give the probes and the collector the same list. Its frames are refused until then",
		m.Claimed, name(m.Claimed), name(m.KeyOf), m.KeyOf, name(m.KeyOf))
}
