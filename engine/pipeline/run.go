package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// run is one Run's engines and links.
type run struct {
	opt        Options
	inputs     []Input
	colls      []Collector
	collectors []*collector.Collector
	workers    []*worker // per collector; nil when it runs in the caller's goroutine
	probes     []probe.Engine
	links      [][]*pdu.Loopback // per probe, then collector
	res        *Result
	sinkRows   int
	flushNs    int64 // capture time between two drains to the sink
	lastFlush  int64 // collector clock at the last drain
	badInput   error
	snap       probe.Snapshots // Options.Snapshot
	nowNs      int64           // capture time of the latest packet
	written    atomic.Uint64   // rows handed to the sink (from a worker's goroutine too)
	// recent keeps the latest rows for the snapshots (Options.Snapshot
	// with a Sink): the first collector is drained once a second into
	// staged, which goes to the sink when a write is due.
	recent     *observe.Recent
	staged     observe.Batch
	recentWant atomic.Bool // a snapshot is due: drain the collector into staged
	deliverErr error       // the sink's error on a drain from deliverBounded
	healthNs   []int64     // per probe: time of its last Options.Health event (event)
}

// newRun checks the options and builds the collectors, their workers,
// the probes and the loopback links between them.
func newRun(inputs []Input, opt Options) (*run, error) {
	if len(opt.Probes) == 0 {
		return nil, ErrNoProbes
	}
	for i, in := range inputs {
		if in.Probe < 0 || in.Probe >= len(opt.Probes) {
			return nil, fmt.Errorf("pipeline: input %d routed to probe %d of %d", i, in.Probe, len(opt.Probes))
		}
	}
	r := &run{opt: opt, inputs: inputs, colls: opt.Collectors, res: &Result{}, sinkRows: opt.SinkRows}
	if len(r.colls) == 0 {
		r.colls = []Collector{{Name: "collector", Sender: opt.Sender}}
	}
	if r.sinkRows <= 0 {
		r.sinkRows = DefaultSinkRows
	}
	if r.flushNs = opt.FlushEveryNs; r.flushNs <= 0 {
		r.flushNs = 5e9
	}
	r.startSnapshots()
	if opt.Snapshot != nil && opt.Sink != nil {
		r.recent = &observe.Recent{}
	}
	if err := r.startCollectors(); err != nil {
		return nil, err
	}
	if err := r.startProbes(); err != nil {
		r.stopWorkers()
		return nil, err
	}
	return r, nil
}

// startCollectors builds one collector per configured one, each in its
// own goroutine when Parallel allows it.
func (r *run) startCollectors() error {
	keys := r.opt.Config.ProbeKeys()
	ids := make([]uint16, len(r.opt.Probes)) // the collectors accept the run's probes only
	for i, id := range r.opt.Probes {
		if ids[i] = id.ID; ids[i] == 0 {
			ids[i] = r.opt.Config.ProbeID(id.Name)
		}
	}
	r.collectors = make([]*collector.Collector, len(r.colls))
	r.workers = make([]*worker, len(r.colls))
	for c, cc := range r.colls {
		coll, err := collector.New(r.opt.Config, r.opt.Log)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := coll.SetKeys(keys); err != nil {
				return err
			}
		}
		coll.SetProbes(ids)
		coll.SetOnewayIDBase(r.opt.OnewayIDBase)
		// live capture: the one-way counters at every drain, as a served
		// collector's; a replay's at its end (its rows do not depend on
		// when it drains)
		coll.SetPeriodicReports(r.opt.SinkTick != nil)
		r.collectors[c] = coll
		if r.opt.Parallel && !cc.Faults.Active() && len(keys) == 0 {
			var drain func(*collector.Collector, bool) error
			if c == 0 && r.opt.Sink != nil {
				drain = r.drainIfDue
			}
			frameBytes := cc.Sender.MaxPDUBytes
			if frameBytes <= 0 {
				frameBytes = pdu.DefaultSenderConfig().MaxPDUBytes
			}
			r.workers[c] = startWorker(coll, cc.Name, min(frameBytes, pdu.MaxFrameBytes), drain, r.opt.SinkTick)
		}
	}
	return nil
}

