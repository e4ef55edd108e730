package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/store"
)

// cmdCollector runs a collector process: it receives probes' PDUs over UDP,
// acknowledges them, and appends the tables under --out as it goes (design
// 4). It watches --config (design 1.6, collector_switch.go). It stops on
// SIGINT/SIGTERM, or after --idle-exit without a frame.
func cmdCollector(fs *pflag.FlagSet) (string, runFunc) {
	cfgPath := fs.String("config", "", "YAML config `FILE` (probes and their keys, one-way classes)")
	listen := fs.String("listen", "", "UDP `ADDR` to listen on, host:port (default: the first collector's address in the config)")
	out := fs.String("out", collectorOut, "output `DIR`: rows are appended as new Parquet parts (a restart adds to them); not ./tmon-out, replay's default, which a collector refuses once a replay wrote there; a collector run before 2026-12-06 wrote ./tmon-out: give --out ./tmon-out to go on appending there (query it with --out DIR)")
	every := fs.Duration("write-every", 5*time.Second, "write the rows received so far every `DURATION` (queries see them)")
	silence := fs.Duration("silence", 30*time.Second, "a probe silent for this `DURATION` (no PDU, no heartbeat) becomes a probe_silent event")
	idleExit := fs.Duration("idle-exit", 0, "stop after this `DURATION` without any frame, once one came; while a probe run has not sent its final report, after --silence and twice the config's heartbeat_s at least (0: run until SIGINT/SIGTERM)")
	var metricsArg metricsFlag
	metricsArg.register(fs, "127.0.0.1:9465", "")
	var trapArgs trapFlags
	trapArgs.register(fs)
	anyProbe := fs.Bool("any-probe", false, "accept PDUs from any probe, not only the config's probes list (unsafe where others can send to the port)")
	return "Usage: tmonbench collector --config FILE [--listen ADDR] [--out DIR] [flags]\n\nReceives, acknowledges and de-duplicates the probes' PDUs over UDP and writes\nthe same tables as tmonbench replay.", func(args []string, stdout, stderr io.Writer) error {
		if *every == 0 { // < 0: nonNegativeDurations
			return durationErr("collector", "write-every", *every, wantPositive)
		}
		if err := hostPort(*listen); err != nil { // a bad flag value first, before the config's warnings
			return listenErr(*listen, err, true)
		}
		cfg, err := loadConfig("collector", *cfgPath, stderr)
		if err != nil {
			return err
		}
		for _, w := range cfg.HopsOutsideProbes() {
			warnf(stderr, "collector", "%s", w)
		}
		log := slog.New(slog.NewTextHandler(stderr, nil)) // lifecycle: start, probes finished, stop
		addr := *listen
		if addr == "" {
			addr = collectorAddr(cfg)
		}
		if addr == "" {
			return noListenErr(*cfgPath)
		}
		traps, err := trapArgs.open() // a bad address creates no output folder
		if err != nil {
			return usageErr("collector: %v", err)
		}
		defer traps.close()
		// Listen first: a bad --listen creates no output folder (issue 9.9).
		// Datagrams arriving before Serve wait in the socket (probes retry).
		l, err := pdu.ListenUDP(addr)
		if err != nil {
			return listenErr(addr, err, *listen != "")
		}
		defer l.Close()
		if got := l.ReadBufferBytes(); got < pdu.SocketBufferBytes/4 {
			warnf(stderr, "collector", "the kernel grants %d kB of UDP receive buffer, not %d kB (net.core.rmem_max): bursts of PDUs beyond it are dropped and retried; as root: sysctl -w net.core.rmem_max=%d", got>>10, pdu.SocketBufferBytes>>10, pdu.SocketBufferBytes)
		}
		var snap laterSnapshotter // the server's, once made
		metrics, err := metricsArg.serve("collector", &snap)
		if err != nil {
			return err
		}
		defer metrics.stop()
		coll, err := collector.New(cfg, log)
		if err != nil {
			return err
		}
		ids, err := acceptedProbes(cfg, *anyProbe)
		if err != nil {
			return err
		}
		if *anyProbe {
			warnf(stderr, "collector", "--any-probe: accepting PDUs from any probe that can reach the port (its rows go into the tables)")
		} else {
			coll.SetProbes(ids)
		}
		if keys := cfg.ProbeKeys(); keys != nil {
			if err := coll.SetKeys(keys); err != nil {
				return err
			}
		}
		if m, err := store.ReadManifest("./tmon-out"); err == nil && m.Mode == store.ModeCollector && !fs.Changed("out") {
			warnf(stderr, "collector", "./tmon-out holds a collector's output (the default --out before 2026-12-06); this run writes %s: give --out ./tmon-out to append there", *out)
		}
		app, err := store.OpenAppend(*out, store.Manifest{Version: version, Command: append([]string{"tmonbench", "collector"}, args...), ConfigHash: cfg.Hash(), Config: string(pdu.EffectiveConfig(cfg).RedactedYAML()), Started: time.Now().UTC()})
		if err != nil {
			return err
		}
		defer closeAppender(app)
		// The journal makes an acknowledgement mean "durable": a collector
		// killed at any moment and restarted ends with the rows of a run that
		// never stopped (engine/collector doc.go).
		jr, err := journal.Open(filepath.Join(app.Out(), store.JournalDir))
		if err != nil {
			return fmt.Errorf("collector: %w", err)
		}
		defer jr.Close()
		reserve := filepath.Join(jr.Dir(), "reserve")
		if err := reserveSpace(reserve, reserveBytes); err != nil {
			warnf(stderr, "collector", "no disk space reserved for the event of a write failure: %v", err)
		}
		srv := collector.NewServer(coll, nil, traps.around(app), collector.ServerOptions{WriteEvery: *every, Silence: *silence, IdleExit: *idleExit, Heartbeat: heartbeat(cfg), Now: time.Now, Log: log, Journal: jr,
			OnFail: func() { os.Remove(reserve) }})
		rec, err := srv.Recover()
		if err != nil {
			return err
		}
		snap.set(srv)
		restored := srv.Stats().Receiver
		// Stop signals are handled from before the listening line: a
		// signal sent once the line is read ends the run cleanly.
		ctx, stop := untilSignal()
		defer stop()
		// The watch is up before the listening line: a version written
		// once the line is read raises its event.
		var watch *collectorWatch
		if *cfgPath != "" {
			if watch, err = watchCollector(ctx, *cfgPath, cfg, *listen, *anyProbe, srv, app, log, stderr); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "tmonbench collector listening on %s, writing to %s\n", l.Addr(), app.Out())
		metrics.say(stdout, "collector")
		if rec.Records > 0 || rec.Checkpoint {
			fmt.Fprintln(stdout, recoveredLine(jr.Dir(), rec))
		}
		if f, ok := stdout.(*os.File); ok {
			f.Sync()
		}
		srv.SetTransport(l)
		err = srv.Serve(ctx)
		if watch != nil {
			watch.close()
		}
		if merr := writeManifest(app.Out()); merr != nil {
			err = errors.Join(err, merr)
		}
		st := srv.Stats()
		rx := st.Receiver
		fmt.Fprintln(stdout, collectorLine(rx, restored, l.Stats(), app.Out()))
		printAppended(stdout, app)
		return err
	}
}

