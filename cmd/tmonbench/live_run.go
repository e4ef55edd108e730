package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/syncio"
	"github.com/tmonbench/tmonbench/live"
)

// liveRun is a live capture's engines: one pipeline run per configuration
// version (design 1.6: a switch-over is a stop and a start of the probe
// and the collector together, a short glitch marked by events).
type liveRun struct {
	name    string
	ifNames []string
	src     *live.Source
	infos   []live.Info
	ss      *switchSource
	sink    observe.Sink
	tick    <-chan time.Time
	h       *health
	snap    *observe.Latest // --metrics and --tui read it; nil: no snapshots
	log     *slog.Logger
	stderr  io.Writer      // the warnings and the switch-over lines (--tui: held)
	feed    *liveFeed      // --tui
	notice  string         // --tui: the capture's first warning, for the TUI's status line
	workers int            // --workers: probe.Workers (0: the probe in the engines' goroutine)
	idBase  uint64         // the last run's highest id: the next run's ids follow (probe.Identity.IDBase)
	owBase  uint64         // the last run's highest one-way flow id: the next run's follow (pipeline.Options.OnewayIDBase)
	running *config.Config // the version in force (run, keysInPlace)
	// setConfig records the configuration in force in run.json (at each
	// switch-over); nil: not recorded.
	setConfig func(hash, text string, since time.Time) error
}

// run runs the engines until the source ends, switching configuration
// versions as they come due.
func (l *liveRun) run(ctx context.Context, cfg *config.Config) (*pipeline.Result, error) {
	var total *pipeline.Result
	var prev *config.Config // the version before a switch-over, until the new one's run started
	started := ""
	l.ss.inPlace = l.keysInPlace
	for {
		l.running = cfg
		colls, err := pipeline.Collectors(cfg)
		if err != nil && prev == nil {
			return total, err
		}
		announce := started // config_switch_start, at the run's first periodic work
		stopSaid := false   // config_switch_stop, at its last (the wake-up before a switch-over)
		var res *pipeline.Result
		if err == nil { // else the new version's collectors cannot run: the previous one goes on
			res, err = l.runOnce(ctx, cfg, colls, &announce, &stopSaid)
		}
		if res == nil && err != nil && prev != nil {
			// The new version's engines could not start (acceptConfig
			// should have refused it): the capture goes on under the
			// previous one, to its summary and capture_stop, not ended
			// with an error and neither.
			l.ss.sw.refuse(prev, fmt.Sprintf("configuration %s could not start: %s: configuration %s goes on", cfg.Hash(), userMessage("live", err), prev.Hash()))
			cfg, prev, started = prev, nil, ""
			l.recordConfig(cfg)
			continue
		}
		cfg = l.running // a key-only version taken during the run
		total = addResults(total, res)
		if res != nil && len(res.LastIDs) > 0 {
			l.idBase = res.LastIDs[0] // (probe, flow_id) stays unique across switch-overs
		}
		if res != nil {
			l.owBase = max(l.owBase, res.LastOnewayID) // and (class, flow_id) of the one-way tables
		}
		if err != nil || res.Interrupted || l.ss.next == nil || l.ss.ended {
			return total, err
		}
		started = l.ss.next.InEffect(replacing(cfg, l.ss.next))
		sayConfigSwitch(l.stderr, "live", started)
		prev, cfg, l.ss.next = cfg, l.ss.next, nil
		l.recordConfig(cfg)
	}
}

