package main

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/queries/enrich"
	"github.com/tmonbench/tmonbench/replay"
)

// replayArgs is what the replay command line asks for.
type replayArgs struct {
	cfg        *config.Config
	caps       []pipeline.Capture
	colls      []pipeline.Collector
	speed      replay.Speed
	out        string
	progress   string
	maxGap     time.Duration
	filter     *filter.Expr // --filter, nil: every packet
	filterText string
	quiet      bool
	rollup     bool
	tui        bool
	workers    int
	skipped    []store.Skipped // files of a folder or glob that are not captures (skipNotCaptures)
}

// replayFlags declares the replay flags on fs and returns the usage text
// and check, which checks them once parsed and loads the config.
func replayFlags(fs *pflag.FlagSet) (usage string, check func(stderr io.Writer) (*replayArgs, error)) {
	a := &replayArgs{}
	cfgPath, out := runFlags(fs)
	speedStr := fs.String("speed", "full", "replay `SPEED`: full, realtime or a factor such as 4x")
	fs.DurationVar(&a.maxGap, "max-gap", 0, "at realtime or Nx (refused at full speed): wait at most this `DURATION` between two packets (like tcpreplay's --maxsleep); 0 keeps every gap (a clock step beyond clock_jump_s is never waited through)")
	probeSpecs := fs.StringArray("probe", nil, "`NAME=PCAP` or NAME/IFACE=PCAP: replay PCAP as probe NAME (interface IFACE); repeatable")
	filterStr := fs.String("filter", "", "replay only the packets matching this pcap-filter `EXPR` (tcpdump's trailing expression; the sieve's parser)")
	interval := intervalFlag(fs)
	fs.StringVar(&a.progress, "progress", "auto", "`WHEN` to draw a progress bar on stderr: auto (when stderr is a terminal), always or never")
	fs.BoolVarP(&a.quiet, "quiet", "q", false, "print no summary")
	fs.BoolVar(&a.tui, "tui", false, "show the terminal UI during the replay (engines' counters every second, tables as written; best with --speed realtime); quitting it interrupts the replay")
	workersFlag(fs, &a.workers, "run each probe's analyses on `N` workers, sharded by address pair: the same rows for any N, ids included, as with 0, and for one probe the same Parquet files at full speed")
	fs.BoolVar(&a.rollup, "rollup", false, "after the run, write the 1-minute, 1-hour and 1-day rollups (as tmonbench rollup)")
	var faults pdu.Faults
	fs.Float64Var(&faults.LossRate, "link-loss", 0, "fault injection: drop this `SHARE` (0 to 1) of PDUs and acks on the probe-to-collector link (e.g. 0.2)")
	fs.Float64Var(&faults.DupRate, "link-dup", 0, "fault injection: duplicate this `SHARE` (0 to 1) of frames")
	fs.Float64Var(&faults.ReorderRate, "link-reorder", 0, "fault injection: reorder this `SHARE` (0 to 1) of frames")
	fs.Float64Var(&faults.CorruptRate, "link-corrupt", 0, "fault injection: corrupt this `SHARE` (0 to 1) of frames (the CRC catches them)")
	outages := fs.StringArray("link-outage", nil, "fault injection: `DURATION@START` link outage, START from the first packet in capture time (e.g. 30s@120s); repeatable")
	fs.Uint64Var(&faults.Seed, "link-seed", 1, "`SEED` of the injected faults (same seed, same faults)")
	return "Usage: tmonbench replay [flags] PCAP|DIR|'GLOB'|-...\n\nReplays pcap/pcapng captures (optionally gzip-compressed) through probe and collector\nengines and writes the observations as Parquet under --out. A folder or a quoted glob\nis one probe over its files (rotated captures of one point); - reads standard input.\nEach file is a probe named after it; - is probe stdin, a pipe such as <(zcat x.pcap.gz)\n(/dev/fd/N) probe pipe (pipe-2, ...), /dev/fd/N open on a file that file's name.\nA file a folder or glob brings in that is not a capture (not pcap or pcapng, an\nunsupported version, a header cut short) is skipped with a warning, an event\ncapture_skipped and run.json's skipped, and the exit status is 3; a file named is an error.", func(stderr io.Writer) (*replayArgs, error) {
		a.out = *out
		var err error
		if a.caps, err = pipeline.Captures(fs.Args(), *probeSpecs); err != nil {
			return nil, captureErr(err)
		}
		for _, r := range []struct {
			flag string
			v    float64
		}{{"--link-loss", faults.LossRate}, {"--link-dup", faults.DupRate}, {"--link-reorder", faults.ReorderRate}, {"--link-corrupt", faults.CorruptRate}} {
			if !(r.v >= 0 && r.v <= 1) {
				return nil, usageErr("%s %g: want a share between 0 and 1", r.flag, r.v)
			}
		}
		if a.tui {
			a.progress = "never" // the TUI owns the terminal
		}
		switch a.progress {
		case "auto", "always", "never":
		default:
			return nil, usageErr("--progress %q: want auto, always or never", a.progress)
		}
		for _, o := range *outages {
			if err := outageDurations(o); err != nil {
				return nil, err
			}
			w, err := pdu.ParseOutage(o)
			if err != nil {
				return nil, usageErr("--link-outage: %v", err)
			}
			faults.Outages = append(faults.Outages, w)
		}
		if a.speed, err = replay.ParseSpeed(*speedStr); err != nil {
			return nil, usageErr("%v", err)
		}
		if a.maxGap > 0 && a.speed.Full() { // a flag that would do nothing is refused, not taken silently
			return nil, usageErr("--max-gap %v: only paced replays wait between packets (--speed realtime or Nx); at full speed no gap is waited", a.maxGap)
		}
		if *filterStr != "" {
			e, err := filter.Parse(*filterStr)
			if err != nil {
				return nil, usageErr("--filter %q: %v", *filterStr, err) // one line, as tcpdump
			}
			a.filter, a.filterText = &e, *filterStr
		}
		if err := checkWorkers(a.workers); err != nil {
			return nil, err
		}
		// --interval applied before the config's warnings, which say what its value does to the rollups;
		// a capture that is not there said before them too (capturesThere)
		if a.cfg, err = loadChecked("replay", *cfgPath, stderr, capturesThere(interval, a.caps)); err != nil {
			return nil, err
		}
		if a.rollup { // its databases checked before anything is written
			if err := enrich.CheckGeoIP(a.cfg.Enrich.GeoIP); err != nil {
				return nil, err
			}
		}
		if a.colls, err = pipeline.Collectors(a.cfg); err != nil {
			return nil, err
		}
		if faultFlags(fs) { // the flags replace the faults of the config's collectors
			for i := range a.colls {
				a.colls[i].Faults = faults
			}
		}
		if a.tui { // checked once the config (its tui.keys) is, before --out is touched, as live
			if err := terminalForTUI(); err != nil {
				return nil, usageErr("replay: --tui needs a terminal: %v", err)
			}
		}
		return a, nil
	}
}

