package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/syncio"
	"github.com/tmonbench/tmonbench/replay"
)

// cmdProbe runs one probe as its own process: it replays a capture as if
// captured live and sends its observations over UDP to every collector of
// the config (design 2, 7).
func cmdProbe(fs *pflag.FlagSet) (string, runFunc) {
	cfgPath := fs.String("config", "", "YAML config `FILE` naming the collectors (collectors[].address)")
	name := fs.String("name", "", "probe `NAME` (in the config's probes list for its id and key)")
	iface := fs.String("iface", "", "interface `NAME` the whole --pcap capture was taken on (one-way hops may name probe/iface); without it, each interface of a pcapng is named by its if_name, a pcap's if0")
	pcap := fs.String("pcap", "", "capture `FILE` to replay as this probe's traffic")
	speedStr := fs.String("speed", "realtime", "replay `SPEED`: realtime (as live), a factor such as 4x, or full")
	interval := intervalFlag(fs)
	linger := fs.Duration("linger", 30*time.Second, "after the capture, wait at most this `DURATION` for the collectors' acknowledgements")
	var cf captureFlags
	cf.register(fs)
	duration := fs.Duration("duration", 0, "live capture (-i): stop after this `DURATION`; 0: until SIGINT or SIGTERM")
	liveOnlyUsage(fs)
	stateDir := fs.String("state-dir", probe.DefaultStateDir(), "`DIR` keeping the probe's last epoch (so a run after the clock stepped back still follows the previous one) and the spool of the definitions a silent collector has not acknowledged past max_permanent_mb ('' keeps nothing: those are destroyed, counted)")
	unlisted := fs.Bool("unlisted", false, "run under a name the config's probes list (without keys) leaves out: for a collector run with --any-probe")
	var metricsArg metricsFlag
	metricsArg.register(fs, "127.0.0.1:9464", ", while the probe runs")
	return "Usage: tmonbench probe --config FILE --name NAME (--pcap FILE | -i IFACE...) [flags]\n\nRuns a probe process, on a capture file or live on interfaces, that sends its observations as PDUs over UDP to the\ncollectors of the config.", func(args []string, stdout, stderr io.Writer) error {
		stderr = syncio.NewWriter(stderr) // the collector watch writes too
		isLive := len(cf.ifaces) > 0 || cf.pair != ""
		switch {
		case *pcap != "" && isLive:
			return usageErr("probe: --pcap FILE or -i IFACE, not both (one probe reads a capture file or captures live)")
		case isLive && fs.Changed("iface"), fs.Changed("iface") && *iface == "":
			return usageErr("probe: --iface NAME names a --pcap capture's interface (live capture is named by -i)")
		case *cfgPath == "" || *name == "" || (*pcap == "" && !isLive):
			return usageErr("probe: %s", probeMissing(*cfgPath, *name, *pcap != "" || isLive))
		}
		var expr *filter.Expr // --filter on a capture file
		if !isLive {
			var err error
			if expr, err = probeFileFlags(fs, &cf); err != nil {
				return err
			}
		}
		speed, err := replay.ParseSpeed(*speedStr) // usage mistakes first, as replay's
		if err != nil {
			return usageErr("probe: %v", err)
		}
		if err := checkWorkers(cf.workers); err != nil { // --pcap too: liveConfig checks it for -i
			return err
		}
		check := probeVersionCheck(*name, *cfgPath, *unlisted, interval) // of this version and each new one of a watched --config
		start := check                                                   // a wrong --name or --pcap before the config's warnings
		if !isLive {
			start = capturesThere(check, []pipeline.Capture{{Path: *pcap}})
		}
		cfg, err := loadChecked("probe", *cfgPath, stderr, start)
		if err != nil {
			return err
		}
		r := &probeRunner{name: *name, unlisted: *unlisted, stateDir: *stateDir, ifaces: []string{*iface}, linger: *linger, workers: cf.workers, stdout: stdout, stderr: stderr, snap: &observe.Latest{},
			log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
		m, err := metricsArg.serve("probe", r.snap) // before the capture is opened: a bad address opens nothing
		if err != nil {
			return err
		}
		defer m.stop()
		m.say(stdout, "probe "+*name)
		if isLive {
			return r.live(cf, *cfgPath, cfg, *duration, check)
		}
		return r.file(cfg, *pcap, speed, expr, cf.filter, !fs.Changed("iface"))
	}
}

// probeVersionCheck is what a probe process needs of a configuration
// version, at start and for each new version of its watched --config:
// --interval applied (interval), then checkProbeConfig.
func probeVersionCheck(name, path string, unlisted bool, interval func(*config.Config) error) func(*config.Config) error {
	return func(c *config.Config) error {
		if err := interval(c); err != nil {
			return err
		}
		return checkProbeConfig(c, name, path, unlisted)
	}
}

// checkProbeConfig refuses a config the probe name cannot run with: no
// collector, a collector without address, a name the probes list leaves
// out (at start, and for each new version of a watched config); with
// unlisted (--unlisted, for a collector run with --any-probe), only a name
// a list with keys leaves out.
func checkProbeConfig(cfg *config.Config, name, path string, unlisted bool) error {
	if len(cfg.Collectors) == 0 {
		return usageErr("probe: %s names no collectors (collectors: [{name, address}])", path)
	}
	for _, c := range cfg.Collectors {
		if c.Address == "" {
			return usageErr("probe: collector %q has no address", c.Name)
		}
	}
	check := cfg.ProbeListed
	if unlisted {
		check = cfg.ProbeUnlisted
	}
	if err := check(name, "probe --name NAME"); err != nil {
		return usageErr("probe: %v", err)
	}
	return nil
}

// probeRunner runs a probe process's probe: once over a capture file, or,
// live, once per configuration version (probe_live.go).
type probeRunner struct {
	name, stateDir string
	unlisted       bool // --unlisted: checkProbeConfig's
	ifaces         []string
	linger         time.Duration
	pace           func(context.Context, int64) error
	stdout, stderr io.Writer
	log            *slog.Logger
	// workers is --workers: the analysis on that many workers
	// (probe.Workers, the same PDUs' observations for any N >= 1); 0: one
	// Probe in the reading goroutine.
	workers int
	// started, when set, is called with the probe before it runs.
	started func(p probe.Engine)
	// snap receives the probe's snapshots (once a second); kernel fills
	// their kernel capture counters (live capture), when set.
	snap   *observe.Latest
	kernel func(in []observe.InputCounters)
	// drops, when set (live capture), is the kernel's drop count for the
	// summary line, as live's has it.
	drops func() uint64
	// wall ticks the probe when the source is idle and while lingering
	// (probe.RunOptions.Wall); nil: wallNs.
	wall func() int64
}

// run dials cfg's collectors and runs a probe over src until src ends or
// ctx is done, lingering for the acknowledgements, and prints its summary.
func (r *probeRunner) run(ctx context.Context, cfg *config.Config, src pkt.Source) (probe.RunResult, error) {
	var links []pdu.Link
	var acks []probe.AckSource
	var udp []*pdu.UDPLink
	var watched []watchedLink
	defer func() {
		for _, l := range udp {
			l.Close()
		}
	}()
	for _, c := range cfg.Collectors {
		l, err := pdu.DialUDP(c.Address)
		if err != nil {
			return probe.RunResult{}, fmt.Errorf("probe: collector %s at %s: %w", c.Name, c.Address, err)
		}
		links, acks, udp = append(links, l), append(acks, l), append(udp, l)
		watched = append(watched, watchedLink{name: c.Name, addr: c.Address, link: l})
	}
	defer watchCollectors(watched, r.stderr)()
	warnFaults(cfg, r.stderr)
	epoch, err := probe.NextEpoch(r.stateDir, r.name, time.Now().UnixNano())
	if err != nil {
		warnf(r.stderr, "probe", "%v: the epoch is the clock (refused if it stepped back since the last run)", err)
	}
	p, err := r.engine(probe.Identity{Name: r.name, ID: cfg.ProbeID(r.name), Interfaces: r.ifaces, Epoch: epoch}, cfg, probe.Channels(cfg, r.name, links, r.stateDir, wallNs))
	if err != nil {
		return probe.RunResult{}, err
	}
	if r.started != nil {
		r.started(p)
	}
	began := time.Now()
	wall := r.wall
	if wall == nil {
		wall = wallNs
	}
	res, _ := p.Run(ctx, src, probe.RunOptions{
		Acks:     acks,
		Pace:     r.pace,
		Wall:     wall,
		Linger:   r.linger,
		Snapshot: r.snap,
		Kernel:   r.kernel,
		Damaged: func(err error) {
			warnf(r.stderr, "probe", "%v (the packets before the damage are kept)", err)
		},
	})
	st := p.Stats()
	head := probeHead(r.name, st.Packets, st.IP, st.Flows)
	if r.drops != nil {
		head += fmt.Sprintf(", %d kernel drops", r.drops())
	}
	parts := []string{fmt.Sprintf("%s in %.3f s", head, time.Since(began).Seconds())}
	for i, ch := range res.Channels { // the end state the exit message says too (unacked)
		parts = append(parts, senderSummary(cfg.Collectors[i].Name, ch.Stats, ch.Stats.Unacked)+unsentPart(ch.Unsent)+udpPart(udp[i].Stats()))
	}
	fmt.Fprintln(r.stdout, strings.Join(parts, "; "))
	return res, nil
}

// runEngine is a probe engine with its process loop (Probe.Run, Workers.Run).
type runEngine interface {
	probe.Engine
	Run(ctx context.Context, src pkt.Source, opt probe.RunOptions) (probe.RunResult, error)
}

// engine makes the run's probe engine: a Probe, or Workers with --workers.
func (r *probeRunner) engine(id probe.Identity, cfg *config.Config, channels []probe.Channel) (runEngine, error) {
	if r.workers > 0 {
		return probe.NewWorkers(id, cfg, channels, r.log, r.workers)
	}
	return probe.New(id, cfg, channels, r.log)
}

// ifaceMap numbers the packets of a capture file by probe interface: of
// maps the file's interface index (Meta.Iface) to the probe's; nil or out
// of range: interface 0.
type ifaceMap struct {
	pkt.Source
	of []uint16
}

func (s *ifaceMap) Next() ([]byte, pkt.Meta, error) {
	data, m, err := s.Source.Next()
	if int(m.Iface) < len(s.of) {
		m.Iface = s.of[m.Iface]
	} else {
		m.Iface = 0
	}
	return data, m, err
}