// runOnce runs the engines under one configuration version, cfg, until
// the source ends or a new version is due; announce is the
// config_switch_start message to give at its first periodic work (""
// none), stopSaid whether config_switch_stop was given.
func (l *liveRun) runOnce(ctx context.Context, cfg *config.Config, colls []pipeline.Collector, announce *string, stopSaid *bool) (*pipeline.Result, error) {
	return pipeline.Run(ctx, l.inputs(), pipeline.Options{
		Config:       cfg,
		Probes:       []probe.Identity{{Name: l.name, Interfaces: l.ifNames, IDBase: l.idBase}},
		OnewayIDBase: l.owBase,
		Collectors:   colls,
		Merge:        l.merge,
		Wall:         idleClock(l.src),
		Parallel:     true,
		Workers:      l.workers,
		Sink:         l.sink,
		SinkTick:     l.tick,
		Health: func(event func(int, uint8, string, string, uint64)) {
			if *announce != "" {
				event(0, pdu.SevInfo, "config_switch_start", *announce, 0) // info, as the probe's and collector's
				*announce = ""
			}
			if l.ss.sw != nil {
				for _, e := range l.ss.sw.drainEvents() {
					e.say(l.stderr, "live")
					event(0, e.Severity, e.Kind, e.Message, 0)
				}
			}
			l.h.check(wallNs(), func(sev uint8, kind, msg string, n uint64) { event(0, sev, kind, msg, n) })
			if next := l.ss.next; next != nil && !*stopSaid { // the wake-up before the run ends (switchSource)
				*stopSaid = true
				event(0, pdu.SevWarning, "config_switch_stop", fmt.Sprintf("configuration %s stops: %s takes effect (probe and collector restart: a short glitch)", cfg.Hash(), next.Hash()), 0)
			}
		},
		Snapshot: l.snap,
		Kernel:   kernelCounters(l.src),
		State:    "capturing",
		// an abort (a second stop signal) is the live probe's, not a replay's
		RunSource: "probe:" + l.name,
		RunWhat:   "live capture on " + strings.Join(l.ifNames, ", "),
		ProbeHow:  "live --name NAME",
		End: func(event func(int, uint8, string, string, uint64)) {
			if l.ss.next != nil && !l.ss.ended { // a switch-over: the capture goes on
				return
			}
			// the capture's end, at the probe's clock before its probe_stop
			ev := func(sev uint8, kind, msg string, n uint64) { event(0, sev, kind, msg, n) }
			l.h.final(ev)
			l.h.stopEvents(l.infos, ev)
		},
		Log: l.log,
	})
}

// merge is the one merged source of the capture.
func (l *liveRun) merge(...pkt.Source) pipeline.Merged { return &liveMerged{Source: l.ss} }

// kernelCounters fills snapshots' kernel capture counters from src, per
// interface (pipeline.Options.Kernel, probe.RunOptions.Kernel); the
// source's interfaces beyond the inputs (the second port of a --pair, one
// probe interface IF1+IF2) add to the last input.
func kernelCounters(src *live.Source) func(in []observe.InputCounters) {
	return func(in []observe.InputCounters) {
		if len(in) == 0 {
			return
		}
		for i, s := range src.Stats() {
			x := &in[min(i, len(in)-1)]
			if i < len(in) {
				x.KernelPackets, x.KernelDrops, x.KernelFreezes = 0, 0, 0
			}
			x.KernelPackets += int64(s.KernelPackets)
			x.KernelDrops += int64(s.Drops)
			x.KernelFreezes += int64(s.Freezes)
		}
	}
}

// runTUI runs the capture under the TUI (--tui) over out: quitting the
// TUI stops the capture as SIGTERM does. What the engines would log
// meanwhile is printed after.
func (l *liveRun) runTUI(ctx context.Context, cfg *config.Config, out string, stdout, stderr io.Writer) (res *pipeline.Result, err error) {
	if l.snap == nil {
		l.snap = &observe.Latest{}
	}
	l.feed = &liveFeed{snap: l.snap, intervalS: cfg.IntervalS, notice: l.notice}
	buf := &syncio.Writer{} // held while the TUI has the terminal
	l.log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l.h.links.stderr, l.stderr = buf, buf
	defer buf.FlushTo(stderr)
	uiErr := withTUI(out, cfg, l.feed, stdout, nil, l.src.Stop, func() {
		res, err = l.run(ctx, cfg)
		l.feed.done.Store(true)
	})
	if err == nil {
		err = uiErr
	}
	return res, err
}

// inputs routes every interface of the source to the one probe.
func (l *liveRun) inputs() []pipeline.Input {
	var in []pipeline.Input
	for i := range l.ifNames {
		in = append(in, pipeline.Input{Source: l.src, Probe: 0, Iface: uint16(i)})
	}
	return in
}

// addResults sums the packet counts and flows of the runs for the summary.
func addResults(total, r *pipeline.Result) *pipeline.Result {
	if total == nil || r == nil {
		if r == nil {
			return total
		}
		return r
	}
	total.Packets += r.Packets
	total.Bytes += r.Bytes
	total.Interrupted = r.Interrupted
	for i := range total.Probes {
		if i < len(r.Probes) {
			total.Probes[i].Flows += r.Probes[i].Flows
		}
	}
	return total
}