// faultFlags reports whether any --link-* flag was given.
func faultFlags(fs *pflag.FlagSet) bool {
	for _, n := range []string{"link-loss", "link-dup", "link-reorder", "link-corrupt", "link-outage", "link-seed"} {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

// captureErr is an error of pipeline.Captures as the user reads it,
// without the sentinel's text: a command-line mistake (ErrCaptureSpec,
// exit 2), or an input problem (ErrNoCaptureFile: a glob or folder with
// no capture, exit 1 as a missing file).
func captureErr(err error) error {
	msg := strings.TrimPrefix(err.Error(), pipeline.ErrCaptureSpec.Error()+": ")
	if errors.Is(err, pipeline.ErrNoCaptureFile) {
		return errors.New(strings.TrimPrefix(msg, pipeline.ErrNoCaptureFile.Error()+": "))
	}
	return usageErr("%s", msg)
}

// assignProbes names the interfaces of a's captures (scanIfaces), makes
// their probes (pipeline.Assign) and warns about the one-way hops none of
// them is (pipeline.UnseenHops). A file that cannot be read, or a probe
// whose captures describe more interfaces than a probe can number
// (pipeline.ErrTooManyIfaces), is an error (exit status 1).
func assignProbes(a *replayArgs, stderr io.Writer) ([]probe.Identity, []pipeline.Input, error) {
	for i := range a.caps {
		if err := scanIfaces(&a.caps[i]); err != nil {
			return nil, nil, err
		}
	}
	probes, routes, err := pipeline.Assign(a.caps)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range pipeline.UnseenHops(a.cfg, probes) {
		warnf(stderr, "replay", "%s", w)
	}
	return probes, routes, nil
}

// outageDurations checks the two durations of a --link-outage
// DURATION@START by the rule of every DURATION flag (durationErr): the
// length > 0, the start >= 0. A value of another shape is left to
// pdu.ParseOutage, which says the shape.
func outageDurations(o string) error {
	d, at, ok := strings.Cut(strings.TrimSpace(o), "@")
	if !ok {
		return nil
	}
	if v, err := time.ParseDuration(d); err == nil && v <= 0 {
		return durationErr("replay", "link-outage", o, wantPositive+" before @")
	}
	if v, err := time.ParseDuration(at); err == nil && v < 0 {
		return durationErr("replay", "link-outage", o, "a start >= 0 after @")
	}
	return nil
}
