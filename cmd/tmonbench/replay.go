package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// scanIfaces names the interfaces of a capture that is not given one
// interface (NAME/IFACE=FILE): a pcapng's if_name of each interface.
// A stream (standard input, a pipe: streamInput) cannot be read twice: it
// is one interface.
func scanIfaces(c *pipeline.Capture) error {
	if c.Iface != "" || streamInput(c.Path) {
		return nil
	}
	ifs, err := scanInterfaces(c.Path)
	if err != nil {
		return err
	}
	for _, it := range ifs {
		c.Ifaces = append(c.Ifaces, it.Name)
	}
	return nil
}

// scanInterfaces reads a capture's interfaces (replay.ScanInterfaces: the
// whole file for a pcapng); a test counts its calls.
var scanInterfaces = replay.ScanInterfaces

// cmdReplay replays captures through in-process probes and collectors
// (engine/pipeline) into a run folder (engine/store).
func cmdReplay(fs *pflag.FlagSet) (string, runFunc) {
	usage, check := replayFlags(fs)
	return usage, func(args []string, stdout, stderr io.Writer) error {
		a, err := check(stderr)
		if err != nil {
			return err
		}
		// Open every input first, in the wall time (a pcapng's interface scan can take seconds):
		// a bad file stops the run before any work. A file's interfaces are its probe's.
		started := clock()
		if a.caps, a.skipped, err = skipNotCaptures("replay", a.caps, "; event capture_skipped", stderr); err != nil { // a folder's non-captures skipped, said
			return err
		}
		probes, routes, err := assignProbes(a, stderr)
		if err != nil {
			return err
		}
		var inputs []pipeline.Input
		var files []*replay.File
		var manifestInputs []store.Input
		var indexers []fileIndex
		var overlaps []observe.Event // captureOverlaps, at the run's end
		defer func() {
			for _, f := range files {
				f.Close()
			}
		}()
		filters, damage := []*probe.Filtered(nil), make([]atomic.Value, len(a.caps)) // damage[i]: how files[i] ended in damage (its error's text)
		for i, c := range a.caps {
			warnStream(stderr, "replay", c.Path)
			f, err := openFile(c.Path)
			if err != nil {
				return err
			}
			files = append(files, f)
			_, size := f.Progress()
			manifestInputs = append(manifestInputs, store.Input{Path: c.Path, SizeBytes: size})
			var src pkt.Source = f
			if !streamInput(c.Path) { // a stream cannot be read back: no packet index
				// the indexer notes f's packets as f reads them: the
				// input is f itself, one call less per packet
				x := newIndexer(f, c.Path, probes[routes[i].Probe], routes[i])
				x.found = c.Found
				indexers = append(indexers, x)
			}
			if a.filter != nil {
				fl := probe.NewFiltered(src, *a.filter)
				filters = append(filters, fl)
				src = fl
			}
			inputs = append(inputs, pipeline.Input{Source: src, Probe: routes[i].Probe, Iface: routes[i].Iface, Ifaces: routes[i].Ifaces})
		}
		opening := clock().Sub(started)
		run, err := store.BeginRun(a.out, store.Manifest{
			Version: version, Command: append([]string{"tmonbench", "replay"}, args...),
			Inputs: manifestInputs, ConfigHash: a.cfg.Hash(), Config: string(pdu.EffectiveConfig(a.cfg).RedactedYAML()), Started: started.UTC(), Skipped: a.skipped,
		})
		if err != nil {
			return err
		}
		defer run.Abort()
		run.PublishByCapture = a.speed.Full() && !a.tui // the parts the capture cuts, whatever the machine's speed (docs/speed.md)

		ctx, stop := untilSignal()
		defer stop()
		prog := &progress{}
		pace := replayPace(a, prog)
		bar := newBar(a.progress, stderr, files, prog, pace != nil, started)
		var feed *liveFeed
		var snap *observe.Latest
		var wall func() int64
		logw := stderr
		var held *heldOutput
		var show func()
		if a.tui {
			snap = &observe.Latest{}
			feed = &liveFeed{snap: snap, intervalS: a.cfg.IntervalS}
			wall = wallNs                // snapshots once a second of wall time
			held = newHeldOutput(stderr) // held while the TUI has the terminal
			defer held.flush()
			logw, show = &held.buf, held.show
		}
		writing, stopNote := noteFinishing(ctx, bar.halting(logw), show, func() (string, bool) { u, ok := run.Abandon(); return abandonLine(run.Out(), run.Dir(), u), ok }) // a Ctrl-C once the captures are read: said at once (the bar cleared, then no more drawn), exit 130 (replayEnd)
		opt := pipeline.Options{
			Config:        a.cfg,
			Probes:        probes,
			Collectors:    a.colls,
			Merge:         func(s ...pkt.Source) pipeline.Merged { return replay.Merge(s...) },
			Parallel:      true,               // collectors on their own core when their link is perfect
			ReadAhead:     readAheadDefault(), // captures read ahead in goroutines of their own with 3+ cores
			Workers:       a.workers,
			Sink:          run, // rows go to Parquet parts as the run goes, so memory stays bounded
			Pace:          pace,
			Progress:      prog.counted,
			ProgressEvery: 1024,
			Wall:          wall, StartedNs: started.UnixNano(), // the run's own events' time when no packet gives one
			InputError: func(i int, err error) {
				damage[i].Store(pkt.Message(err)) // inputs[i] reads files[i]
				warnf(logw, "replay", "%v (the packets before the damage are kept)", err)
			},
			Finish: func(res *pipeline.Result) []observe.Event {
				ev, _ := prog.behind(a.speed)
				overlaps = captureOverlaps(indexers, replayTime(res, filters, started)) // the files are read: their spans are whole
				return append(finishEvents(res, a, files, routes, damage, filters, ev, started), overlaps...)
			},
			Log:     warnLog(logw, "replay"),
			Writing: writing,
		}
		behind := func() string { _, msg := prog.behind(a.speed); return msg }
		var res *pipeline.Result
		var runErr error
		var took time.Duration // the run's wall time: not the TUI left open after it
		if feed != nil {
			// the run is written in the engines' goroutine: the TUI then shows
			// the finished output before it quits
			opt.Snapshot = snap
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			uiErr := withTUI(a.out, a.cfg, feed, stdout, held, cancel, func() {
				res, runErr = pipeline.Run(runCtx, inputs, opt)
				runErr, took = closeRun(run, res, runErr, indexers, logw, behind), clock().Sub(started) // (left to right)
				feed.done.Store(true)
			})
			if runErr == nil {
				runErr = uiErr
			}
		} else {
			res, runErr = pipeline.Run(ctx, inputs, opt)
			bar.finish(res != nil && res.Interrupted)
			runErr, took = closeRun(run, res, runErr, indexers, stderr, behind), clock().Sub(started)
		}
		stopNote()
		if runErr != nil {
			return runErr
		}
		warnInputs(stderr, a.caps, files)
		warnOverlaps(stderr, overlaps)
		if !res.Interrupted {
			warnEmpty(stderr, a.caps, files, damage)
			warnOutages(stderr, a.colls, res)
		}
		if !a.quiet {
			printSummary(stdout, res, run.Stats(), run.Out(), took, opening, files, a.skipped, probes, leftOut(filters))
		}
		if res.Interrupted {
			return &exitError{code: 130, err: errors.New("replay interrupted")}
		}
		return replayEnd(ctx, a, run.Out(), stdout, stderr)
	}
}