// startProbes builds the probes, each with one loopback link per
// collector.
func (r *run) startProbes() error {
	ids := map[uint16]string{}
	r.probes = make([]probe.Engine, len(r.opt.Probes))
	r.links = make([][]*pdu.Loopback, len(r.opt.Probes))
	for i, id := range r.opt.Probes {
		if id.ID == 0 {
			id.ID = r.opt.Config.ProbeID(id.Name)
		}
		if other, dup := ids[id.ID]; dup {
			return fmt.Errorf("pipeline: probes %q and %q share the wire id %d: list them under probes: in the config", other, id.Name, id.ID)
		}
		if err := r.opt.Config.ProbeUnlisted(id.Name, r.opt.probeHow()); err != nil {
			return err
		}
		ids[id.ID] = id.Name
		var chans []probe.Channel
		for c, cc := range r.colls {
			l := &pdu.Loopback{Deliver: r.collectors[c].Handle, Faults: cc.Faults}
			if w := r.workers[c]; w != nil {
				l.Deliver = w.deliver
			} else if c == 0 && r.opt.Sink != nil {
				l.Deliver = r.deliverBounded
			}
			r.links[i] = append(r.links[i], l)
			sc := cc.Sender
			if sc.MaxPDUBytes == 0 { // a zero SenderConfig: the default size, which probe.New requires set
				sc.MaxPDUBytes = pdu.DefaultSenderConfig().MaxPDUBytes
			}
			if !cc.Faults.Active() {
				sc.MinGapNs = 0 // a perfect in-process link: nothing to protect from the observations
			} else {
				// an outage may hold definitions past max_permanent_mb: they
				// wait in unlinked temporary files (pdu.SenderConfig.SpoolDir)
				sc.SpoolDir = os.TempDir()
			}
			sc.Collector = cc.Name
			sc.Key = r.opt.Config.ProbeKey(id.Name)
			chans = append(chans, probe.Channel{Link: l, Config: sc})
		}
		var p probe.Engine
		var err error
		if r.opt.Workers > 0 {
			p, err = probe.NewWorkers(id, r.opt.Config, chans, r.opt.Log, r.opt.Workers)
		} else {
			p, err = probe.New(id, r.opt.Config, chans, r.opt.Log)
		}
		if err != nil {
			return err
		}
		for c, s := range p.Senders() {
			r.links[i][c].Ack = s.HandleAck
		}
		r.probes[i] = p
	}
	return nil
}

func (r *run) stopWorkers() {
	for _, w := range r.workers {
		if w != nil {
			w.stop()
		}
	}
}

