package main

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/tui"
)

// liveFeed is what a running live capture or replay gives its TUI
// (tui.Live, --tui): the engines' latest observe.Snapshot, published by
// the pipeline once a second, read from the TUI's goroutine.
type liveFeed struct {
	snap      observe.Snapshotter
	intervalS float64     // the run's config interval_s, for the overview before any flow is written (0: unknown)
	done      atomic.Bool // the whole run has ended (a config switch-over ends one pipeline run, not this)
	notice    string      // warnings printed before the TUI took the terminal, for its status line
}

// Status implements tui.Live.
func (f *liveFeed) Status() tui.LiveStatus {
	s := tui.LiveStatus{TimeNs: time.Now().UnixNano(), Done: f.done.Load()}
	o := f.snap.Snapshot()
	if o == nil {
		return s
	}
	if o.WallNs != 0 {
		// the time the counts were taken: polling the same snapshot twice
		// gives no rate, not 0 then twice the rate
		s.TimeNs = o.WallNs
	}
	s.State, s.CaptureNs = o.State, o.CaptureNs
	for _, in := range o.Inputs {
		s.Ifaces = append(s.Ifaces, tui.LiveIface{Probe: in.Probe, Iface: in.Interface, Packets: in.Packets, Bytes: in.Bytes, KernelDrops: in.KernelDrops})
	}
	for _, p := range o.Probes {
		s.Probes = append(s.Probes, tui.LiveProbe{Name: p.Probe, Packets: p.Packets, Bytes: p.Bytes, Flows: p.Flows, Malformed: p.Malformed, Evicted: p.FlowsEvicted, Intervals: p.Intervals})
	}
	for _, c := range o.Channels {
		s.Channels = append(s.Channels, tui.LiveChannel{Probe: c.Probe, Collector: c.Collector, Sent: c.Sent, Heartbeats: c.Heartbeats, Acked: c.Acked, Unacked: c.Unacked, LongRetry: c.LongRetry})
	}
	for _, c := range o.Collectors {
		s.CollectorQueue += c.QueueFrames
	}
	s.Recent, s.RecentRows = o.Recent, o.RecentRows
	s.Flows, s.Current = liveFlows(o.Flows), liveFlows(o.Current)
	return s
}

// liveFlows are a snapshot's interval flows as the TUI's.
func liveFlows(fs []observe.IntervalFlow) []tui.LiveFlow {
	var out []tui.LiveFlow
	for _, f := range fs {
		out = append(out, tui.LiveFlow{Probe: f.Probe, Iface: f.Interface, Class: f.Class, FlowID: f.FlowID,
			IntervalStartNs: f.IntervalStart, IntervalS: f.IntervalS, FirstSeenNs: f.FirstSeen, Protocol: f.Protocol,
			SrcAddr: f.SrcAddr, DstAddr: f.DstAddr, SrcPort: f.SrcPort, DstPort: f.DstPort, Packets: f.Packets, Bytes: f.Bytes,
			CoveredStartNs: f.CoveredStart, CoveredS: f.CoveredS})
	}
	return out
}

// withTUI runs the engines (run) in a goroutine and the TUI over out in
// this one, fed by feed. Quitting the TUI calls stop (the capture stops,
// or the replay is interrupted) and waits for run: what was captured is
// still written. The run ending first leaves the TUI open on the final
// numbers ("ended" in the status line). held (nil: none) is the run's
// standard error held meanwhile: its show quits the TUI, told here when
// the terminal is given back.
func withTUI(out string, cfg *config.Config, feed *liveFeed, stdout io.Writer, held *heldOutput, stop func(), run func()) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		run()
	}()
	ended, opts := func() {}, []tea.ProgramOption(nil)
	if held != nil {
		ended, opts = held.tuiEnded, append(opts, tea.WithContext(held.ctx))
	}
	w, screen, release, err := tuiScreen(stdout, "--tui")
	if err != nil {
		ended()
		stop()
		<-done
		return err
	}
	defer release()
	m, err := tui.New(liveOptions(out, cfg, feed, screen))
	if err != nil {
		ended()
		stop()
		<-done
		return keysErr(cfg, err)
	}
	err = tui.Run(m, append(opts, tea.WithOutput(w))...)
	ended() // the screen restored
	m.Close()
	stop()
	<-done
	return err
}

// liveOptions are the TUI's options for a run with --tui writing out:
// the live feed, and why empty screens are empty, as `tmonbench tui` and
// `query` say (emptyReasons: while the run goes, "nothing yet: the replay
// writing it is still going"; they had no reasons, so "(no rows)" alone).
func liveOptions(out string, cfg *config.Config, feed *liveFeed, screen *os.File) tui.Options {
	empty := func(db *sql.DB) queries.EmptyReasons { return emptyReasons(db, out) }
	return tui.Options{Out: out, Keys: cfg.TUI.Bindings(), Live: feed, IntervalS: feed.intervalS, Notice: feed.notice, Output: screen, Empty: empty}
}

// terminalForTUI checks that --tui can have a terminal, before anything is
// opened: the TUI reads its keys from standard input when it is a
// terminal, else from /dev/tty (as bubbletea does).
func terminalForTUI() error {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return nil
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// tuiScreen returns where the TUI draws: stdout when it is a terminal
// (or not a file: tests), else the terminal itself (/dev/tty, as fzf
// does), so "live --tui > log" keeps the screen out of the file, which
// gets the lines printed after it. screen is the terminal file for
// tui.Options.Output (nil: not a file); done releases what was opened.
// flag names what asked for the TUI in the error: "--tui" for replay and
// live, "" for the tui command (its own name prefixes its errors).
func tuiScreen(stdout io.Writer, flag string) (w io.Writer, screen *os.File, done func(), err error) {
	w, done, err = screenOf(stdout, flag, openTTY)
	if err != nil {
		return nil, nil, nil, err
	}
	screen, _ = w.(*os.File)
	return w, screen, done, nil
}

// openTTY opens the process's terminal for writing.
var openTTY = func() (io.WriteCloser, error) { return os.OpenFile("/dev/tty", os.O_WRONLY, 0) }

// screenOf returns where the TUI draws: stdout, unless it is a file (a
// redirection, a pipe) that is not a terminal, then the terminal open
// gives; done releases it. An error starts with flag (see tuiScreen).
func screenOf(stdout io.Writer, flag string, open func() (io.WriteCloser, error)) (w io.Writer, done func(), err error) {
	f, ok := stdout.(*os.File)
	if !ok || term.IsTerminal(int(f.Fd())) {
		return stdout, func() {}, nil
	}
	t, err := open()
	if err != nil {
		if flag != "" {
			flag += ": "
		}
		return nil, nil, fmt.Errorf("%sstandard output is not a terminal and there is none to draw on: %w", flag, err)
	}
	return t, func() { t.Close() }, nil
}
