package collector

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// configMismatch is a probe run that said it runs under a configuration
// (pdu.RunConfig) this collector never ran (config.Hash of its config and
// of every version it switched to): probes and collectors share one
// config (docs/processes.md), and a probe on another file (another
// interval_s, other classes) measures what the collector does not expect.
type configMismatch struct {
	epoch   int64  // the run's
	hash    string // the run's configuration hash
	sinceNs int64  // collector wall time it was noted (0: not yet)
	said    bool   // its probe_config_mismatch was written
}

// setConfig notes that the collector runs cfg (hash: its config.Hash):
// a probe run under it, or under a version it ran before, is not a
// mismatch.
func (c *Collector) setConfig(cfg *config.Config, hash string) {
	if cfg == nil {
		return
	}
	if c.cfgHashes == nil {
		c.cfgHashes = map[string]bool{}
	}
	c.cfgHash, c.cfgHashes[hash] = hash, true
}

// noteConfig notes the configuration hash run h.Epoch of h's probe says
// it is under, a mismatch when the collector never ran it. A collector
// without a config (New(nil)) compares nothing; a late copy from an older
// run changes nothing.
func (c *Collector) noteConfig(h pdu.Header, hash string) {
	if c.cfgHash == "" {
		return
	}
	m := c.cfgMismatch[h.ProbeID]
	if m != nil && h.Epoch < m.epoch {
		return
	}
	if c.cfgHashes[hash] {
		delete(c.cfgMismatch, h.ProbeID)
		return
	}
	if m != nil && m.hash == hash {
		m.epoch = h.Epoch // the same mismatch, said once
		return
	}
	if c.cfgMismatch == nil {
		c.cfgMismatch = map[uint16]*configMismatch{}
	}
	c.cfgMismatch[h.ProbeID] = &configMismatch{epoch: h.Epoch, hash: hash}
}

// reportConfig writes a probe_config_mismatch warning and a log line for
// each probe run noted under a configuration the collector has not
// switched to within graceNs of collector wall time (nowNs) since it was
// noted, or at once when final: a probe that restarted on a watched
// config's new version may reach the collector before its own switch-over
// (TestSwitchOverProbeFirst). At most maxProbeEvents a call.
func (c *Collector) reportConfig(nowNs, graceNs int64, final bool) {
	said := 0
	for _, id := range slices.Sorted(maps.Keys(c.cfgMismatch)) {
		m := c.cfgMismatch[id]
		switch {
		case m.said:
			continue
		case c.cfgHashes[m.hash]: // the collector switched to it meanwhile
			delete(c.cfgMismatch, id)
			continue
		case m.sinceNs == 0:
			m.sinceNs = nowNs
		}
		if (!final && nowNs-m.sinceNs < graceNs) || said == maxProbeEvents {
			continue
		}
		m.said, said = true, said+1
		p := c.probe(id)
		at := nowNs
		if at == 0 {
			at = c.lastNs
		}
		c.event(at, observe.SevWarning, "probe_config_mismatch", fmt.Sprintf("probe %s runs configuration %s, this collector %s (config_hash, run.json): probes and collectors share one config (docs/processes.md); another interval_s, classes or probes list changes what the probe measures and sends: give both processes the same file", p.ref, shortHash(m.hash), shortHash(c.cfgHash)))
		c.say(slog.LevelWarn, "probe runs another configuration than this collector: give both the same config file", "probe", p.name, "id", id, "epoch", m.epoch, "probe_config", shortHash(m.hash), "collector_config", shortHash(c.cfgHash))
	}
}

// shortHash is a configuration hash's first 8 hex digits, as git
// abbreviates (enough to tell two versions apart in a message).
func shortHash(h string) string { return h[:min(len(h), 8)] }
