package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// cmdProbe runs one probe as its own process: it replays a capture as if
// captured live and sends its observations over UDP to every collector of
// the config (design 2, 7).
func cmdProbe(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("probe", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML config `FILE` naming the collectors (collectors[].address)")
	name := fs.String("name", "", "probe `NAME` (in the config's probes list for its id and key)")
	iface := fs.String("iface", "if0", "interface `NAME` the capture was taken on (one-way hops may name probe/iface)")
	pcap := fs.String("pcap", "", "capture `FILE` to replay as this probe's traffic")
	speedStr := fs.String("speed", "realtime", "replay speed: realtime (as live), a factor such as 4x, or full")
	linger := fs.Duration("linger", 30*time.Second, "after the capture, wait at most this long for the collectors' acknowledgements")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tmonbench probe --config FILE --name NAME --pcap FILE [flags]\n\nRuns a probe process that sends its observations as PDUs over UDP to the\ncollectors of the config.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("probe: %v", err)
	}
	if *cfgPath == "" || *name == "" || *pcap == "" {
		return usageErr("probe: --config, --name and --pcap are required (live capture with -i is not available yet)")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if len(cfg.Collectors) == 0 {
		return usageErr("probe: %s names no collectors (collectors: [{name, address}])", *cfgPath)
	}
	speed, err := replay.ParseSpeed(*speedStr)
	if err != nil {
		return usageErr("probe: %v", err)
	}
	id := probe.Identity{Name: *name, ID: probeID(cfg, *name), Interfaces: []string{*iface}}
	keys := pipeline.Keys(cfg)
	if len(keys) > 0 && keys[*name] == nil {
		return usageErr("probe: %q has no key in %s (probes[].key): the collectors would refuse it", *name, *cfgPath)
	}
	var links []*pdu.UDPLink
	var chans []probe.Channel
	defer func() {
		for _, l := range links {
			l.Close()
		}
	}()
	for _, c := range cfg.Collectors {
		if c.Address == "" {
			return usageErr("probe: collector %q has no address", c.Name)
		}
		l, err := pdu.DialUDP(c.Address)
		if err != nil {
			return fmt.Errorf("probe: collector %s at %s: %w", c.Name, c.Address, err)
		}
		links = append(links, l)
		sc := pipeline.SenderConfig(c)
		sc.Key = keys[*name]
		chans = append(chans, probe.Channel{Link: l, Config: sc})
	}
	src, err := replay.Open(*pcap)
	if err != nil {
		return err
	}
	defer src.Close()
	p, err := probe.New(id, cfg, chans, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pacer := replay.NewPacer(speed)
	poll := func(now int64) {
		for i, l := range links {
			l.Poll(p.Senders()[i], now)
		}
	}
	started := time.Now()
	var packets uint64
	for {
		data, m, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "tmonbench: warning: %v (the packets before the damage are kept)\n", err)
			p.Event(p.Now(), probe.SevWarning, "capture_damaged", err.Error())
			break
		}
		if err := pacer.Wait(ctx, m.TimeNs); err != nil {
			break
		}
		m.Iface = 0
		p.Packet(data, m)
		packets++
		if packets%64 == 0 {
			poll(p.Now())
		}
	}
	p.Close()
	// The capture is over: the probe clock goes on with the wall clock
	// while the last PDUs wait for their acknowledgements.
	end, t0 := p.Now(), time.Now()
	for p.Pending() > 0 && time.Since(t0) < *linger && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
		now := end + int64(time.Since(t0))
		poll(now)
		p.Tick(now)
	}
	st := p.Stats()
	parts := []string{fmt.Sprintf("tmonbench probe %s: %d packets, %d IP, %d flows in %.3f s", *name, st.Packets, st.IP, st.Flows, time.Since(started).Seconds())}
	for i, s := range p.Senders() {
		ss := s.Stats()
		var pdus uint64
		for _, n := range ss.PDUs {
			pdus += n
		}
		parts = append(parts, fmt.Sprintf("collector %s: %d PDUs, %d retransmissions, %d unacknowledged", cfg.Collectors[i].Name, pdus, ss.Retransmits, s.Pending()))
	}
	fmt.Fprintln(stdout, strings.Join(parts, "; "))
	if p.Pending() > 0 {
		return fmt.Errorf("probe: %d PDUs still unacknowledged after --linger %s (is the collector running at the configured address, with this probe's key?)", p.Pending(), *linger)
	}
	return nil
}

// probeID is the probe's number on the wire: its place in the config's
// probes list, or a hash of its name above that range.
func probeID(cfg *config.Config, name string) uint16 {
	if id := cfg.ProbeID(name); id != 0 {
		return id
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return uint16(1024 + h.Sum32()%(65535-1024))
}