// collectorOut is the collector's default --out: a folder of its own, as
// a collector appends only to a collector's output (store.OpenAppend) and
// ./tmon-out, replay's default, is a replay's output once one ran there.
const collectorOut = "./tmon-collector"

// reserveBytes is the disk space a collector keeps for the
// collector_write_failed event of a full disk (a part of a few kB, the
// manifest).
const reserveBytes = 1 << 20

// reserveSpace writes n bytes of zeros to path, fsynced (real blocks, not
// a sparse file): space the collector frees when a write fails, so the
// event saying so can still be written.
func reserveSpace(path string, n int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, n))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// collectorLine is a collector's summary line: what its receiver rx
// counted (restored of it before this process), its socket's udp
// counters, its output out. Its counts add up to the frames: PDUs
// accepted, heartbeats, duplicates and refused (a trial read "58 frames
// received, 56 PDUs accepted, 0 duplicates, 0 refused": the 2 others
// were heartbeats, in no count).
func collectorLine(rx, restored pdu.ReceiverStats, udp pdu.UDPStats, out string) string {
	return fmt.Sprintf("tmonbench collector: "+pkt.Nouns(rx.Frames, "%d frame[s]")+" received, "+pkt.Nouns(rx.Accepted, "%d PDU[s]")+" accepted%s, "+pkt.Nouns(rx.Heartbeats, "%d heartbeat[s]")+", "+pkt.Nouns(rx.Duplicates, "%d duplicate[s]")+", %d refused (%d bad, %d unknown probe, %d bad tag, %d closed epoch, %d too old%s)%s; output %s",
		rx.Frames, rx.Accepted, beforeRestart(restored), rx.Heartbeats, rx.Duplicates, rx.Refused(), rx.Bad, rx.Unknown, rx.BadAuth, rx.ClosedEpoch, rx.TooOld, probesFull(rx.ProbesFull), udpPart(udp), out)
}

// probesFull is the refusals of --any-probe's bound (probes past
// pdu.MaxProbes), named when there are some: Refused counts them.
func probesFull(n uint64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d past the %d probes followed", n, pdu.DefaultMaxProbes)
}

// beforeRestart says how many of the summary's frames and PDUs (the
// output's, every process that appended to it) came before this process
// started, restored from the state folder: its checkpoint's counters and
// the frames its journal replays (each counted once, with its PDUs:
// pdu.Receiver.CountReplayed).
func beforeRestart(restored pdu.ReceiverStats) string {
	if restored.Frames == 0 && restored.Accepted == 0 {
		return ""
	}
	return fmt.Sprintf(" (of which "+pkt.Nouns(restored.Frames, "%d frame[s]")+" and "+pkt.Nouns(restored.Accepted, "%d PDU[s]")+" before this process started: restored from its state folder)", restored.Frames, restored.Accepted)
}

// recoveredLine says what a restarted collector took back from its state
// folder dir.
func recoveredLine(dir string, rec collector.Recovery) string {
	from := "no checkpoint yet"
	if rec.Checkpoint {
		from = "its checkpoint"
	}
	return fmt.Sprintf("tmonbench collector: state recovered from %s (%s): "+pkt.Nouns(rec.Records, "%d journal record[s] (")+pkt.Nouns(rec.Frames, "%d PDU[s]) replayed, ")+pkt.Nouns(rec.Redone, "%d interrupted write[s] redone"),
		dir, from, rec.Records, rec.Frames, rec.Redone)
}

// heartbeat is the probes' heartbeat period under cfg: the largest
// heartbeat_s of its collectors (0: the default).
func heartbeat(cfg *config.Config) time.Duration {
	def, hb := config.DefaultCollector().HeartbeatS, 0.0
	for _, c := range cfg.Collectors {
		hb = max(hb, cmp.Or(c.HeartbeatS, def))
	}
	return time.Duration(cmp.Or(hb, def) * float64(time.Second))
}
