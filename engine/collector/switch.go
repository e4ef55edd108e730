package collector

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Switch puts a new configuration version in effect (design 1.6: a
// switch-over of the probes and the collector together, a short glitch).
// What the collector takes from a configuration is its one-way classes
// (design 4.3): the reconcilers of the running version are flushed (every
// open record classified and written, with their oneway_totals events, as
// at Finish) and those of cfg replace them, each given the one-way flows
// of its class already defined (same collector-wide ids). Observations go
// to the new reconcilers from then on; those of a class cfg does not
// reconcile are dropped. The probes' runs begun before the switch (before
// valid_from, or heard from before the switch when it has none) end under
// the version that stops: the new reconcilers wait for each probe's next
// run (an earlier run's end would have made them take every packet missing
// at its hops for one nobody watched, its watermark for one lost), unless
// such a run goes on past the switch by more than the one-way timeout (a
// probe that refused the new version or never got it): they then follow
// it, with a oneway_probe_not_switched warning. A run that said it is
// under cfg (pdu.RunConfig: cfg.Hash()) is of cfg, whenever it began or
// was heard from. Everything else (probe runs, flows, their rows) goes
// on. Errors: a one-way class of cfg the reconciler cannot run; the
// collector is then unchanged.
func (c *Collector) Switch(cfg *config.Config) error { return c.switchTo(cfg, cfg.Hash()) }

// switchTo is Switch with the configuration's hash given: the journal's
// record has the keys redacted, so its hash is said apart (switchRecord).
func (c *Collector) switchTo(cfg *config.Config, hash string) error {
	old := c.ow.recs
	c.ow.recs = map[string]*oneway.Reconciler{}
	err := c.setupOneway(cfg)
	fresh := c.ow.recs
	c.ow.recs = old
	if err != nil {
		return err
	}
	c.flushOneway()
	clear(c.ow.told) // the new reconcilers count from 0
	c.rx.MaxAgeNs = pdu.CollectorMaxAgeNs(cfg)
	c.list(cfg)
	c.setInterval(cfg)
	c.setConfig(cfg, hash)
	ow := c.ow
	ow.recs = fresh
	clear(ow.routes)
	// The runs begun before the switch end under the version that stops
	// (their probes restart with cfg): neither their progress nor their
	// ends tell the new reconcilers how far a hop has reported. A run that
	// began at or after valid_from is already of cfg (it reached the
	// collector first).
	vf, timed := cfg.ValidFromNs()
	ow.switchAt, ow.timed, ow.switchHash = cmp.Or(vf, c.lastNs), timed, hash
	clear(ow.follow)
	for pid := range c.probes {
		if run, ok := c.rx.CurrentEpoch(pid); ok && (!timed || run < vf) {
			ow.before[pid] = run // a run that says it is of cfg is followed all the same (preSwitch)
		}
	}
	// The flows already defined, in probe-flow order (a journal replay
	// defines them in the same order).
	keys := slices.SortedFunc(maps.Keys(ow.defs), func(a, b flowKey) int {
		return cmp.Or(cmp.Compare(a.probe, b.probe), cmp.Compare(a.id, b.id))
	})
	// The ids the new reconcilers take are kept, and only those: a one-way
	// flow no probe flow defines any more, or of a class cfg does not
	// reconcile, is numbered anew should it come back (ids stay within
	// the reconcilers' bounds); one the old reconciler had no room for
	// is numbered now if the new one has.
	kept := map[owKey]uint64{}
	for _, fk := range keys {
		k := ow.defs[fk].key
		rec := fresh[k.class]
		if _, done := kept[k]; rec == nil || done || !rec.Room() {
			continue
		}
		id, ok := ow.ids[k]
		name, named := "", false
		if ok && old[k.class] != nil {
			name, named = old[k.class].FlowName(id)
		}
		if !ok {
			ow.next++
			id = ow.next
		}
		if f, open := c.flows.Get(fk); !named && open && f.class != 0 { // a flow the old reconciler did not hold
			def := f.def(c, fk.id)
			name = FlowName(&def)
		}
		kept[k] = id
		rec.DefineFlow(id, name) // the one-way flow's own name: the probe flow that defined it first may be written and deleted
	}
	ow.ids = kept
	return nil
}

// Switch puts cfg in effect in the running collector at wall time nowNs
// (Unix ns; design 1.6), between two frames: the probes' keys (nil: no
// authentication), Collector.Switch, then the probes it accepts (probes:
// config.ProbeID of its probes; nil: any; a probe whose key changed keeps
// its previous key for its runs begun before, for pdu.KeyGraceNs:
// pdu.Receiver.SetKeysAt, said by probe_key_previous events); from is the hash of the
// version that stops. A durable server journals the switch (the
// effective YAML of cfg, so that a replay switches at the same point) and
// checkpoints at once, so that a restart with the new version restores a
// state of that version. It adds the config_switch_stop event at nowNs
// and config_switch_start 1 ns after it (the events table, sorted by time
// then kind, would read start before stop). Errors: those of SetKeysAt (nothing
// changed) and Collector.Switch (only the keys changed: validate cfg with
// New first), or of the journal (the server then stops
// as at any journal failure).
func (s *Server) Switch(nowNs int64, cfg *config.Config, from string, probes []uint16, keys map[uint16][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The mismatches found under the list that stops are said with its
	// names; SetKeys forgets them (the new list may pair the same ids
	// otherwise).
	s.sayKeyMismatches(nowNs)
	s.sayKeyMissing(nowNs)
	if err := s.coll.rx.SetKeysAt(nowNs, keys); err != nil { // the probes' runs of the version that stops keep their keys a while
		return err
	}
	s.keyMisSaid, s.noKeySaid = 0, 0
	s.coll.wallNs = max(s.coll.wallNs, nowNs) // the flushed reconcilers' oneway_totals when nothing was received
	if err := s.coll.Switch(cfg); err != nil {
		return err
	}
	s.record(recSwitch, switchRecord(cfg))
	s.coll.SetProbes(probes)
	for i, e := range []struct{ sev, kind, msg string }{
		{observe.SevWarning, "config_switch_stop", fmt.Sprintf("configuration %s stops: %s takes effect (one-way reconcilers flushed and restarted: a short glitch)", from, cfg.Hash())},
		{observe.SevInfo, "config_switch_start", cfg.InEffect(from)},
	} {
		t := pkt.AddNs(nowNs, int64(i))
		s.recordEvent(t, e.sev, e.kind, e.msg, 0)
		s.coll.Event(t, e.sev, e.kind, e.msg)
	}
	if s.dur != nil && !s.isFailed() {
		if err := s.checkpointLocked(); err != nil {
			s.fail(err)
			return err
		}
	}
	return nil
}

// switchHashLine starts a Switch record: the configuration's hash (a YAML
// comment, which Parse skips). Records of this version hash the text
// that follows (config.Hash counts keys as redacted); earlier ones
// hashed the keys' text, so the record carries the hash it was taken
// with.
const switchHashLine = "# config_hash "

// switchRecord is the body of a Switch record: the hash of cfg, then its
// effective YAML with the probes' keys redacted (config.RedactedYAML: the
// journal is a file of the output, and the keys are set apart, SetKeys).
func switchRecord(cfg *config.Config) []byte {
	return append([]byte(switchHashLine+cfg.Hash()+"\n"), cfg.RedactedYAML()...)
}

// replaySwitch is the journal replay of a Switch record (switchRecord; a
// record of a version before it, the YAML alone with its keys, is its own
// hash).
func (c *Collector) replaySwitch(body []byte) error {
	cfg, err := config.Parse(body, "journal")
	if err != nil {
		return fmt.Errorf("%w: switch record: %v", journal.ErrCorrupt, err)
	}
	hash := cfg.Hash()
	if rest, ok := bytes.CutPrefix(body, []byte(switchHashLine)); ok {
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		hash = string(line)
	}
	return c.switchTo(cfg, hash)
}
