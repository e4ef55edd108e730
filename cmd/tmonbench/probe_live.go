package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// live runs probe -i: it captures on the interfaces of cf until SIGINT,
// SIGTERM or duration, watching the config file at path (design 1.6): a
// new version is validated at once (config_rejected, or config_accepted)
// and at its valid_from the probe stops (config_switch_stop; every
// interval, flow and PDU flushed and acknowledged) and a new one starts
// with it (config_switch_start; a new run for the collectors), from the
// packet that reached that time, sending to the collectors it names;
// check is what the probe needs of each version (probeVersionCheck: --interval applied).
func (r *probeRunner) live(cf captureFlags, path string, cfg *config.Config, duration time.Duration, check func(*config.Config) error) error {
	lc, userFilter, err := cf.liveConfig(r.stderr)
	if err != nil {
		return err
	}
	ls, infos, err := openCapture("probe", lc, r.stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	warnSelfCapture(r.stderr, r.name, cfg, lc.Interfaces) // its own PDUs on a captured interface
	r.kernel = kernelCounters(ls)
	r.wall = idleClock(ls)
	r.drops = func() (n uint64) {
		for _, s := range ls.Stats() {
			n += s.Drops
		}
		return n
	}
	feed := &probeFeed{stderr: r.stderr}
	capture := &healthSource{Source: ls, h: &health{src: ls, periodNs: int64(cfg.IntervalS * 1e9), links: newLinkWatch("probe", ls, infos, r.stderr)}, event: feed.event}
	defer capture.h.links.close()
	feed.end = func() { // as live's run ends: the last period's drops, each interface's kernel totals
		capture.h.report(feed.event)
		capture.h.stopEvents(infos, feed.event)
	}
	var src pkt.Source = capture
	if userFilter != nil {
		src = probe.NewFiltered(capture, *userFilter)
	}
	src, r.ifaces = pairInput(src, lc.Interfaces, lc.Pair)
	sw, err := watchConfig(path, cfg, check)
	if err != nil {
		return err
	}
	defer sw.close()
	feed.switchSource = &switchSource{Source: src, sw: sw, wallNs: wallNs}
	ctx, stop := stopOnSignal(ls, nil, duration, r.stderr, "probe "+r.name, fmt.Sprintf("sending the last observations (at most --linger %s)", r.linger))
	defer stop()
	r.started = func(p probe.Engine) { feed.p, feed.started = p, false }
	fmt.Fprintf(r.stdout, "tmonbench probe %s: capturing on %s (SIGINT or SIGTERM stops; %s watched)\n", r.name, strings.Join(r.ifaces, ", "), path)
	var prev *config.Config // the version before a switch-over, until the new one's run started
	for {
		res, err := r.run(ctx, cfg, feed)
		if err != nil && prev != nil {
			// The new version's probe could not start (acceptConfig should
			// have refused it): the capture goes on under the previous one.
			sw.refuse(prev, fmt.Sprintf("configuration %s could not start: %s: configuration %s goes on", cfg.Hash(), userMessage("probe", err), prev.Hash()))
			cfg, prev, feed.announce = prev, nil, ""
			capture.h.periodNs = int64(cfg.IntervalS * 1e9)
			continue
		}
		if err != nil {
			return err
		}
		next := feed.switchSource.next
		if ctx.Err() != nil || feed.switchSource.ended || next == nil {
			if err := r.unacked(ctx, res); err != nil {
				return err
			}
			return capture.h.links.goneErr("what was captured was sent")
		}
		if res.Unacked > 0 {
			warnf(r.stderr, "probe", pkt.Nouns(res.Unacked, "configuration %s stopped with %d PDU[s] unacknowledged after --linger %s%s%s"), cfg.Hash(), res.Unacked, r.linger, perCollector(res), unsentText(res))
		}
		feed.announce = next.InEffect(replacing(cfg, next))
		sayConfigSwitch(r.stderr, "probe", feed.announce)
		prev, cfg, feed.switchSource.next = cfg, next, nil
		capture.h.periodNs = int64(cfg.IntervalS * 1e9)
	}
}

// probeFeed is the source of a probe process's live runs: it reports the
// capture's and the config watcher's events as events of the probe in
// use, from its goroutine, once it has started (its first packet or idle wake-up: the
// collector knows it by then), ends a run with config_switch_stop when
// a new version is due, and the last run with the capture's end events
// (capture_drops of the last period, capture_stop per interface).
type probeFeed struct {
	*switchSource
	p        probe.Engine // the probe in use
	started  bool         // p has started (a packet or an idle wake-up: Probe.Tick)
	announce string       // config_switch_start message for p, once started
	stderr   io.Writer    // where a rejected version is said
	end      func()       // reports the end-of-capture events (capture_stop), once
	lastNs   int64        // time of the last event (event)
}

// event reports an event of the probe in use, with what it counts
// (events.count); one at the time of the one before is stamped 1 ns
// after it, as live's (pipeline), so that the events table keeps their
// order: an interface up then down in one check read down then up.
func (f *probeFeed) event(sev uint8, kind, msg string, n uint64) {
	if f.p != nil {
		f.lastNs = pkt.After(f.p.Now(), f.lastNs)
		f.p.EventCount(f.lastNs, sev, kind, msg, n)
	}
}

// Next implements pkt.Source.
func (f *probeFeed) Next() ([]byte, pkt.Meta, error) {
	if f.started {
		f.report()
	}
	data, m, err := f.switchSource.Next()
	switch {
	case err == nil, errors.Is(err, pkt.ErrIdle) && !errors.Is(err, pkt.ErrWake):
		// The engine handles a packet or ticks on an idle wake-up
		// before the next call: either starts the probe (a wake-up
		// while packets flow does not tick).
		f.started = true
	case err == io.EOF && f.switchSource.next != nil && f.started:
		f.report()
		f.event(pdu.SevWarning, "config_switch_stop", fmt.Sprintf("configuration %s takes effect: the probe stops and restarts with it (a short glitch)", f.switchSource.next.Hash()), 0)
		if f.lastNs > f.p.Now() {
			f.p.Tick(f.lastNs) // its probe_stop, at its clock, comes after these events, not 1 ns before
		}
	case err == io.EOF && f.switchSource.ended && f.end != nil:
		// the capture's end: the collector's events get capture_stop as
		// live's do, before probe_stop; a probe not started yet holds
		// them and starts at the wall clock (probe.Run)
		f.report()
		f.end()
		f.end = nil
	}
	return data, m, err
}

// report sends the pending config_switch_start and watcher events.
func (f *probeFeed) report() {
	if f.announce != "" {
		f.lastNs = max(f.lastNs, f.p.Now()) // 1 ns after the probe_start at the clock of the run's first packet or tick
		f.event(pdu.SevInfo, "config_switch_start", f.announce, 0)
		f.announce = ""
	}
	for _, e := range f.switchSource.sw.drainEvents() {
		e.say(f.stderr, "probe")
		f.event(e.Severity, e.Kind, e.Message, 0)
	}
}
