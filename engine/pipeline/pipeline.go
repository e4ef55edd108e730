// Package pipeline runs probe engines and a collector engine in one
// process (design 2, tmonbench's replay mode): packets from one
// capture-time ordered source are routed to their probe, every probe sends
// its PDUs over a loopback link to the collector, and the collector's rows
// come out as an observe.Batch. It does no file or terminal I/O.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// Merged yields the packets of several inputs in capture-time order and
// tells which input the last packet came from (replay.Merge).
type Merged interface {
	pkt.Source
	// Last returns the index of the input of the packet Next returned last.
	Last() int
}

// Input is one packet source and where its packets go: a probe (index into
// Options.Probes) and an interface of it (Meta.Iface is overwritten).
type Input struct {
	Source pkt.Source
	Probe  int
	Iface  uint16
}

// Options configure a Run.
type Options struct {
	Config *config.Config
	// Probes names the probes and their interfaces; Identity.ID is set
	// from the index (1-based) when zero.
	Probes []probe.Identity
	// Merge interleaves the inputs in capture-time order (replay.Merge).
	// Inputs that fail are reported through InputError and end; the
	// others go on.
	Merge func(srcs ...pkt.Source) Merged
	// Sender regulates each probe's PDU channel when Collectors is empty.
	Sender pdu.SenderConfig
	// Collectors lists the collectors every probe sends to, each with its
	// own regulation and link faults (design 1.2: duplicated central sites
	// build the same tables). Empty: one collector with Sender and no
	// faults. Result.Batch is the first collector's rows.
	Collectors []Collector
	// Keys are the probes' shared HMAC keys by probe name (issue 6:
	// authentication); a probe without a key sends untagged frames.
	Keys map[string][]byte
	// Pace, when set, is called before each packet with its capture time
	// (replay at real time or a factor of it); an error stops the run.
	Pace func(ctx context.Context, timeNs int64) error
	// Progress, when set, is called every ProgressEvery packets and at the
	// end with the packets and captured bytes processed so far.
	Progress      func(packets, bytes uint64)
	ProgressEvery uint64
	// InputError, when set, is told of an input that ended with an error
	// (truncated or malformed capture) after its last good packet; the
	// run goes on with the other inputs.
	InputError func(input int, err error)
	// Sink, when set, receives rows while the run goes on, each time a
	// collector holds more than SinkRows of them (default 1<<18), so the
	// memory held stays bounded on large captures; the Result's batches
	// then hold only the rest (flows and the last rows). collector is the
	// index in Collectors. An error stops the run.
	Sink     func(collector int, b *observe.Batch) error
	SinkRows int
	// Parallel runs each collector whose link is perfect (no faults, no
	// keys) in its own goroutine, fed through a channel: the probes and the
	// collectors then use two cores. The link is reliable by construction,
	// so it acknowledges each PDU as the collector would; the rows are the
	// same as without Parallel.
	Parallel bool
	Log      *slog.Logger
}

// Collector is one in-process collector and the link every probe reaches
// it by.
type Collector struct {
	Name   string
	Sender pdu.SenderConfig
	// Faults are injected on every probe's link to this collector, on
	// probe time from the first packet (tests and demos).
	Faults pdu.Faults
}

// Result is what a Run produced.
type Result struct {
	// Batch holds the first collector's rows; Batches every collector's.
	Batch   *observe.Batch
	Batches []*observe.Batch
	// Links are the loopback links' counters, per probe then collector.
	Links     [][]pdu.LinkStats
	Probes    []probe.Stats
	Collector collector.Stats
	// Senders holds every channel's counters, per probe then collector.
	Senders []pdu.SenderStats
	Packets uint64
	Bytes   uint64
	FirstNs int64 // capture time of the first packet
	LastNs  int64 // capture time of the last packet
}

// ErrNoProbes means Options.Probes is empty.
var ErrNoProbes = errors.New("pipeline: no probes")

