package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/store"
)

// cmdCollector runs a collector process: it receives probes' PDUs over UDP,
// acknowledges them, and appends the tables under --out as it goes (design
// 4). It stops on SIGINT/SIGTERM, or after --idle-exit without a frame.
func cmdCollector(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("collector", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML config `FILE` (probes and their keys, one-way classes)")
	listen := fs.String("listen", "", "UDP `ADDR` to listen on, host:port (default: the first collector's address in the config)")
	out := fs.String("out", "./tmon-out", "output `DIR`: rows are appended as new Parquet parts (a restart adds to them)")
	every := fs.Duration("write-every", 10*time.Second, "write the rows received so far this often")
	silence := fs.Duration("silence", 30*time.Second, "a probe silent this long (no PDU, no heartbeat) becomes a probe_silent event")
	idleExit := fs.Duration("idle-exit", 0, "stop after this long without any frame, once one came (0: run until SIGINT/SIGTERM)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tmonbench collector --config FILE [--listen ADDR] [--out DIR] [flags]\n\nReceives, acknowledges and de-duplicates the probes' PDUs over UDP and writes\nthe same tables as tmonbench replay.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("collector: %v", err)
	}
	cfg := config.Default()
	var err error
	if *cfgPath != "" {
		if cfg, err = config.Load(*cfgPath); err != nil {
			return err
		}
	}
	addr := *listen
	if addr == "" && len(cfg.Collectors) > 0 {
		addr = cfg.Collectors[0].Address
	}
	if addr == "" {
		return usageErr("collector: --listen ADDR is required (or collectors[0].address in the config)")
	}
	coll, err := collector.New(cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	coll.SetEpoch(time.Now().UnixNano())
	keys := map[uint16][]byte{}
	for i, p := range cfg.Probes {
		if p.Key != "" {
			keys[uint16(i+1)] = []byte(p.Key)
		}
	}
	if len(keys) > 0 {
		if err := coll.SetKeys(keys); err != nil {
			return err
		}
	}
	app, err := store.OpenAppend(*out, store.Manifest{Version: version, Command: append([]string{"tmonbench", "collector"}, args...), ConfigHash: configHash(cfg), Started: time.Now().UTC()})
	if err != nil {
		return err
	}
	l, err := pdu.ListenUDP(addr)
	if err != nil {
		return fmt.Errorf("collector: listen %s: %w", addr, err)
	}
	defer l.Close()
	fmt.Fprintf(stdout, "tmonbench collector listening on %s, writing to %s\n", l.Addr(), app.Out())
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex // the collector engine is single-threaded
	var last time.Time
	var frames uint64
	served := make(chan error, 1)
	go func() {
		served <- l.Serve(ctx, func(frame []byte) []byte {
			mu.Lock()
			defer mu.Unlock()
			last = time.Now()
			frames++
			return coll.HandleAt(last.UnixNano(), frame)
		})
	}()
	var werr error
	write := func(b *observe.Batch) {
		if err := writeAppend(app, b); err != nil && werr == nil {
			werr = err
			fmt.Fprintln(stderr, "tmonbench: collector:", err)
		}
	}
	tick := time.NewTicker(min(*every, time.Second))
	defer tick.Stop()
	lastWrite := time.Now()
	serveDone := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-served:
			serveDone = true
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("collector: %w", err)
			}
			break loop
		case now := <-tick.C:
			mu.Lock()
			coll.Liveness(now.UnixNano(), silence.Nanoseconds())
			idle := *idleExit > 0 && frames > 0 && now.Sub(last) >= *idleExit
			var b *observe.Batch
			if now.Sub(lastWrite) >= *every {
				b = coll.Drain()
				lastWrite = now
			}
			mu.Unlock()
			if b != nil {
				write(b)
			}
			if idle {
				break loop
			}
		}
	}
	cancel()
	if !serveDone {
		<-served
	}
	mu.Lock()
	b := coll.Finish()
	st := coll.Stats()
	mu.Unlock()
	write(b)
	fmt.Fprintf(stdout, "tmonbench collector: %d frames, %d PDUs accepted, %d duplicates, %d bad, %d unauthenticated; output %s\n",
		st.Receiver.Frames, st.Receiver.Accepted, st.Receiver.Duplicates, st.Receiver.Bad, st.Receiver.BadAuth+st.Receiver.Unknown, app.Out())
	return werr
}

// writeAppend appends every table of b to the output as new parts.
func writeAppend(a *store.Appender, b *observe.Batch) error {
	return errors.Join(
		store.AppendTo(a, observe.TableFlows, b.Flows),
		store.AppendTo(a, observe.TableFlowCounters, b.FlowCounters),
		store.AppendTo(a, observe.TableEvents, b.Events),
		store.AppendTo(a, observe.TableSizeHistograms, b.SizeHistograms),
		store.AppendTo(a, observe.TableTCPConnections, b.TCPConnections),
		store.AppendTo(a, observe.TableRTTSamples, b.RTTSamples),
		store.AppendTo(a, observe.TableRTTHistograms, b.RTTHistograms),
		store.AppendTo(a, observe.TableFTPSessions, b.FTPSessions),
		store.AppendTo(a, observe.TableFTPTransfers, b.FTPTransfers),
		store.AppendTo(a, observe.TableOnewayDelays, b.OnewayDelays),
		store.AppendTo(a, observe.TableOnewayLatency, b.OnewayLatency),
		store.AppendTo(a, observe.TableOnewayLoss, b.OnewayLoss),
		store.AppendTo(a, observe.TablePDUStats, b.PDUStats),
	)
}
