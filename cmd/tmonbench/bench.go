package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/bench"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// cmdBench runs the probe-hardware benchmark (engine/bench): the full
// pipeline against the decode-only floor, in this process, on the same
// packets.
func cmdBench(fs *pflag.FlagSet) (string, runFunc) {
	cfgPath := runConfigFlag(fs)
	var workers int
	workersFlag(fs, &workers, "run each probe's analyses on `N` workers, sharded by address pair (same tables for any N >= 1)")
	preload := fs.Bool("preload", false, "read the captures into memory first: no disk or page-cache reads in the figures")
	readAhead := fs.Bool("read-ahead", readAheadDefault(), "read the captures in goroutines of their own, ahead of the probes (replay does with 3+ cores: GOMAXPROCS > 2; on 2 cores 7-15 % more CPU and no wall gain, loaded or idle: docs/speed.md)")
	repeat := fs.Int("repeat", 1, "run `K` floor/full pairs (A B A B ...): figures become median (min-max)")
	warmup := fs.Bool("warmup", false, "run one more pair first and leave it out")
	stages := fs.Bool("stages", true, "charge the full runs' CPU to stages from a CPU profile (100 Hz sampling)")
	profPath := fs.String("cpuprofile", "", "write the last full run's CPU profile to `FILE` (go tool pprof)")
	memPath := fs.String("memprofile", "", "write a heap profile of the last full run, at its largest live heap, to `FILE`")
	steadyPath := fs.String("steady-memprofile", "", "write every allocation of the last full run's steady state (20-80 % of the packets, the window of the allocations per packet in steady state) to `FILE` (go tool pprof -sample_index=alloc_objects)")
	memLimit := fs.Int64("memory-limit", bench.DefaultMemoryLimit>>20, "Go soft memory limit in `MiB` for the runs (as GOMEMLIMIT), raised to 1.25 times the live heap of a run whose live heap outgrows 90 % of it; 0: none. Ignored when GOMEMLIMIT is set")
	asJSON := fs.Bool("json", false, "print the report as JSON (its fields: docs/speed.md; ratios null where the text says n/a)")
	tmp := fs.String("tmp", "", "parent `DIR` of the temporary output folder (default: the system's)")
	quiet := fs.BoolP("quiet", "q", false, "no progress lines on stderr")
	return "Usage: tmonbench bench [flags] PCAP...\n\nRuns the complete pipeline (every analysis of the config, PDUs, collector, Parquet\ninto a temporary folder) at full speed and, in the same process on the same packets,\nthe decode-only floor (pcapgo + gopacket DecodingLayerParser), alternated, and\nprints throughput, the ratio full/floor, CPU per stage, allocations and memory.", func(args []string, stdout, stderr io.Writer) error {
		if err := checkWorkers(workers); err != nil {
			return err
		}
		switch { // each names the flag at fault only
		case *repeat < 1:
			return usageErr("bench: --repeat %d: want at least 1", *repeat)
		case *memLimit < 0:
			return usageErr("bench: --memory-limit %d: want a number of MiB (0: none)", *memLimit)
		case fs.NArg() == 0:
			return usageErr("bench: no capture given (tmonbench bench [flags] PCAP...)")
		}
		caps, skipped, err := benchPaths(fs.Args(), stderr)
		if err != nil {
			return err
		}
		cfg, err := loadConfig("bench", *cfgPath, stderr)
		if err != nil {
			return err
		}
		limit := *memLimit << 20
		if os.Getenv("GOMEMLIMIT") != "" {
			limit = 0
		}
		ctx, stop := untilSignal()
		defer stop()
		paths := make([]string, len(caps))
		for i, c := range caps {
			paths[i] = c.Path
		}
		opt := bench.Options{Config: cfg, Paths: paths, Workers: workers, Preload: *preload, NoReadAhead: !*readAhead, Repeat: *repeat,
			Warmup: *warmup, Stages: *stages || *profPath != "", TempDir: *tmp, ProfilePath: *profPath, HeapProfilePath: *memPath, SteadyProfilePath: *steadyPath, MemoryLimit: limit,
			Open: benchCapture, Workload: benchWorkload(caps), Merge: func(s ...pkt.Source) pipeline.Merged { return replay.Merge(s...) }}
		if !*quiet {
			opt.Progress = func(what string) { fmt.Fprintln(stderr, "tmonbench bench:", what) }
		}
		rep, err := bench.Run(ctx, opt)
		if err != nil {
			return err
		}
		if *asJSON {
			err = rep.WriteJSON(stdout)
		} else {
			rep.WriteText(stdout)
		}
		if err == nil && len(skipped) > 0 { // as replay: the figures are of the others, exit 3
			return skippedErr(skipped, "", "the figures are of the others")
		}
		return err
	}
}

// readAheadDefault is whether replay and bench read captures ahead of the
// probes (pipeline.Options.ReadAhead: a capture file reads ahead in
// chunks, replay.File.ReadAhead): with 3 cores or more, so the reader,
// the probes and the collector each have one. On 2 cores it takes the read
// system calls off the probe's goroutine (0.1-0.5 s of its 2.4-2.9 s on
// the 5M corpus) for 7-15 % more CPU in all, and no wall gain was measured,
// neither on a loaded machine nor on an idle one (2026-12-07: wall ratio
// medians 2.13 and 2.13; docs/speed.md, Reading ahead): not the default
// there.
func readAheadDefault() bool { return runtime.GOMAXPROCS(0) > 2 }

// benchCapture opens a capture for bench: from its path, or from its
// preloaded bytes.
func benchCapture(path string, data []byte) (pkt.Source, error) {
	if data != nil {
		return replay.NewReader(bytes.NewReader(data), path, int64(len(data)))
	}
	return replay.Open(path)
}

// benchPaths reads bench's arguments as replay does (a folder or a quoted
// glob: its files, one probe, as replay makes them; those of them that
// are not captures skipped and said, skipNotCaptures, returned) and opens
// each, so a bad named capture stops bench before any run, in replay's
// words. It names each capture's interfaces (scanIfaces) here, once for
// all the runs of the invocation: a pcapng's scan reads the whole file,
// which each full run did again (--repeat 3: 3 scans, 4 with --warmup).
func benchPaths(args []string, stderr io.Writer) ([]pipeline.Capture, []store.Skipped, error) {
	caps, err := pipeline.Captures(args, nil)
	if err != nil {
		return nil, nil, captureErr(err)
	}
	for _, c := range caps {
		if c.Path == "-" {
			return nil, nil, usageErr("bench: reads capture files, not standard input (-)")
		}
		if streamInput(c.Path) { // checked before any open, which would consume a pipe
			return nil, nil, usageErr("bench: %s is not a regular file (a pipe?): bench reads each capture several times (the decode-only floor, --warmup, --repeat, --preload); save it to a file first", c.Path)
		}
	}
	caps, skipped, err := skipNotCaptures("bench", caps, "", stderr)
	if err != nil {
		return nil, nil, err
	}
	for i, c := range caps {
		f, err := replay.Open(c.Path)
		if err != nil {
			return nil, nil, err
		}
		f.Close()
		if err := scanIfaces(&caps[i]); err != nil { // once for every run (benchWorkload)
			return nil, nil, err
		}
	}
	return caps, skipped, nil
}