// feed reads the merged inputs and hands every packet to its probe.
func (r *run) feed(ctx context.Context) error {
	opt := r.opt
	srcs := make([]pkt.Source, len(r.inputs))
	lends := make([]lender, len(r.inputs))
	for i, in := range r.inputs {
		src := in.Source
		if opt.ReadAhead {
			// a source that reads ahead itself (replay.File: in chunks,
			// nothing per packet), or the batches of ahead.go
			var stop func()
			if ra, ok := src.(pkt.ReadAheader); ok {
				stop = ra.ReadAhead()
			}
			if stop == nil {
				a := newAhead(src)
				stop, src = a.stop, a
			}
			defer stop() // the inputs are the caller's again when Run returns
		}
		lends[i] = r.lender(in, src)
		g := &guarded{src: src, failed: func(err error) { r.inputFailed(i, err) }}
		g.into, _ = src.(pkt.MetaSource)
		srcs[i] = g
	}
	for i, in := range r.inputs {
		srcs[i].(*guarded).ended = func() { r.captureEnded(in.Probe, srcs) }
	}
	src := opt.Merge(srcs...)
	// One input that the merge passes through (replay.Merged.Single) is
	// read straight, its damage reported by the loop as guarded reports
	// it: two calls less per packet (issue 14).
	var read pkt.Source = src
	var damaged func(error)
	if s, ok := src.(interface{ Single() pkt.Source }); ok && len(srcs) == 1 && s.Single() == srcs[0] {
		g := srcs[0].(*guarded)
		read, damaged = g.src, g.failed
	}
	every := max(opt.ProgressEvery, 1) // progress every this many packets, checked every 1024
	if opt.ProgressEvery == 0 {
		every = 1 << 14
	}
	var lastProgress uint64
	quiet := newQuietTicks(r.probes, r.inputs, srcs) // several probes: the quiet ones ticked on the run's clock
	l := probe.Loop{
		First:   r.setOrigin,
		Damaged: damaged,
		Pace:    opt.Pace,
		Wall:    opt.Wall,
		Idle: func(nowNs int64) {
			for _, p := range r.probes {
				p.Tick(nowNs)
			}
		},
		Periodic: func() error {
			if r.badInput != nil {
				return r.badInput
			}
			if opt.Progress != nil && r.res.Packets-lastProgress >= every {
				lastProgress = r.res.Packets
				opt.Progress(r.res.Packets, r.res.Bytes)
			}
			if opt.Health != nil {
				opt.Health(r.event)
			}
			if r.snap.Due(r.nowNs) {
				if r.recent != nil {
					// the collector's rows so far reach this snapshot (a
					// collector in its own goroutine drains at its next
					// frame: they reach the next one)
					r.recentWant.Store(true)
					if err := r.drain(); err != nil {
						return err
					}
				}
				r.snap.Publish(false, r.fillSnapshot)
			}
			return r.drain()
		},
	}
	packet := func(data []byte, m pkt.Meta) {
		in := 0
		if damaged == nil {
			in = src.Last()
		}
		if in < 0 || in >= len(r.inputs) {
			r.badInput = fmt.Errorf("pipeline: packet from unknown input %d", in)
			return
		}
		r.took(in, len(data), m.TimeNs)
		m.Iface = r.inputs[in].iface(m.Iface)
		if quiet != nil {
			quiet.packet(r.inputs[in].Probe, m.TimeNs)
		}
		if l := &lends[in]; l.w != nil {
			l.w.PacketLent(data, m, l.src.Lent())
			return
		}
		r.probes[r.inputs[in].Probe].Packet(data, m)
	}
	if damaged != nil && lends[0].w == nil {
		// One input read straight, its packets not lent: the input, its
		// probe and its interfaces are known here, not looked up per
		// packet (issue 14: the probe's goroutine is the critical path).
		in0 := &r.inputs[0]
		p0 := r.probes[in0.Probe]
		packet = func(data []byte, m pkt.Meta) {
			r.took(0, len(data), m.TimeNs)
			m.Iface = in0.iface(m.Iface)
			p0.Packet(data, m)
		}
	} else if damaged != nil {
		// The same for one input lent to its probe's workers: 78
		// instructions a packet in the general closure (input lookup,
		// Last, the lenders' slice), 2 workers on the corpus.
		in0, ln := &r.inputs[0], lends[0]
		packet = func(data []byte, m pkt.Meta) {
			r.took(0, len(data), m.TimeNs)
			m.Iface = in0.iface(m.Iface)
			ln.w.PacketLent(data, m, ln.src.Lent())
		}
	}
	err := l.Run(ctx, read, packet)
	r.res.FirstNs, r.res.LastNs = l.FirstNs, l.LastNs
	for _, ls := range r.links {
		r.res.DeliveredDuringRun += ls[0].Stats().Delivered
	}
	if err == nil {
		err = r.badInput
	}
	return err
}

