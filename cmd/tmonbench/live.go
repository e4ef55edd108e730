package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/live"
)

// cmdLive captures live on one or more interfaces through in-process probe
// and collector engines (as replay does with files) into --out, the
// tables written every --write-every so they can be queried meanwhile.
// SIGINT, SIGTERM or --duration stop the capture: every packet captured
// before is still analysed and written, then it exits 0.
func cmdLive(fs *pflag.FlagSet) (string, runFunc) {
	var cf captureFlags
	cf.register(fs)
	cfgPath, out := runFlags(fs)
	interval := intervalFlag(fs)
	name := fs.String("name", "", "probe `NAME` in the tables (default: the host name)")
	duration := fs.Duration("duration", 0, "stop after this `DURATION`; 0: until SIGINT or SIGTERM")
	writeEvery := fs.Duration("write-every", 5*time.Second, "write the rows observed so far every `DURATION`")
	stats := fs.Bool("stats", false, "print every second the capture rate, kernel drops and the busiest stage")
	var trapArgs trapFlags
	trapArgs.register(fs)
	var metricsArg metricsFlag
	metricsArg.register(fs, "127.0.0.1:9464", "")
	withUI := fs.Bool("tui", false, "show the terminal UI during the capture (engines' counters every second, tables as written); quitting it stops the capture")
	return "Usage: tmonbench live -i IFACE [-i IFACE...] [flags]\n\nCaptures live (AF_PACKET, needs CAP_NET_RAW) through the probe and collector\nengines and writes the observations as Parquet under --out.", func(args []string, stdout, stderr io.Writer) error {
		if *writeEvery == 0 { // < 0 and --duration < 0: nonNegativeDurations
			return durationErr("live", "write-every", *writeEvery, wantPositive)
		}
		if *withUI && *stats {
			return usageErr("live: --stats prints on the terminal the TUI owns: use one or the other")
		}
		if *withUI {
			if err := terminalForTUI(); err != nil {
				return usageErr("live: --tui needs a terminal: %v", err)
			}
		}
		*name = probeNameOr(*name)
		check := liveVersionCheck(*name, interval) // of this version and each new one of a watched --config
		cfg, err := loadChecked("live", *cfgPath, stderr, check)
		if err != nil {
			return err
		}
		if *withUI {
			if err := checkKeys(cfg); err != nil {
				return err
			}
		}
		traps, err := trapArgs.open() // before the capture and the output: a bad address opens nothing
		if err != nil {
			return usageErr("live: %v", err)
		}
		defer traps.close()
		lc, userFilter, err := cf.liveConfig(stderr)
		if err != nil {
			return err
		}
		// Every flag that can fail is checked before the capture and the
		// output are opened: a bad one leaves a previous output untouched.
		snap := &observe.Latest{} // the engines' counters, for --metrics and --tui
		metrics, err := metricsArg.serve("live", snap)
		if err != nil {
			return err
		}
		defer metrics.stop()
		var sw *switcher
		if *cfgPath != "" {
			if sw, err = watchConfig(*cfgPath, cfg, check); err != nil {
				return err
			}
			defer sw.close()
		}
		// The capture's warnings (offloads, carrier, snap length) are said
		// once the output is ours: a refused --out is the only line.
		var warned strings.Builder // repeated in the TUI's status line
		src, infos, err := openCapture("live", lc, &warned)
		if err != nil {
			return err
		}
		defer src.Close()
		var input pkt.Source = src
		if userFilter != nil {
			input = probe.NewFiltered(src, *userFilter)
		}
		input, ifNames := pairInput(input, ifaceNames(infos), lc.Pair)
		// as replay: a one-way hop that is not this probe (or one of its
		// interfaces) sees no packet, and the class's pairs with it are all drops
		for _, w := range pipeline.UnseenHops(cfg, []probe.Identity{{Name: *name, Interfaces: ifNames}}) {
			warnf(&warned, "live", "%s", w)
		}
		started := time.Now()
		// Rows are appended to --out as they come (queries work during the
		// run); a previous replay there is replaced, with a warning naming it (a live or collector
		// output is refused), once the folder's lock is ours (another run writing there: ErrBusy, untouched).
		app, err := store.OpenReplace(*out, store.Manifest{Mode: store.ModeLive, Version: version, Command: append([]string{"tmonbench", "live"}, args...),
			ConfigHash: cfg.Hash(), Config: string(pdu.EffectiveConfig(cfg).RedactedYAML()), Started: started.UTC()})
		if err != nil {
			return err
		}
		defer closeAppender(app)
		if old, ok := app.Replaced(); ok { // tcpdump -w and zeek overwrite too, but say so: the default --out is replay's
			warnf(&warned, "live", "%s", replacedNote(*out, old))
		}
		io.WriteString(stderr, warned.String())
		said := stderr
		if *withUI {
			said = io.Discard // the TUI has the terminal; its status line says the run ended
		}
		ctx, cancel := stopOnSignal(src, src.Ended, *duration, said, "live "+*name, "writing what was captured")
		defer cancel()
		tick := time.NewTicker(*writeEvery)
		defer tick.Stop()
		h := &health{src: src, periodNs: int64(time.Duration(cfg.IntervalS * float64(time.Second))), links: newLinkWatch("live", src, infos, stderr)}
		defer h.links.close()
		var st *statsPrinter
		if *stats {
			// The engines run in this goroutine: pin it to its thread so that
			// the thread's CPU time is the probe stage's.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			st = startStats(stdout, src, unix.Gettid())
			defer st.stop()
		}
		metrics.say(stdout, "live "+*name)
		lr := &liveRun{name: *name, ifNames: ifNames, src: src, infos: infos, sink: traps.around(app), tick: tick.C, h: h, workers: cf.workers,
			snap: snap, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), setConfig: app.SetConfig}
		lr.ss = &switchSource{Source: input, sw: sw, wallNs: wallNs}
		sayCapturing(stdout, *withUI, *name, ifNames)
		var res *pipeline.Result
		var runErr error
		if *withUI {
			first, _, _ := strings.Cut(warned.String(), "\n")
			lr.notice = strings.TrimSpace(strings.TrimPrefix(first, "tmonbench live: "))
			res, runErr = lr.runTUI(ctx, cfg, app.Out(), stdout, stderr)
		} else {
			res, runErr = lr.run(ctx, cfg)
		}
		if runErr != nil && (res == nil || !res.Interrupted) {
			return runErr
		}
		if res.Interrupted {
			fmt.Fprintf(stderr, "tmonbench live %s: aborted by a second signal: the tables hold what was written so far (run.json says interrupted)\n", *name)
			app.SetInterrupted()
		}
		if st != nil {
			st.stop() // its last line before the summary
		}
		if err := writeManifest(app.Out()); err != nil { // as replay and collector: other engines read the dataset from it
			return err
		}
		printCapture(stdout, *name, src, res, app.Out(), time.Since(started))
		printAppended(stdout, app)
		if res.Interrupted { // as replay: the packets still in the ring were not analysed
			return &exitError{code: 130, err: errors.New("live aborted")}
		}
		return h.links.goneErr(app.Out() + " holds what was captured")
	}
}

