package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// stoppableFile is the capture file a probe process replays: it ends (as
// at EOF) once stop is done, so that the probe still lingers for the
// acknowledgements of its last PDUs.
type stoppableFile struct {
	pkt.Source
	stop  context.Context
	ended atomic.Bool // the file ended (EOF, damage or stop)
	// interrupted: the stop ended the file before its end; onStop is
	// called then, once, with the packets read (the run_interrupted
	// event).
	interrupted bool
	onStop      func(packets uint64)
	packets     uint64
	// onEnd, when set, is called once when the file ends (EOF, damage
	// or stop), from the reading goroutine, before the probe's final
	// report: the replay_filter event.
	onEnd   func()
	endSaid bool
}

// end calls onEnd, once.
func (s *stoppableFile) end() {
	if !s.endSaid && s.onEnd != nil {
		s.endSaid = true
		s.onEnd()
	}
}

// Next implements pkt.Source.
func (s *stoppableFile) Next() ([]byte, pkt.Meta, error) {
	if s.stop.Err() != nil {
		s.interrupt(0)
		return nil, pkt.Meta{}, io.EOF
	}
	data, m, err := s.Source.Next()
	if err != nil {
		s.ended.Store(true)
		s.end()
	} else {
		s.packets++
	}
	return data, m, err
}

// interrupt ends the file before its end (the stop came): once, it calls
// onStop with the packets handled, the packets read but unhandled left
// out. Called by Next, and by the pacer's wait that the stop cut short
// (the packet it paced is not handled, and the run reads no more).
func (s *stoppableFile) interrupt(unhandled uint64) {
	if !s.ended.Swap(true) {
		s.interrupted = true
		if s.onStop != nil {
			s.onStop(s.packets - unhandled)
		}
		s.end()
	}
}

// paceFile sets r to pace src's packets with pacer, a wait cut short by
// the stop ending the file, and to report an interrupted file as replay
// does: a run_interrupted event with the packets handled (then exit
// status 130).
func (r *probeRunner) paceFile(src *stoppableFile, pacer *replay.Pacer, path string) {
	var eng probe.Engine
	r.started = func(p probe.Engine) { eng = p }
	src.onStop = func(n uint64) {
		if eng != nil {
			eng.Event(eng.Now(), pdu.SevWarning, "run_interrupted", fmt.Sprintf(pkt.Nouns(n, "probe %s: replay of %s interrupted after %d packet[s] (a stop signal): the tables hold what was observed until then"), r.name, path, n))
		}
	}
	r.pace = func(_ context.Context, t int64) error {
		err := pacer.Wait(src.stop, t)
		if err != nil && src.stop.Err() != nil {
			src.interrupt(1)
		}
		return err
	}
}

// fileExit is the outcome of a probe's run over a capture file: the
// unacknowledged PDUs' error (unacked), and exit status 130 when a signal
// stopped the file before its end, said on stderr with that error if any
// (130's message is not printed by main).
func (r *probeRunner) fileExit(ctx context.Context, res probe.RunResult, src *stoppableFile) error {
	err := r.unacked(ctx, res)
	if !src.interrupted {
		return err
	}
	var ee *exitError
	if err != nil && !(errors.As(err, &ee) && ee.code == 130) {
		fmt.Fprintf(r.stderr, "tmonbench %v\n", err)
	}
	return &exitError{code: 130, err: errors.New("probe: interrupted: the replay stopped before the end of its file")}
}

// stopSignals stop a run: SIGINT and SIGTERM.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// untilSignal returns a context cancelled at the first stop signal, and
// the function that stops the handling.
func untilSignal() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), stopSignals...)
}

// probeSignals handles SIGINT and SIGTERM for a probe replaying a file
// into src: a signal during the replay stops it (the packets paced by
// stopCtx's waits, src ending), the probe then lingering for its last
// acknowledgements; a signal during that wait, or a second one, cancels
// the returned context: the wait ends at once. release stops the
// handling.
func probeSignals(src *stoppableFile, stopCapture func()) (ctx context.Context, release func()) {
	ctx, abort := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, stopSignals...)
	go func() {
		for {
			select {
			case <-sig:
			case <-ctx.Done():
				return
			}
			if src.ended.Load() || src.stop.Err() != nil {
				abort()
				return
			}
			stopCapture()
		}
	}()
	return ctx, func() { signal.Stop(sig); abort() }
}

// unacked is the error of a run that ended with PDUs unacknowledged:
// exit status 130 when a signal (ctx) cut the wait short.
func (r *probeRunner) unacked(ctx context.Context, res probe.RunResult) error {
	if res.Unacked > 0 && ctx.Err() != nil { // 130: said here, not by main
		fmt.Fprintf(r.stderr, pkt.Nouns(res.Unacked, "tmonbench probe: stopped by a signal with %d PDU[s] unacknowledged%s%s (their observations may be missing at the collector)\n"), res.Unacked, perCollector(res), unsentText(res))
		return &exitError{code: 130, err: errors.New("probe: interrupted")}
	}
	if res.Unacked > 0 && res.Unsent == res.Unacked {
		return fmt.Errorf(pkt.Nouns(res.Unacked, "probe: %d PDU[s] never sent after --linger %s: the channel's regulation (one PDU per min_gap_ms) could not carry [it|them] in time (a longer --linger, or a smaller min_gap_ms for this link)"), res.Unacked, r.linger)
	}
	if res.Unacked > 0 {
		return fmt.Errorf(pkt.Nouns(res.Unacked, "probe: %d PDU[s] still unacknowledged after --linger %s%s%s (is the collector running at the configured address, with this probe's key? Or did another probe process start under the name %s: a collector then follows the newer run only, its events say probe_duplicate_name); not acknowledged, [it|they] may or may not have reached the collector"), res.Unacked, r.linger, perCollector(res), unsentText(res), r.name)
	}
	return nil
}

// perCollector names the collectors whose channels ended with PDUs
// unacknowledged, with their counts as the summary line gives them:
// " (collector b: 1811, collector c: 272)"; "" without channels.
func perCollector(res probe.RunResult) string {
	var parts []string
	for _, ch := range res.Channels {
		if ch.Stats.Unacked > 0 {
			parts = append(parts, fmt.Sprintf("collector %s: %d", ch.Collector, ch.Stats.Unacked))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// unsentPart is a channel's count of unacknowledged PDUs never sent, for
// its part of the summary line ("" for none).
func unsentPart(unsent int) string {
	if unsent == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d never sent)", unsent)
}

// unsentText says how many of a run's unacknowledged PDUs were never sent
// (still waiting for a sending slot): those are no sign of a collector
// that does not answer.
func unsentText(res probe.RunResult) string {
	if res.Unsent == 0 {
		return ""
	}
	return fmt.Sprintf(", %d of them never sent (the channel's regulation, one PDU per min_gap_ms, could not carry them in time)", res.Unsent)
}