// Run replays the inputs through the probes and the collector until they
// end or ctx is cancelled (then it returns what was observed so far, and
// ctx.Err()). Input errors (damaged captures) are events, not failures.
func Run(ctx context.Context, inputs []Input, opt Options) (*Result, error) {
	if len(opt.Probes) == 0 {
		return nil, ErrNoProbes
	}
	for i, in := range inputs {
		if in.Probe < 0 || in.Probe >= len(opt.Probes) {
			return nil, fmt.Errorf("pipeline: input %d routed to probe %d of %d", i, in.Probe, len(opt.Probes))
		}
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	colls := opt.Collectors
	if len(colls) == 0 {
		colls = []Collector{{Name: "collector", Sender: opt.Sender}}
	}
	keys := map[uint16][]byte{}
	for i, id := range opt.Probes {
		if k := opt.Keys[id.Name]; len(k) > 0 {
			if id.ID == 0 {
				id.ID = uint16(i + 1)
			}
			keys[id.ID] = k
		}
	}
	collectors := make([]*collector.Collector, len(colls))
	for c := range colls {
		coll, err := collector.New(opt.Config, log)
		if err != nil {
			return nil, err
		}
		collectors[c] = coll
		if len(keys) > 0 {
			if err := collectors[c].SetKeys(keys); err != nil {
				return nil, err
			}
		}
	}
	sinkRows := opt.SinkRows
	if sinkRows <= 0 {
		sinkRows = 1 << 18
	}
	workers := make([]*worker, len(colls))
	for c, cc := range colls {
		if opt.Parallel && !cc.Faults.Active() && len(keys) == 0 {
			workers[c] = startWorker(c, collectors[c], opt.Sink, sinkRows)
		}
	}
	defer func() {
		for _, w := range workers {
			if w != nil {
				w.stop()
			}
		}
	}()
	probes := make([]*probe.Probe, len(opt.Probes))
	links := make([][]*pdu.Loopback, len(opt.Probes))
	for i, id := range opt.Probes {
		if id.ID == 0 {
			id.ID = uint16(i + 1)
		}
		var chans []probe.Channel
		for c, cc := range colls {
			l := &pdu.Loopback{Deliver: collectors[c].Handle, Faults: cc.Faults}
			if w := workers[c]; w != nil {
				l.Deliver = w.deliver
			}
			links[i] = append(links[i], l)
			sc := cc.Sender
			sc.Collector = cc.Name
			sc.Key = opt.Keys[id.Name]
			chans = append(chans, probe.Channel{Link: l, Config: sc})
		}
		p, err := probe.New(id, opt.Config, chans, log)
		if err != nil {
			return nil, err
		}
		for c, s := range p.Senders() {
			links[i][c].Ack = s.HandleAck
		}
		probes[i] = p
	}
	every := opt.ProgressEvery
	if every == 0 {
		every = 1 << 14
	}
	var failed []inputErr
	srcs := make([]pkt.Source, len(inputs))
	for i, in := range inputs {
		srcs[i] = &guarded{src: in.Source, index: i, failed: &failed}
	}
	src := opt.Merge(srcs...)
	res := &Result{}
	var runErr error
	for {
		if res.Packets%1024 == 0 {
			if err := ctx.Err(); err != nil {
				runErr = err
				break
			}
		}
		data, m, err := src.Next()
		for _, f := range failed {
			p := probes[inputs[f.index].Probe]
			p.Event(p.Now(), probe.SevWarning, "capture_damaged", f.err.Error())
			if opt.InputError != nil {
				opt.InputError(f.index, f.err)
			}
		}
		failed = failed[:0]
		if err == io.EOF {
			break
		}
		if err != nil {
			runErr = err
			break
		}
		in := src.Last()
		if in < 0 || in >= len(inputs) {
			return nil, fmt.Errorf("pipeline: packet from unknown input %d", in)
		}
		if opt.Pace != nil {
			if err := opt.Pace(ctx, m.TimeNs); err != nil {
				runErr = err
				break
			}
		}
		r := inputs[in]
		m.Iface = r.Iface
		if res.Packets == 0 {
			res.FirstNs = m.TimeNs
			for _, ls := range links {
				for _, l := range ls {
					if l.Faults.OriginNs == 0 {
						l.Faults.OriginNs = m.TimeNs
					}
				}
			}
		}
		res.LastNs = max(res.LastNs, m.TimeNs)
		res.Packets++
		res.Bytes += uint64(len(data))
		probes[r.Probe].Packet(data, m)
		if opt.Sink != nil && res.Packets%1024 == 0 {
			for ci, c := range collectors {
				if workers[ci] == nil && c.Rows() >= sinkRows {
					if err := opt.Sink(ci, c.Drain()); err != nil {
						runErr = err
						break
					}
				}
			}
			if runErr != nil {
				break
			}
		}
		if opt.Progress != nil && res.Packets%every == 0 {
			opt.Progress(res.Packets, res.Bytes)
		}
	}
	for _, p := range probes {
		p.Close()
	}
	// Over a lossy link the last PDUs may still wait for acknowledgements:
	// let each channel run on (in probe time) until all are delivered or
	// an hour has passed.
	for _, p := range probes {
		for _, s := range p.Senders() {
			s.Settle(p.Now() + 3600e9)
		}
		// Observations destroyed meanwhile are reported as dropped, and
		// those notices delivered in turn.
		p.Tick(p.Now())
		for _, s := range p.Senders() {
			s.Settle(p.Now() + 3600e9)
		}
	}
	if opt.Progress != nil {
		opt.Progress(res.Packets, res.Bytes)
	}
	for _, p := range probes {
		res.Probes = append(res.Probes, p.Stats())
		for _, s := range p.Senders() {
			res.Senders = append(res.Senders, s.Stats())
		}
	}
	for _, w := range workers {
		if w != nil {
			if err := w.stop(); err != nil && runErr == nil {
				runErr = err
			}
		}
	}
	for _, ls := range links {
		var row []pdu.LinkStats
		for _, l := range ls {
			row = append(row, l.Stats())
		}
		res.Links = append(res.Links, row)
	}
	res.Collector = collectors[0].Stats()
	for ci, c := range collectors {
		b := c.Finish()
		for pi, p := range probes {
			b.PDUStats = append(b.PDUStats, pduStats(opt.Probes[pi].Name, colls[ci].Name, p, p.Senders()[ci].Stats())...)
		}
		res.Batches = append(res.Batches, b)
	}
	res.Batch = res.Batches[0]
	return res, runErr
}

type inputErr struct {
	index int
	err   error
}

// guarded ends an input at its first error, recording the error, so the
// merge goes on with the other inputs.
type guarded struct {
	src    pkt.Source
	index  int
	failed *[]inputErr
	done   bool
}

// Next implements pkt.Source, ending the input at its first error.
func (g *guarded) Next() ([]byte, pkt.Meta, error) {
	if g.done {
		return nil, pkt.Meta{}, io.EOF
	}
	data, m, err := g.src.Next()
	if err != nil {
		g.done = true
		if err != io.EOF {
			*g.failed = append(*g.failed, inputErr{g.index, err})
		}
		return nil, pkt.Meta{}, io.EOF
	}
	return data, m, nil
}

// Close closes the input.
func (g *guarded) Close() error { return g.src.Close() }

// pduStats turns one channel's counters into pdu_stats rows: one per PDU
// type used, then a row of type "all" with the totals. The
// packet_obs row sets observed_bytes to the IP bytes its observations
// describe, so overhead_ratio is design 1.3's "~1 % of the observed
// traffic"; the other rows use every IP byte the probe decoded.
func pduStats(probeName, collName string, p *probe.Probe, s pdu.SenderStats) []observe.PDUStat {
	ow, all := p.ObservedBytes()
	var rows []observe.PDUStat
	var total observe.PDUStat
	for t := range s.PDUs {
		if s.PDUs[t] == 0 {
			continue
		}
		typ := pdu.Type(t)
		r := observe.PDUStat{Probe: probeName, Collector: collName, PDUType: typ.String(), PDUs: s.PDUs[t], Records: s.Records[t], Bytes: s.Bytes[t],
			Retransmissions: s.RetransmitsByType[t], ObservedBytes: all}
		if typ == pdu.TypePacketObs {
			r.ObservedBytes = ow
		}
		if r.ObservedBytes > 0 {
			r.OverheadRatio = float64(r.Bytes) / float64(r.ObservedBytes)
		}
		rows = append(rows, r)
		total.PDUs += r.PDUs
		total.Records += r.Records
		total.Bytes += r.Bytes
	}
	total.Probe, total.Collector, total.PDUType, total.ObservedBytes = probeName, collName, "all", all
	total.Retransmissions = s.Retransmits
	if all > 0 {
		total.OverheadRatio = float64(total.Bytes) / float64(all)
	}
	return append(rows, total)
}

// SenderConfig turns a configured collector into the regulation of a
// probe's channel to it: its non-zero fields over pdu.DefaultSenderConfig.
func SenderConfig(c config.Collector) pdu.SenderConfig {
	s := pdu.DefaultSenderConfig()
	s.Collector = c.Name
	set := func(dst *int64, seconds float64) {
		if seconds > 0 {
			*dst = int64(seconds * 1e9)
		}
	}
	if c.MaxPDUBytes > 0 {
		s.MaxPDUBytes = c.MaxPDUBytes
	}
	set(&s.MaxBuildNs, c.MaxBuildS)
	set(&s.MinGapNs, c.MinGapMs/1e3)
	set(&s.InitialTimeoutNs, c.InitialTimeoutS)
	s.RetryTimeoutNs = s.InitialTimeoutNs
	set(&s.TimeoutIncrementNs, c.TimeoutIncrementS)
	if c.TimeoutMultiplier > 0 {
		s.TimeoutMultiplier = c.TimeoutMultiplier
	}
	if c.MaxRetries > 0 {
		s.MaxRetries = c.MaxRetries
	}
	set(&s.FinalTimeoutNs, c.FinalTimeoutS)
	set(&s.BreakBorderNs, c.BreakBorderS)
	set(&s.HeartbeatNs, c.HeartbeatS)
	return s
}

// Collectors returns the in-process collectors of cfg (one per configured
// collector, with its regulation and injected faults), or one default
// collector. Errors: an outage that does not parse (DURATION@START).
func Collectors(cfg *config.Config) ([]Collector, error) {
	if len(cfg.Collectors) == 0 {
		return []Collector{{Name: "collector", Sender: pdu.DefaultSenderConfig()}}, nil
	}
	var out []Collector
	for _, c := range cfg.Collectors {
		f := pdu.Faults{LossRate: c.Faults.Loss, DupRate: c.Faults.Dup, ReorderRate: c.Faults.Reorder, CorruptRate: c.Faults.Corrupt, Seed: c.Faults.Seed}
		for _, o := range c.Faults.Outages {
			w, err := pdu.ParseOutage(o)
			if err != nil {
				return nil, fmt.Errorf("%s: collectors %s: faults.outages: %w", cfg.File(), c.Name, err)
			}
			f.Outages = append(f.Outages, w)
		}
		out = append(out, Collector{Name: c.Name, Sender: SenderConfig(c), Faults: f})
	}
	return out, nil
}

// Keys returns the configured probes' shared keys by name (nil when none).
func Keys(cfg *config.Config) map[string][]byte {
	var keys map[string][]byte
	for _, p := range cfg.Probes {
		if p.Key != "" {
			if keys == nil {
				keys = map[string][]byte{}
			}
			keys[p.Name] = []byte(p.Key)
		}
	}
	return keys
}

// worker runs one collector in its own goroutine (Options.Parallel).
type worker struct {
	ch      chan []byte
	free    chan []byte
	done    chan struct{}
	ack     []byte
	err     error
	stopped bool
}

func startWorker(ci int, c *collector.Collector, sink func(int, *observe.Batch) error, sinkRows int) *worker {
	w := &worker{ch: make(chan []byte, 256), free: make(chan []byte, 256), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for frame := range w.ch {
			c.Handle(frame)
			select {
			case w.free <- frame[:0]:
			default:
			}
			if sink != nil && w.err == nil && c.Rows() >= sinkRows {
				w.err = sink(ci, c.Drain())
			}
		}
	}()
	return w
}

// deliver hands a copy of frame to the collector goroutine and returns
// the acknowledgement the collector gives every valid PDU (the link is
// reliable and in-process: every frame is valid).
func (w *worker) deliver(frame []byte) []byte {
	h, _, err := pdu.ParseFrame(frame)
	if err != nil {
		return nil
	}
	var buf []byte
	select {
	case buf = <-w.free:
	default:
	}
	w.ch <- append(buf, frame...)
	if h.Type == pdu.TypeHeartbeat {
		return nil // heartbeats are not acknowledged (design 4.1)
	}
	w.ack = pdu.AppendAck(w.ack[:0], h.ProbeID, h.ID)
	return w.ack
}

// stop waits for the collector goroutine to handle every frame sent; it
// returns the sink's first error.
func (w *worker) stop() error {
	if !w.stopped {
		w.stopped = true
		close(w.ch)
		<-w.done
	}
	return w.err
}