// event reports an event of Options.Health (or End) as probe i at its current
// time, with what it counts (n, for events.count); a later one at the same
// time (an interface down and up again in one check) is stamped 1 ns after
// the one before, so that the events table, sorted by time and then by
// kind, keeps their order (up, down read down, up: the interface seemed
// up while it was down). The first of a run is stamped 1 ns after the
// probe's clock: after its probe_start, stamped at the clock of its first
// packet or tick (config_switch_start then reads after the probe_start of
// the run it starts, not before it by its kind). A probe that has not
// started yet (a live capture stopped before its first packet or idle
// wake-up) starts first, at Options.Wall's time: the probe starts with the
// capture, and its clock is never 0 (1970) under its events. The probe
// closes at the time of the last one, at the latest (settle).
func (r *run) event(i int, sev uint8, kind, msg string, n uint64) {
	if i >= 0 && i < len(r.probes) {
		p := r.probes[i]
		if !p.Started() && r.opt.Wall != nil {
			p.Tick(r.opt.Wall())
		}
		if r.healthNs == nil {
			r.healthNs = make([]int64, len(r.probes))
		}
		if r.healthNs[i] == 0 {
			r.healthNs[i] = p.Now()
		}
		t := pkt.After(p.Now(), r.healthNs[i])
		r.healthNs[i] = t
		p.EventCount(t, sev, kind, msg, n)
	}
}

// inputFailed reports a damaged input as an event of its probe: one
// damaged before the probe's first packet is held until the probe starts
// (probe.Probe.EventCount), and sent after its probe_start; if it never
// starts, Result.Started says so and the caller reports the damage.
func (r *run) inputFailed(i int, err error) {
	p := r.probes[r.inputs[i].Probe]
	p.EventCount(p.Now(), pdu.SevWarning, "capture_damaged", pkt.Message(err), 1) // one capture: as replay's own
	if r.opt.InputError != nil {
		r.opt.InputError(i, err)
	}
}

// took counts a packet of n bytes read from input in at capture time
// timeNs in the run's totals, its clock and the snapshots: what every
// feed closure does with every packet. It is inlined (go build -gcflags=-m),
// so the one-input closures pay no call for it.
func (r *run) took(in, n int, timeNs int64) {
	r.res.Packets++
	r.res.Bytes += uint64(n)
	r.nowNs = timeNs
	r.snap.Count(in, n)
}

// setOrigin starts the links' outage windows at the run's first capture
// time (probe.Loop.First: Result.FirstNs, the first packet with a valid
// time).
func (r *run) setOrigin(timeNs int64) {
	for _, ls := range r.links {
		for _, l := range ls {
			if l.Faults.OriginNs == 0 {
				l.Faults.OriginNs = timeNs
			}
		}
	}
}

// deliverBounded hands a frame to the first collector in the probes'
// goroutine and writes its rows to the sink as soon as they reach
// SinkRows: an interval close delivers every active flow's counters at
// once (121 k flows × 5 metrics on the 5 M corpus), which would otherwise
// pile up until the next periodic drain (memory, and the batch regrown).
// A collector in its own goroutine does the same after each frame.
func (r *run) deliverBounded(frame []byte) []byte {
	c := r.collectors[0]
	ack := c.Handle(frame)
	if r.deliverErr == nil && c.Rows() >= r.sinkRows {
		r.deliverErr = r.drainIfDue(c, false)
	}
	return ack
}

// drain hands the rows of the first collector to the sink when due
// (collectors in their own goroutine drain there, after each frame).
func (r *run) drain() error {
	if r.opt.Sink == nil {
		return nil
	}
	if w := r.workers[0]; w != nil {
		// its goroutine drains: a write that failed there (a full disk)
		// ends the run now, not when the capture ends (a live capture
		// went on for minutes, writing nothing, saying nothing)
		return w.sinkErr()
	}
	if r.deliverErr != nil {
		return r.deliverErr
	}
	ticked := false
	select {
	case <-r.opt.SinkTick: // nil channel: never
		ticked = true
	default:
	}
	return r.drainIfDue(r.collectors[0], ticked)
}

