package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// liveOnlyFlags are probe's flags that only a live capture (-i, --pair)
// has a use for: a capture file is replayed as it was captured (its snap
// length, no ring, no interface to put in promiscuous mode) and ends at
// its end. With --pcap they are refused (usage error), not ignored.
var liveOnlyFlags = []string{"snaplen", "ring-mb", "block-timeout", "no-promisc", "duration"}

// probeFileFlags refuses the live-only flags given with --pcap (one line,
// exit 2), and parses --filter, which applies to a capture file as
// replay's --filter does: nil without one.
func probeFileFlags(fs *pflag.FlagSet, cf *captureFlags) (*filter.Expr, error) {
	var given []string
	for _, n := range liveOnlyFlags {
		if fs.Changed(n) {
			given = append(given, "--"+n)
		}
	}
	if len(given) > 0 {
		return nil, usageErr("probe: %s: live capture (-i IFACE) only; a --pcap file is replayed as captured, to its end", strings.Join(given, ", "))
	}
	if cf.filter == "" {
		return nil, nil
	}
	e, err := filter.Parse(cf.filter)
	if err != nil {
		return nil, usageErr("probe: --filter %q: %v", cf.filter, err) // one line, as tcpdump
	}
	return &e, nil
}

// liveOnlyUsage marks the help of probe's live-only flags and says that
// --filter applies to --pcap too.
func liveOnlyUsage(fs *pflag.FlagSet) {
	for _, n := range liveOnlyFlags {
		if f := fs.Lookup(n); f != nil && !strings.Contains(f.Usage, "(-i") {
			f.Usage += " (live capture, -i, only)"
		}
	}
	if f := fs.Lookup("filter"); f != nil {
		f.Usage = "keep only packets matching this pcap-filter `EXPR`: live, compiled to a kernel filter; with --pcap, as replay --filter (a replay_filter event counts those left out)"
	}
}

// filteredFile is a capture file under --filter: Filtered, noting the
// capture time of the first packet it passes with a valid time (the time
// of its replay_filter event, as replay's).
type filteredFile struct {
	*probe.Filtered
	firstNs int64
	timed   bool
}

func (f *filteredFile) Next() ([]byte, pkt.Meta, error) {
	data, m, err := f.Filtered.Next()
	if err == nil && !f.timed && pkt.ValidTime(m.TimeNs) {
		f.firstNs, f.timed = m.TimeNs, true
	}
	return data, m, err
}

// eventTime is replay's time for its replay_filter event (replayTime):
// the first packet passed with a valid time, else the first read, else
// now (the probe's clock).
func (f *filteredFile) eventTime(now int64) int64 {
	if f.timed {
		return f.firstNs
	}
	if t, ok := f.First(); ok && pkt.ValidTime(t) {
		return t
	}
	return now
}

// file runs the probe over the capture file path (--pcap) at speed,
// keeping only what expr (exprText, --filter) matches (nil: every packet), with every
// interface of a pcapng named by its if_name unless byName is false
// (--iface given).
func (r *probeRunner) file(cfg *config.Config, path string, speed replay.Speed, expr *filter.Expr, exprText string, byName bool) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() { // replay reads folders: say it is replay's (a trial read "is a directory: not a pcap or pcapng file")
		return fmt.Errorf("%s is a folder: probe --pcap replays one capture file (replay reads a folder of rotated files as one probe; for a probe process, merge them first: mergecap -w all.pcap %s)", path, filepath.Join(path, "*"))
	}
	f, err := openFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var ifaceOf []uint16 // file interface -> probe interface (several in a pcapng)
	if byName {          // every interface of the file, named by its if_name
		c := pipeline.Capture{Path: path, Probe: r.name}
		if err := scanIfaces(&c); err != nil {
			return err
		}
		ids, routes, err := pipeline.Assign([]pipeline.Capture{c})
		if err != nil {
			return err
		}
		r.ifaces, ifaceOf = ids[0].Interfaces, routes[0].Ifaces
	}
	stopCtx, stopCapture := context.WithCancel(context.Background())
	defer stopCapture()
	var in pkt.Source = &ifaceMap{Source: f, of: ifaceOf}
	var ff *filteredFile
	if expr != nil {
		ff = &filteredFile{Filtered: probe.NewFiltered(in, *expr)}
		in = ff
	}
	src := &stoppableFile{Source: in, stop: stopCtx}
	pacer := replay.NewPacer(speed)
	pacer.SetClockStep(cfg.ClockJumpNs()) // the engine's clock steps are not waited through
	r.paceFile(src, pacer, path)
	if ff != nil {
		started := r.started
		var eng probe.Engine
		r.started = func(p probe.Engine) { eng = p; started(p) }
		src.onEnd = func() { // before the probe's final report
			n := ff.Dropped()
			eng.EventCount(ff.eventTime(eng.Now()), pdu.SevInfo, "replay_filter", fmt.Sprintf(pkt.Nouns(n, "--filter %s: %d packet[s] left out"), exprText, n), n)
		}
	}
	ctx, release := probeSignals(src, func() {
		stopCapture()
		fmt.Fprintf(r.stderr, "tmonbench probe %s: replay stopped; waiting at most %s (--linger) for the collectors' acknowledgements: a second signal stops at once\n", r.name, r.linger)
	})
	defer release()
	res, err := r.run(ctx, cfg, src)
	if err != nil {
		return err
	}
	return r.fileExit(ctx, res, src)
}

// probeMissing says which of the flags probe requires are missing: "--name
// is missing (--config, --name and one of --pcap FILE or -i IFACE are
// required)".
func probeMissing(cfgPath, name string, input bool) string {
	var miss []string
	if cfgPath == "" {
		miss = append(miss, "--config FILE")
	}
	if name == "" {
		miss = append(miss, "--name NAME")
	}
	if !input {
		miss = append(miss, "--pcap FILE or -i IFACE")
	}
	verb := "is"
	if len(miss) > 1 {
		verb = "are"
	}
	return strings.Join(miss, ", ") + " " + verb + " missing (--config, --name and one of --pcap FILE or -i IFACE are required)"
}

// probeHead begins a probe process's last line: "tmonbench probe A: 1
// packet, 1 IP, 1 flow" (its counts, then the collectors' in probe.run).
func probeHead(name string, packets, ip, flows uint64) string {
	return fmt.Sprintf("tmonbench probe %s: %s, %d IP, %s of every class", name, pkt.Nouns(packets, fmt.Sprintf("%d packet[s]", packets)),
		ip, pkt.Nouns(flows, fmt.Sprintf("%d flow[s]", flows)))
}
