package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// capture is one input file and where it goes.
type capture struct {
	path  string
	probe string
	iface string
}

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("replay", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML config `FILE` (default: the embedded default, see 'tmonbench config')")
	out := fs.String("out", "./tmon-out", "output `DIR`: one Parquet folder per table; a previous run there is replaced")
	speedStr := fs.String("speed", "full", "replay speed: full, realtime or a factor such as 4x")
	probeSpecs := fs.StringArray("probe", nil, "`NAME=PCAP` or NAME/IFACE=PCAP: replay PCAP as probe NAME (interface IFACE); repeatable")
	interval := fs.Float64("interval", 0, "override interval_s: aggregation interval in `seconds` of capture time")
	progress := fs.String("progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always or never")
	quiet := fs.BoolP("quiet", "q", false, "print no summary")
	var faults pdu.Faults
	fs.Float64Var(&faults.LossRate, "link-loss", 0, "fault injection: drop this share of PDUs and acks on the probe-to-collector link (e.g. 0.2)")
	fs.Float64Var(&faults.DupRate, "link-dup", 0, "fault injection: duplicate this share of frames")
	fs.Float64Var(&faults.ReorderRate, "link-reorder", 0, "fault injection: reorder this share of frames")
	fs.Float64Var(&faults.CorruptRate, "link-corrupt", 0, "fault injection: corrupt this share of frames (the CRC catches them)")
	outages := fs.StringArray("link-outage", nil, "fault injection: `DURATION@START` link outage, START from the first packet in capture time (e.g. 30s@120s); repeatable")
	fs.Uint64Var(&faults.Seed, "link-seed", 1, "seed of the injected faults (same seed, same faults)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tmonbench replay [flags] PCAP...\n\nReplays pcap/pcapng captures (optionally gzip-compressed) through probe and collector\nengines and writes the observations as Parquet under --out.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("replay: %v", err)
	}
	caps, err := captures(fs.Args(), *probeSpecs)
	if err != nil {
		return err
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"--link-loss", faults.LossRate}, {"--link-dup", faults.DupRate}, {"--link-reorder", faults.ReorderRate}, {"--link-corrupt", faults.CorruptRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return usageErr("%s %g: want a share between 0 and 1", r.flag, r.v)
		}
	}
	switch *progress {
	case "auto", "always", "never":
	default:
		return usageErr("--progress %q: want auto, always or never", *progress)
	}
	for _, o := range *outages {
		w, err := pdu.ParseOutage(o)
		if err != nil {
			return usageErr("--link-outage: %v", err)
		}
		faults.Outages = append(faults.Outages, w)
	}
	speed, err := replay.ParseSpeed(*speedStr)
	if err != nil {
		return usageErr("%v", err)
	}
	cfg := config.Default()
	if *cfgPath != "" {
		if cfg, err = config.Load(*cfgPath); err != nil {
			return err
		}
	}
	if *interval != 0 {
		cfg.IntervalS = *interval
		if err := cfg.Validate(); err != nil {
			return usageErr("--interval %g: must be between 1 and 86400 seconds of capture time", *interval)
		}
	}

	// Open every input first: a bad file stops the run before any work.
	var inputs []pipeline.Input
	var files []*replay.File
	var manifestInputs []store.Input
	var total int64
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	probes, routes := assign(caps)
	for i, c := range caps {
		f, err := replay.Open(c.path)
		if err != nil {
			return err
		}
		files = append(files, f)
		_, size := f.Progress()
		total += size
		manifestInputs = append(manifestInputs, store.Input{Path: c.path, SizeBytes: size})
		inputs = append(inputs, pipeline.Input{Source: f, Probe: routes[i].Probe, Iface: routes[i].Iface})
	}

	started := time.Now()
	run, err := store.BeginRun(*out, store.Manifest{
		Version: version, Command: append([]string{"tmonbench", "replay"}, args...),
		Inputs: manifestInputs, ConfigHash: configHash(cfg), Started: started.UTC(),
	})
	if err != nil {
		return err
	}
	defer run.Abort()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pacer := replay.NewPacer(speed)
	pacer.SetMaxWait(10 * time.Second)

	var bar *progressbar.ProgressBar
	if *progress == "always" || (*progress == "auto" && isTerminal(stderr)) {
		bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetDescription("replay"),
		)
	}
	var damaged []string
	colls, err := pipeline.Collectors(cfg)
	if err != nil {
		return err
	}
	if faultFlags(fs) {
		colls = withFaults(colls, faults)
	}
	res, runErr := pipeline.Run(ctx, inputs, pipeline.Options{
		Config:     cfg,
		Probes:     probes,
		Collectors: colls,
		Keys:       pipeline.Keys(cfg),
		Merge:      func(s ...pkt.Source) pipeline.Merged { return replay.Merge(s...) },
		Parallel:   true, // collectors on their own core when their link is perfect
		// Rows go to Parquet parts as the run goes, so memory stays bounded.
		Sink: func(ci int, b *observe.Batch) error {
			if ci != 0 {
				return nil // several collectors build the same tables: the first is written
			}
			return writeBatch(run, b)
		},
		Pace: pacer.Wait,
		Progress: func(packets, bytes uint64) {
			if bar == nil {
				return
			}
			var read int64
			for _, f := range files {
				r, _ := f.Progress()
				read += r
			}
			el := time.Since(started).Seconds()
			bar.Describe(fmt.Sprintf("replay %d pkts, %.0f pkt/s", packets, float64(packets)/max(el, 1e-9)))
			bar.Set64(read)
		},
		InputError: func(i int, err error) {
			msg := fmt.Sprintf("warning: %v (the packets before the damage are kept)", err)
			damaged = append(damaged, msg)
			fmt.Fprintln(stderr, "tmonbench:", msg)
		},
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if bar != nil {
		bar.Set64(total)
		bar.Finish()
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	interrupted := errors.Is(runErr, context.Canceled)
	b := res.Batch
	if interrupted {
		fmt.Fprintln(stderr, "tmonbench: interrupted: writing what was observed so far (run.json says interrupted)")
		run.SetInterrupted()
		b.Events = append(b.Events, observe.Event{Time: res.LastNs, Source: "replay", Kind: "run_interrupted", Severity: observe.SevWarning,
			Message: fmt.Sprintf("replay interrupted after %d packets: the tables hold what was observed until then", res.Packets)})
	}
	var unacked int
	for _, s := range res.Senders {
		unacked += s.Unacked
	}
	if unacked > 0 {
		msg := fmt.Sprintf("%d PDUs were never acknowledged by a collector: their observations are missing from the tables", unacked)
		fmt.Fprintln(stderr, "tmonbench: warning:", msg)
		b.Events = append(b.Events, observe.Event{Time: res.LastNs, Source: "replay", Kind: "pdu_undelivered", Severity: observe.SevError, Message: msg})
	}
	for i, f := range files {
		if st := f.Stats(); st.InvalidTimestamps > 0 {
			b.Events = append(b.Events, observe.Event{Time: res.FirstNs, Source: "replay", Kind: "invalid_timestamps", Severity: observe.SevWarning,
				Message: fmt.Sprintf("%s: %d records with invalid timestamps (sub-second field out of range), normalised", caps[i].path, st.InvalidTimestamps)})
		}
	}
	if err := writeBatch(run, b); err != nil {
		return err
	}
	run.SetFinished(time.Now().UTC())
	if err := run.Commit(); err != nil {
		return err
	}
	if !*quiet {
		printSummary(stdout, res, run.Stats(), run.Out(), time.Since(started), files)
	}
	if interrupted {
		return &exitError{code: 130, err: errors.New("replay interrupted")}
	}
	return nil
}

// faultFlags reports whether any --link-* flag was given (they then
// replace the faults of the config's collectors).
func faultFlags(fs *pflag.FlagSet) bool {
	for _, n := range []string{"link-loss", "link-dup", "link-reorder", "link-corrupt", "link-outage", "link-seed"} {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

func withFaults(cs []pipeline.Collector, f pdu.Faults) []pipeline.Collector {
	for i := range cs {
		cs[i].Faults = f
	}
	return cs
}

// writeBatch writes every table of b into the run, empty ones too, so that
// every view exists for queries.
func writeBatch(run *store.Run, b *observe.Batch) error {
	return errors.Join(
		appendRows(run, observe.TableFlows, b.Flows),
		appendRows(run, observe.TableFlowCounters, b.FlowCounters),
		appendRows(run, observe.TableEvents, b.Events),
		appendRows(run, observe.TableSizeHistograms, b.SizeHistograms),
		appendRows(run, observe.TableTCPConnections, b.TCPConnections),
		appendRows(run, observe.TableRTTSamples, b.RTTSamples),
		appendRows(run, observe.TableRTTHistograms, b.RTTHistograms),
		appendRows(run, observe.TableFTPSessions, b.FTPSessions),
		appendRows(run, observe.TableFTPTransfers, b.FTPTransfers),
		appendRows(run, observe.TableOnewayDelays, b.OnewayDelays),
		appendRows(run, observe.TableOnewayLatency, b.OnewayLatency),
		appendRows(run, observe.TableOnewayLoss, b.OnewayLoss),
		appendRows(run, observe.TablePDUStats, b.PDUStats),
	)
}

func appendRows[T any](run *store.Run, table string, rows []T) error {
	_, err := store.Append(run, table, rows)
	return err
}

// captures turns positional files and --probe specs into inputs.
func captures(files, specs []string) ([]capture, error) {
	var caps []capture
	for _, s := range specs {
		name, path, ok := strings.Cut(s, "=")
		if !ok || name == "" || path == "" {
			return nil, usageErr("--probe %q: want NAME=PCAP or NAME/IFACE=PCAP", s)
		}
		probeName, iface, hasIface := strings.Cut(name, "/")
		if probeName == "" || (hasIface && (iface == "" || strings.Contains(iface, "/"))) {
			return nil, usageErr("--probe %q: want NAME=PCAP or NAME/IFACE=PCAP with non-empty names", s)
		}
		caps = append(caps, capture{path: path, probe: probeName, iface: iface})
	}
	used := map[string]bool{}
	for _, c := range caps {
		used[c.probe] = true
	}
	for _, f := range files {
		base := probeNameOf(f)
		name := base
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		used[name] = true
		caps = append(caps, capture{path: f, probe: name})
	}
	if len(caps) == 0 {
		return nil, usageErr("replay: no capture given (tmonbench replay [flags] PCAP...)")
	}
	return caps, nil
}

// probeNameOf names a probe after its capture file: base name without
// .gz, .pcap, .pcapng, .cap.
func probeNameOf(path string) string {
	b := filepath.Base(path)
	for _, ext := range []string{".gz", ".pcapng", ".pcap", ".cap"} {
		b = strings.TrimSuffix(b, ext)
	}
	if b == "" {
		b = "probe"
	}
	return b
}

// assign groups captures into probes (in order of first appearance) and
// interfaces within them.
func assign(caps []capture) ([]probe.Identity, []pipeline.Input) {
	var ids []probe.Identity
	index := map[string]int{}
	routes := make([]pipeline.Input, len(caps))
	for i, c := range caps {
		pi, ok := index[c.probe]
		if !ok {
			pi = len(ids)
			index[c.probe] = pi
			ids = append(ids, probe.Identity{Name: c.probe})
		}
		iface := c.iface
		if iface == "" {
			iface = fmt.Sprintf("if%d", len(ids[pi].Interfaces))
		}
		ii := -1
		for k, n := range ids[pi].Interfaces {
			if n == iface {
				ii = k
			}
		}
		if ii < 0 {
			ii = len(ids[pi].Interfaces)
			ids[pi].Interfaces = append(ids[pi].Interfaces, iface)
		}
		routes[i] = pipeline.Input{Probe: pi, Iface: uint16(ii)}
	}
	return ids, routes
}

func configHash(c *config.Config) string {
	b, _ := yaml.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printSummary(w io.Writer, res *pipeline.Result, st store.Stats, out string, wall time.Duration, files []*replay.File) {
	var ps probe.Stats
	for _, p := range res.Probes {
		ps.Packets += p.Packets
		ps.IP += p.IP
		ps.NotIP += p.NotIP
		ps.Malformed += p.Malformed
		ps.Flows += p.Flows
	}
	var pduBytes, pdus, retrans uint64
	for _, s := range res.Senders {
		for t := range s.Bytes {
			pduBytes += s.Bytes[t]
			pdus += s.PDUs[t]
		}
		retrans += s.Retransmits
	}
	secs := wall.Seconds()
	fmt.Fprintf(w, "tmonbench replay: %d file(s), %d probe(s)\n", len(files), len(res.Probes))
	fmt.Fprintf(w, "  packets read    %12d  (%d bytes captured)\n", res.Packets, res.Bytes)
	fmt.Fprintf(w, "  decoded (IP)    %12d\n", ps.IP)
	fmt.Fprintf(w, "  not IP          %12d\n", ps.NotIP)
	fmt.Fprintf(w, "  malformed       %12d\n", ps.Malformed)
	fmt.Fprintf(w, "  flows           %12d  (granular flows of every class)\n", ps.Flows)
	if res.Packets > 0 {
		fmt.Fprintf(w, "  capture span    %12.3f s\n", float64(res.LastNs-res.FirstNs)/1e9)
	}
	fmt.Fprintf(w, "  PDUs            %12d  (%d bytes, %.2f%% of captured bytes; %d retransmissions)\n", pdus, pduBytes, 100*float64(pduBytes)/max(float64(res.Bytes), 1), retrans)
	fmt.Fprintf(w, "  rows written    ")
	for i, name := range st.Names() {
		if i > 0 {
			fmt.Fprintf(w, ", ")
		}
		fmt.Fprintf(w, "%s %d", name, st.Tables[name].Rows)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  wall time       %12.3f s  (%.0f packets/s)\n", secs, float64(res.Packets)/max(secs, 1e-9))
	fmt.Fprintf(w, "  output          %s\n", out)
}

func cmdConfig(w io.Writer) error {
	_, err := w.Write(config.DefaultYAML())
	return err
}