// drainIfDue writes what c holds to the sink once it holds SinkRows rows,
// its capture-time clock passed the next flush time, or (ticked) the
// caller's wall-clock tick came and it holds rows (from c's goroutine).
// With snapshots, c is also drained at each snapshot (once a second)
// into the staged rows, which feed the snapshots' recent rows and go to
// the sink with the next write: a live view sees rows within a second,
// while part files stay sized by the write period.
func (r *run) drainIfDue(c *collector.Collector, ticked bool) error {
	now := c.ClockNs()
	if r.lastFlush == 0 {
		r.lastFlush = now
	}
	rows := c.Rows() + r.staged.Rows()
	due := rows >= r.sinkRows || pkt.SubNs(now, r.lastFlush) >= r.flushNs || (ticked && rows > 0)
	if r.recent == nil {
		if !due {
			return nil
		}
		r.lastFlush = now
		return r.sink(c, c.Drain())
	}
	if r.recentWant.Swap(false) || due {
		b := c.Drain()
		r.recent.Add(b)
		r.staged.Append(b)
		c.Recycle(b)
	}
	if !due {
		return nil
	}
	r.lastFlush = now
	return r.writeStaged()
}

// writeStaged writes the staged rows to the sink.
func (r *run) writeStaged() error {
	err := r.sink(nil, &r.staged)
	r.staged.Reset()
	return err
}

// sink writes b, drained from c (nil: a batch of the caller's), to the sink
// and commits.
func (r *run) sink(c *collector.Collector, b *observe.Batch) error {
	if err := r.opt.Sink.Write(b); err != nil {
		return err
	}
	r.written.Add(uint64(b.Rows()))
	if c != nil {
		c.Recycle(b) // the sink does not keep b: its slices hold the next rows
	}
	if cs, ok := r.opt.Sink.(observe.CaptureSink); ok {
		return cs.CommitAt(r.lastFlush) // the drain's capture time: publishing follows the capture (store.Run.PublishByCapture)
	}
	return r.opt.Sink.Commit()
}

// lender is an input whose packets its probe's workers take without a
// copy (probe.Workers.PacketLent).
type lender struct {
	src pkt.Lender
	w   *probe.Workers
}

// lender returns the blocks of input in, read through src (in's source or
// its read-ahead), and the workers to lend them to: none unless src lends
// its packets (pkt.Lender) and in's probe runs workers.
func (r *run) lender(in Input, src pkt.Source) lender {
	l, ok := src.(pkt.Lender)
	w, isW := r.probes[in.Probe].(*probe.Workers)
	if !ok || !isW {
		return lender{}
	}
	return lender{src: l, w: w}
}

// guarded ends an input at its first error, reporting the error, so the
// merge goes on with the other inputs.
type guarded struct {
	src    pkt.Source
	into   pkt.MetaSource // src, when it fills Metas in place
	failed func(err error)
	ended  func() // after done is set (captureEnded)
	done   bool
}

// Next implements pkt.Source, ending the input at its first error.
func (g *guarded) Next() (data []byte, m pkt.Meta, err error) {
	data, err = g.NextInto(&m)
	return data, m, err
}

// NextInto is Next filling *m in place (pkt.MetaSource), through the
// source's NextInto when it has one (issue 14: the 40-byte Meta returned
// by value was copied twice per packet here).
func (g *guarded) NextInto(m *pkt.Meta) (data []byte, err error) {
	if g.done {
		*m = pkt.Meta{}
		return nil, io.EOF
	}
	if g.into != nil {
		data, err = g.into.NextInto(m)
	} else {
		data, *m, err = g.src.Next()
	}
	if err == nil {
		return data, nil
	}
	data, *m, err = g.end(err)
	return data, err
}

// end ends the input on err, unless err is pkt.ErrIdle (a live input
// without packets for now).
func (g *guarded) end(err error) ([]byte, pkt.Meta, error) {
	if errors.Is(err, pkt.ErrIdle) {
		return nil, pkt.Meta{}, err
	}
	g.done = true
	if err != io.EOF {
		g.failed(err)
	}
	if g.ended != nil {
		g.ended()
	}
	return nil, pkt.Meta{}, io.EOF
}

// Close closes the input.
func (g *guarded) Close() error { return g.src.Close() }

// probeHow is ProbeHow, "" made replay's.
func (o *Options) probeHow() string {
	if o.ProbeHow == "" {
		return "replay --probe NAME=FILE"
	}
	return o.ProbeHow
}