// closeRun writes the end of a replay's run: the packet index, run.json
// (interrupted or finished) and the dataset manifest.
func closeRun(run *store.Run, res *pipeline.Result, runErr error, indexers []fileIndex, stderr io.Writer, behind func() string) error {
	if runErr != nil && (res == nil || !res.Interrupted) {
		return runErr
	}
	if res.Interrupted {
		fmt.Fprintln(stderr, "tmonbench replay: interrupted: the tables hold what was observed so far (run.json says interrupted)")
		run.SetInterrupted()
	}
	if msg := behind(); msg != "" {
		warnf(stderr, "replay", "%s (event replay_behind)", msg)
	}
	if msg := res.Undelivered(); msg != "" {
		warnf(stderr, "replay", "%s", msg)
	}
	if err := writeIndex(run, indexers); err != nil {
		return err
	}
	run.SetFinished(time.Now().UTC())
	if err := run.Finish(); err != nil {
		return err
	}
	return writeManifest(run.Out())
}

// filterEvents tells how many packets --filter left out, at time at (replayTime).
func filterEvents(at int64, a *replayArgs, filters []*probe.Filtered) []observe.Event {
	if a.filter == nil {
		return nil
	}
	n := leftOut(filters)
	return []observe.Event{{Time: at, Source: "replay", Kind: "replay_filter", Severity: observe.SevInfo, Count: n,
		Message: fmt.Sprintf(pkt.Nouns(n, "--filter %s: %d packet[s] left out"), a.filterText, n)}}
}

// leftOut is the packets --filter left out.
func leftOut(filters []*probe.Filtered) (n uint64) {
	for _, f := range filters {
		n += f.Dropped()
	}
	return n
}
