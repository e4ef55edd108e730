package main

import (
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// keysInPlace takes next without a restart when it changes only probe
// keys (its hash, which leaves keys out, is the running version's; the
// watcher told them apart by versionOf): live's probe and collector are
// in one process and the link their keys sign never leaves it, so nothing
// they write depends on the keys. It says so in a config_switch_start
// event and line, and returns whether it took next. A probe -i or a
// collector process restarts or re-keys instead: their keys sign or check
// datagrams on the network (docs/live.md).
func (l *liveRun) keysInPlace(next *config.Config) bool {
	if next.Hash() != l.running.Hash() {
		return false
	}
	msg := next.InEffect(l.running.Hash() + " (its probe keys before the change; applied without a restart: the keys sign only live's in-process link)")
	l.running = next
	l.ss.sw.note(pdu.SevInfo, "config_switch_start", msg)
	sayConfigSwitch(l.stderr, "live", msg)
	return true
}

// recordConfig records cfg as the configuration in force in run.json.
func (l *liveRun) recordConfig(cfg *config.Config) {
	if l.setConfig != nil {
		if err := l.setConfig(cfg.Hash(), string(pdu.EffectiveConfig(cfg).RedactedYAML()), time.Now().UTC()); err != nil {
			l.log.Error("live: run.json does not show the configuration in force", "config", cfg.Hash(), "err", err)
		}
	}
}

// liveVersionCheck is what live needs of a configuration version, at
// start and for each new version of its watched --config: --interval
// applied (interval: it holds for every version), collectors it can run
// and probe name among its probes when it lists them.
func liveVersionCheck(name string, interval func(*config.Config) error) func(*config.Config) error {
	return func(c *config.Config) error {
		if err := interval(c); err != nil {
			return err
		}
		if _, err := pipeline.Collectors(c); err != nil {
			return err
		}
		return c.ProbeUnlisted(name, "live --name NAME")
	}
}
