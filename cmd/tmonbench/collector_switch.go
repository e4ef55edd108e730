package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// acceptedProbes returns the wire ids of the probes a collector accepts
// (nil with anyProbe: any). Error: a config that lists no probes.
func acceptedProbes(cfg *config.Config, anyProbe bool) ([]uint16, error) {
	if anyProbe {
		return nil, nil
	}
	var ids []uint16
	for _, p := range cfg.Probes {
		ids = append(ids, cfg.ProbeID(p.Name))
	}
	if len(ids) == 0 {
		return nil, usageErr("collector: the config lists no probes (probes: [{name: A}, ...]): a collector accepts only the probes it names; --any-probe accepts any")
	}
	return ids, nil
}

// collectorAddr is the address a config gives its (first) collector.
func collectorAddr(cfg *config.Config) string {
	if len(cfg.Collectors) > 0 {
		return cfg.Collectors[0].Address
	}
	return ""
}

// noListenErr is the usage mistake of a collector with no address to
// listen on: no --listen, and a config naming no collector. Without
// --config (a trial's bare `tmonbench collector`) the file is what is
// missing: it also lists the probes the collector accepts.
func noListenErr(cfgPath string) error {
	if cfgPath == "" {
		return usageErr("collector: --config FILE is missing: the probes it accepts (probes:) and where it listens (collectors[0].address, or --listen ADDR)")
	}
	return usageErr("collector: %s names no collector: --listen ADDR is required (or collectors[0].address in the config)", cfgPath)
}

// collectorWatch applies the new versions of a collector process's
// watched --config (design 1.6), as `probe -i` and `live` do: a version is
// validated when saved (config_rejected or config_accepted events) and
// put in effect at its valid_from (at once without one) by
// collector.Server.Switch, between two frames (config_switch_stop and
// config_switch_start). Its one-way classes, probes and keys change; the
// listening address does not (a version that moves it without --listen
// is rejected: that needs a restart). run.json is rewritten with the
// version in force at each switch.
type collectorWatch struct {
	sw       *switcher
	srv      *collector.Server
	app      *store.Appender
	cfg      *config.Config // the version in effect
	anyProbe bool
	log      *slog.Logger
	stderr   io.Writer // a rejected version and the switch-over, one line each
	stop     func()    // ends the ticking
}

// watchCollector starts watching path for srv, which runs cfg and writes
// to app, until ctx ends or close; listen is the --listen flag ("" when
// the address comes from the config).
func watchCollector(ctx context.Context, path string, cfg *config.Config, listen string, anyProbe bool, srv *collector.Server, app *store.Appender, log *slog.Logger, stderr io.Writer) (*collectorWatch, error) {
	w := &collectorWatch{srv: srv, app: app, cfg: cfg, anyProbe: anyProbe, log: log, stderr: stderr}
	sw, err := watchConfig(path, cfg, func(c *config.Config) error {
		if _, err := acceptedProbes(c, anyProbe); err != nil {
			return err
		}
		coll, err := collector.New(c, nil)
		if err != nil {
			return err
		}
		if err := coll.SetKeys(c.ProbeKeys()); err != nil {
			return fmt.Errorf("collector: probe keys: %w", err)
		}
		if listen == "" && collectorAddr(c) != collectorAddr(cfg) {
			return fmt.Errorf("collector: collectors[0].address %q: this collector listens on %q (a new address needs a restart)", collectorAddr(c), collectorAddr(cfg))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.sw = sw
	w.stop = syncio.Ticking(switchPoll, func(time.Time) bool {
		if ctx.Err() != nil {
			return true
		}
		w.tick()
		return false
	})
	return w, nil
}

// switchPoll is how often the watcher's events and due versions are
// looked at: the most a switch-over comes after its valid_from.
const switchPoll = 20 * time.Millisecond

// tick forwards the watcher's events and switches to a version now due.
func (w *collectorWatch) tick() {
	now := time.Now().UnixNano()
	for _, e := range w.sw.drainEvents() {
		e.say(w.stderr, "collector")
		w.srv.Event(now, pdu.SeverityName(e.Severity), e.Kind, e.Message)
	}
	next := w.sw.due(now)
	if next == nil {
		return
	}
	ids, _ := acceptedProbes(next, w.anyProbe) // checked when accepted
	if err := w.srv.Switch(now, next, replacing(w.cfg, next), ids, next.ProbeKeys()); err != nil {
		w.log.Error("collector: configuration switch-over failed: the previous version goes on", "config", next.Hash(), "err", err)
		return
	}
	sayConfigSwitch(w.stderr, "collector", next.InEffect(replacing(w.cfg, next)))
	w.cfg = next
	if err := w.app.SetConfig(next.Hash(), string(pdu.EffectiveConfig(next).RedactedYAML()), time.Unix(0, now).UTC()); err != nil {
		w.log.Error("collector: run.json does not show the configuration in force", "config", next.Hash(), "err", err)
	}
}

// close stops watching.
func (w *collectorWatch) close() {
	w.stop()
	w.sw.close()
}

// closeAppender closes the output a collector or live capture appended
// to, its run.json saying when it finished (the wall clock, as a
// replay's).
func closeAppender(app *store.Appender) error {
	app.SetFinished(time.Now().UTC())
	return app.Close()
}