// liveMerged routes a live source's packets by their interface.
type liveMerged struct {
	pkt.Source
	last int
}

// Next returns the next packet, remembering its interface for Last.
func (m *liveMerged) Next() ([]byte, pkt.Meta, error) {
	data, meta, err := m.Source.Next()
	if err == nil {
		m.last = int(meta.Iface)
	}
	return data, meta, err
}

// Last returns the input (interface) of the last packet.
func (m *liveMerged) Last() int { return m.last }

// printCapture prints the end-of-run summary of a live capture.
func printCapture(w io.Writer, name string, src *live.Source, res *pipeline.Result, out string, took time.Duration) {
	var drops uint64
	for _, s := range src.Stats() {
		drops += s.Drops
	}
	flows := uint64(0)
	for _, p := range res.Probes {
		flows += p.Flows
	}
	fmt.Fprintln(w, captureLine(name, res.Packets, res.Bytes, flows, drops, took, out))
}

// captureLine is live's last line: "tmonbench live vm: 10 packets, 980
// bytes captured, 1 flow of every class (query summary counts class 'all'
// only), 0 kernel drops in 5.9 s; tables in DIR". The bytes are the
// frames' captured lengths, link header included, as replay's "(N bytes
// captured)": not the IP bytes of query summary. The flows are those of
// every class, the rows of the flows table, as replay's summary says: a
// trial's capture read "38 flows" here and 28 in query summary's total
// (tshark's one-way 5-tuples), the other 10 in classes ftp and dns.
func captureLine(name string, packets, bytes, flows, drops uint64, took time.Duration, out string) string {
	return fmt.Sprintf("tmonbench live %s: %s, %d bytes captured, %s of every class (query summary counts class 'all' only), %d kernel drops in %.1f s; tables in %s", name,
		pkt.Nouns(packets, fmt.Sprintf("%d packet[s]", packets)), bytes, pkt.Nouns(flows, fmt.Sprintf("%d flow[s]", flows)), drops, took.Seconds(), out)
}

// sayCapturing tells stdout the capture runs (and reports whether it
// did), unless the TUI draws on it (a terminal): there the line would show
// only once the TUI closes, as if the capture were starting then.
func sayCapturing(stdout io.Writer, withUI bool, name string, ifNames []string) bool {
	if f, ok := stdout.(*os.File); withUI && ok && term.IsTerminal(int(f.Fd())) {
		return false
	}
	fmt.Fprintf(stdout, "tmonbench live %s: capturing on %s (SIGINT or SIGTERM stops)\n", name, strings.Join(ifNames, ", "))
	return true
}

// probeNameOr is name, else the host name, else "probe": live's probe.
func probeNameOr(name string) string {
	if name == "" {
		name, _ = os.Hostname()
	}
	if name == "" {
		name = "probe"
	}
	return name
}
