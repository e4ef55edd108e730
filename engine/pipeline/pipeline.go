// Package pipeline runs probe engines and a collector engine in one
// process (design 2, tmonbench's replay mode): packets from one
// capture-time ordered source are routed to their probe, every probe sends
// its PDUs over a loopback link to the collector, and the collector's rows
// go to a sink (engine/store) as the run goes, or come out as an
// observe.Batch. It does no file or terminal I/O.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

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
// Options.Probes) and an interface of it: Ifaces[Meta.Iface] when the
// source's interface index is within Ifaces (a multi-interface pcapng),
// else Iface (Meta.Iface is overwritten).
type Input struct {
	Source pkt.Source
	Probe  int
	Iface  uint16
	Ifaces []uint16
}

// iface returns the probe interface of a packet the source stamped with
// interface index i.
func (in *Input) iface(i uint16) uint16 {
	if int(i) < len(in.Ifaces) {
		return in.Ifaces[i]
	}
	return in.Iface
}

// Options configure a Run.
type Options struct {
	Config *config.Config
	// Probes names the probes and their interfaces; Identity.ID is the
	// config's wire id (config.ProbeID) when zero.
	Probes []probe.Identity
	// OnewayIDBase is the id the collectors number one-way flows above
	// (oneway_delays, oneway_latency, oneway_loss: their flow_id starts at
	// OnewayIDBase+1): a previous run's Result.LastOnewayID when runs of one
	// output follow each other (live's switch-overs, design 1.6), 0 else.
	OnewayIDBase uint64
	// Merge interleaves the inputs in capture-time order (replay.Merge).
	// Inputs that fail are reported through InputError and end; the
	// others go on.
	Merge func(srcs ...pkt.Source) Merged
	// Sender regulates each probe's PDU channel when Collectors is empty
	// (MaxPDUBytes 0, as in a zero SenderConfig: 1400, the default).
	Sender pdu.SenderConfig
	// Collectors lists the collectors every probe sends to, each with its
	// own regulation and link faults (design 1.2: duplicated central sites
	// build the same tables). Empty: one collector with Sender and no
	// faults. Result.Batch is the first collector's rows. A link without
	// faults is not regulated by capture time (its MinGapNs is ignored:
	// in-process there is no network to protect, and observations reach
	// the collector while packets are read); injected faults exercise the
	// whole regulation.
	Collectors []Collector
	// Pace, when set, is called before each packet with its capture time
	// (replay at real time or a factor of it); an error stops the run.
	Pace func(ctx context.Context, timeNs int64) error
	// Wall is the wall clock (Unix ns) for live sources: it moves the
	// probes' clocks when the merged source is idle (pkt.ErrIdle).
	Wall func() int64
	// Progress, when set, is called every ProgressEvery packets (rounded
	// up to 1024) and at the end with the packets and captured bytes
	// processed so far.
	Progress      func(packets, bytes uint64)
	ProgressEvery uint64
	// InputError, when set, is told of an input that ended with an error
	// (truncated or malformed capture) after its last good packet; the
	// run goes on with the other inputs.
	InputError func(input int, err error)
	// Sink, when set, receives every row of the first collector: an empty
	// batch at the start (every table exists at once), then while the run
	// goes on, every FlushEveryNs of capture time and whenever the
	// collector holds more than SinkRows rows (default DefaultSinkRows, so
	// the memory held stays bounded), each write followed by a Commit, and
	// at the end (with the events of Finish). The drain points depend only
	// on the capture, so the rows are the same at any speed. The Result's
	// first batch is then empty. An error stops the run.
	Sink         observe.Sink
	SinkRows     int
	FlushEveryNs int64 // default 5 s of capture time
	// SinkTick, when set, also hands the first collector's rows to the
	// sink at each tick (live capture: the tables stay current while the
	// run goes on, design 4), and the collectors report the one-way
	// counters at every drain (collector.SetPeriodicReports). The caller
	// owns the clock behind it.
	SinkTick <-chan time.Time
	// Health, when set, is called with the read loop's periodic work
	// (every 1024 packets and each idle wake-up) and a function that
	// reports an event as probe i (index into Probes) at its current
	// time, with what it counts (events.count; 0 for none): live capture
	// turns kernel drops into events (design 1.7).
	Health func(event func(i int, severity uint8, kind, msg string, n uint64))
	// End, when set, is called once the inputs ended (their end, ctx, an
	// error: every way a run ends), before the probes close, with
	// Health's event function: what it reports (live: the capture's
	// capture_drops of its last period and capture_stop per interface)
	// is stamped at the probes' clock and reads before their probe_stop,
	// as the capture stops before the probe does.
	End func(event func(i int, severity uint8, kind, msg string, n uint64))
	// Writing, when set, is called once the inputs were read to their end
	// and the probes settled without ctx ending, as the last rows start to
	// be written: a cancel of ctx from then on no longer interrupts the
	// run (Result.Interrupted stays false, the tables are whole).
	Writing func()
	// Snapshot, when set, receives an observe.Snapshot of the engines (per
	// input packets and bytes, the probes, their channels, the
	// collectors, the busiest flows of each probe's latest closed
	// interval) at most once a second of wall time (Wall; without it, of
	// capture time) and once the run has ended (Done set): the live TUI
	// and --metrics read it from any goroutine (issue 11.8, 12.3).
	Snapshot *observe.Latest
	// Kernel, when set, fills the inputs' kernel capture counters of each
	// snapshot (live capture: PACKET_STATISTICS), in input order.
	Kernel func(in []observe.InputCounters)
	// State is the snapshots' State (default "replaying").
	State string
	// RunSource is the source column of the run's own events
	// (run_interrupted, pdu_undelivered): "" is "replay"; live capture
	// gives its probe's, "probe:NAME" (events.source, docs/tables.md).
	RunSource string
	// RunWhat names the run in run_interrupted's message: "" is "replay";
	// live capture gives "live capture on IFACE, ...".
	RunWhat string
	// ProbeHow is how the command names a probe, for the refusal of an
	// unlisted one (config.ProbeUnlisted): "" is "replay --probe
	// NAME=FILE"; live capture gives "live --name NAME".
	ProbeHow string
	// StartedNs is the wall clock (Unix ns) when the run started: the
	// time of the run's own events (run_interrupted, pdu_undelivered) when
	// no packet gives one (interrupted before its first packet); 0: the
	// last packet's time only.
	StartedNs int64
	// Finish, when set, returns events to add to the first collector's
	// last rows (e.g. what the caller knows about its inputs).
	Finish func(res *Result) []observe.Event
	// Parallel runs each collector whose link is perfect (no faults, no
	// keys) in its own goroutine, fed through a channel: the probes and the
	// collectors then use two cores. The link is reliable by construction,
	// so it acknowledges each PDU as the collector would; the rows are the
	// same as without Parallel.
	Parallel bool
	// ReadAhead reads each input in its own goroutine, ahead of the
	// probes (issue 14: the reader stage): an input that reads ahead
	// itself (pkt.ReadAheader: a replay.File, in chunks of 256 KiB, its
	// records still parsed in the probes' goroutine, nothing done per
	// packet on the other side) does so; any other is read into batches
	// of packets (ahead.go: a few MiB per input; the packets of a
	// pkt.Lender stay in its blocks, the others are copied), its capture
	// parsing leaving the probes' goroutine too. The packets, their order
	// and the position of an input's error are unchanged, so the rows are
	// the same as without it. For capture files; an input's own counters
	// (replay.File.Stats) are complete when Run returns.
	ReadAhead bool
	// Workers, when positive, runs each probe on that many worker
	// goroutines sharded by address pair (probe.Workers, issue 14, design
	// 1.14.2; the packets of an input that lends them, pkt.Lender, go to
	// the workers without a copy, Workers.PacketLent): the tables are the same for any positive Workers, and
	// as a lone probe's (0), flow, connection and session ids included
	// (TestWorkersSameRows).
	Workers int
	// Log receives lifecycle messages of the engines.
	Log *slog.Logger
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
	// Batch holds the first collector's rows (none when Options.Sink
	// took them); Batches every collector's.
	Batch   *observe.Batch
	Batches []*observe.Batch
	// Links are the loopback links' counters, per probe then collector.
	Links     [][]pdu.LinkStats
	Probes    []probe.Stats
	Collector collector.Stats
	// Senders holds every channel's counters, per probe then collector.
	Senders []pdu.SenderStats
	// Delivered holds, for each channel of Senders (same index), what its
	// collector received, which the probe cannot know when an
	// acknowledgement is lost: whether the final report came (pdu_stats
	// counts the channel's destroyed PDUs) and how many of the PDUs still
	// unacknowledged at the end it received.
	Delivered []Delivery
	Packets   uint64
	Bytes     uint64
	// FirstNs and LastNs are the capture times of the first packet and
	// the latest one with a valid time (probe.Loop); both 0 when no packet
	// had one (they read 2150 for a capture stamped there, and stamped the
	// run's and the replay's own events then).
	FirstNs int64
	LastNs  int64
	// Started says, per probe, whether it started (a packet with a valid
	// time reached it, or a tick): one that did not sent nothing, not
	// even the events it was given (probe.Engine.Held), and its inputs'
	// damage (InputError) is the caller's to report.
	Started []bool
	// LastIDs holds, per probe, the highest flow, connection or session id
	// its run gave (probe.Engine.LastID): the next run of the probe into
	// the same output starts above it (probe.Identity.IDBase).
	LastIDs []uint64
	// LastOnewayID is the highest collector-wide one-way flow id any
	// collector gave (Options.OnewayIDBase when none): the next run into
	// the same output numbers its one-way flows above it.
	LastOnewayID uint64
	// Interrupted is set when ctx ended the run before its inputs did.
	Interrupted bool
	// DeliveredDuringRun counts the frames the first collector received
	// while the inputs were read (before the probes closed): observations
	// flowing during the run, not after it.
	DeliveredDuringRun uint64
}

// Delivery is what a channel's collector received (Result.Delivered).
type Delivery struct {
	// FinalReport: the probe's final report reached the collector, its
	// pdu_stats rows are in the tables (acknowledged or not).
	FinalReport bool
	// UnackedReceived counts the PDUs unacknowledged at the end that the
	// collector received (their acknowledgements lost): their
	// observations are in the tables.
	UnackedReceived int
}

// delivery returns channel i's Delivery; without Delivered (a Result not
// built by Run), what the probe knows: the final report is in pdu_stats
// when acknowledged, and no unacknowledged PDU is known received.
func (r *Result) delivery(i int) Delivery {
	if i < len(r.Delivered) {
		return r.Delivered[i]
	}
	return Delivery{FinalReport: r.Senders[i].ReportAcked}
}

// Unacked returns the PDUs never acknowledged, over every channel.
func (r *Result) Unacked() int {
	n := 0
	for _, s := range r.Senders {
		n += s.Unacked
	}
	return n
}

// UnackedReceived returns, of Unacked, the PDUs a collector received all
// the same (only their acknowledgements were lost): not missing.
func (r *Result) UnackedReceived() int {
	n := 0
	for i := range r.Senders {
		n += r.delivery(i).UnackedReceived
	}
	return n
}

// Unreported returns the PDUs, and their records, that the regulation
// destroyed unacknowledged (long retry final timeout, backlog bound,
// spool bound: pdu.SenderStats.Destroyed) on the channels whose final
// report never reached the collector (Delivery.FinalReport, the
// collector's side: an acknowledgement lost does not matter): no pdu_stats
// row counts them, so the run's own pdu_unreported event does. Those of a
// received report are in its pdu_stats rows, and those destroyed after it
// in a pdu_destroyed_after_report event and a late report's pdu_stats rows
// (pdu.Sender.LateReport, sent only once the final report is acknowledged).
func (r *Result) Unreported() (pdus, records uint64) {
	for i, s := range r.Senders {
		if r.delivery(i).FinalReport {
			continue
		}
		for t := range s.Destroyed {
			pdus += s.Destroyed[t]
			records += s.DestroyedRecords[t]
		}
	}
	return pdus, records
}

// Undelivered says, for the end of a replay, what no collector acknowledged
// and whether the tables lack it, every PDU named: those still pending at
// the end (Unacked, pdu_undelivered: of them, those a collector received
// all the same are not missing) and those the regulation destroyed that no
// pdu_stats row counts (Unreported, pdu_unreported); "" when there are none.
func (r *Result) Undelivered() string {
	n := uint64(r.Unacked())
	d, recs := r.Unreported()
	if n+d == 0 {
		return ""
	}
	var parts []string
	if n > 0 {
		parts = append(parts, fmt.Sprintf("%d still unacknowledged at the end (event pdu_undelivered)", n)+receivedPart(r.UnackedReceived()))
	}
	if d > 0 {
		parts = append(parts, fmt.Sprintf("%d destroyed unacknowledged by the regulation, "+pkt.Nouns(recs, "%d record[s]")+", with no final report in pdu_stats to count them (event pdu_unreported)", d, recs))
	}
	missing := n - uint64(r.UnackedReceived()) + d
	what := fmt.Sprintf("the observations of %d of them are missing from the tables", missing)
	switch missing {
	case n + d:
		what = "their observations are missing from the tables"
	case 0:
		what = "none is missing from the tables"
	}
	return fmt.Sprintf(pkt.Nouns(n+d, "%d PDU[s] [was|were] never acknowledged by a collector: %s; %s"), n+d, strings.Join(parts, ", "), what)
}

// receivedPart says how many unacknowledged PDUs a collector received all
// the same; "" for none.
func receivedPart(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(pkt.Nouns(n, " (%d of them reached the collector: only [its acknowledgement was|their acknowledgements were] lost)"), n)
}

// DefaultSinkRows is Options.SinkRows when zero: the collector's rows are
// handed to the sink every 64 k rows (about 6 MB of flow_counters rows), so
// the rows held stay small; the store sizes its part files by rows, not by
// these hand-overs.
const DefaultSinkRows = 1 << 16

// finalFlowChunk is the rows per batch of the final flows table (a
// variable: tests lower it).
var finalFlowChunk = 1 << 15

// ErrNoProbes means Options.Probes is empty.
var ErrNoProbes = errors.New("pipeline: no probes")

// Run replays the inputs through the probes and the collectors until they
// end or ctx is cancelled (then it returns what was observed so far, and
// ctx.Err()). Input errors (damaged captures) are events, not failures.
func Run(ctx context.Context, inputs []Input, opt Options) (*Result, error) {
	r, err := newRun(inputs, opt)
	if err != nil {
		return nil, err
	}
	defer r.stopWorkers()
	var runErr error
	if opt.Sink != nil {
		runErr = r.sink(nil, &observe.Batch{})
	}
	if runErr == nil {
		runErr = r.feed(ctx)
	}
	if opt.End != nil {
		opt.End(r.event)
	}
	if err := r.settle(ctx); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil && opt.Writing != nil {
		opt.Writing()
	}
	if err := r.finish(runErr); err != nil && (runErr == nil || errors.Is(runErr, context.Canceled)) {
		runErr = err
	}
	return r.res, runErr
}

// settle closes every probe (its clock first moved to the time of the
// last Options.Health event it reported, when later: an event stamped 1
// ns after the one before it, event) and lets each channel run on (in probe time)
// until all its PDUs are delivered or an hour has passed: over a lossy
// link the last PDUs may still wait for acknowledgements. Settling runs
// without packets: it stops, with ctx.Err(), once ctx is done (what is
// still pending is reported as undelivered).
func (r *run) settle(ctx context.Context) error {
	for i, p := range r.probes {
		if !p.Started() && p.Held() > 0 && p.Stats().Packets > 0 {
			r.startLate(p)
		}
		if i < len(r.healthNs) && r.healthNs[i] > p.Now() {
			p.Tick(r.healthNs[i]) // its probe_stop comes after the events it reported
		}
		p.Close()
	}
	for _, p := range r.probes {
		for round := range 2 {
			if round == 1 {
				// Observations destroyed meanwhile are reported as
				// dropped (and the PDUs destroyed after the final
				// reports as an event), and those notices delivered in
				// turn.
				p.DestroyedAfterReport(p.Now())
				p.Tick(p.Now())
			}
			for _, s := range p.Senders() {
				if _, err := s.SettleContext(ctx, pkt.AddNs(p.Now(), 3600e9)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// startLate starts probe p, which was handed packets but none with a
// valid time (every one stamped before 1970 or after 2116: dropped, each
// with a capture_time_invalid event held for the start, as a
// capture_damaged after them is: probe.Engine.Held), so that its events
// and totals reach the output rather than go with it: at
// Options.StartedNs, the wall clock of the replay's start (the time the
// run's own events take without a packet time, as a replay's replayTime:
// the only time the run has, not 1970), else at Options.Wall's time (a
// live capture's, as `tmonbench probe` starts such a probe: probe.Run).
// With neither it stays unstarted. A probe handed no packet at all (its
// capture damaged before its first record) stays unstarted too: the
// caller reports the damage (Result.Started), as before.
func (r *run) startLate(p probe.Engine) {
	switch {
	case r.opt.StartedNs > 0:
		p.Tick(r.opt.StartedNs)
	case r.opt.Wall != nil:
		p.Tick(r.opt.Wall())
	}
}

// finish collects the counters and every collector's last rows, with the
// run's own events, and writes the first collector's to the sink.
func (r *run) finish(runErr error) error {
	res, opt := r.res, r.opt
	if opt.Progress != nil {
		opt.Progress(res.Packets, res.Bytes)
	}
	for _, p := range r.probes {
		res.Probes = append(res.Probes, p.Stats())
		res.Started = append(res.Started, p.Started())
		res.LastIDs = append(res.LastIDs, p.LastID())
		for _, s := range p.Senders() {
			res.Senders = append(res.Senders, s.Stats())
		}
	}
	errs := []error{r.deliverErr} // a write during the run's last frames
	for _, w := range r.workers {
		if w != nil {
			errs = append(errs, w.stop())
		}
	}
	r.delivered() // the workers stopped: the collectors are still
	for _, ls := range r.links {
		var row []pdu.LinkStats
		for _, l := range ls {
			row = append(row, l.Stats())
		}
		res.Links = append(res.Links, row)
	}
	if opt.Sink != nil && r.staged.Rows() > 0 {
		errs = append(errs, r.writeStaged())
	}
	var flows *flowsWriter
	if opt.Sink != nil {
		// The final flows table goes out in chunks, never held whole.
		var err error
		flows, err = r.flushFlows()
		errs = append(errs, err)
	}
	res.Collector = r.collectors[0].Stats()
	res.LastOnewayID = opt.OnewayIDBase
	for _, c := range r.collectors {
		res.LastOnewayID = max(res.LastOnewayID, c.LastOnewayID())
		res.Batches = append(res.Batches, c.Finish())
	}
	res.Batch = res.Batches[0]
	if flows != nil {
		// its last chunk was written while the collectors finished
		left, err := flows.stop()
		if !errors.Is(errors.Join(errs...), err) {
			errs = append(errs, err)
		}
		addLeftFlows(res.Batch, left)
	}
	res.Interrupted = runErr != nil && errors.Is(runErr, context.Canceled)
	res.Batch.Events = append(res.Batch.Events, r.runEvents()...)
	if opt.Finish != nil {
		res.Batch.Events = append(res.Batch.Events, opt.Finish(res)...)
	}
	if opt.Sink != nil {
		if r.recent != nil {
			r.recent.Add(res.Batch)
		}
		errs = append(errs, opt.Sink.Write(res.Batch))
		errs = append(errs, opt.Sink.Commit())
		res.Batches[0] = &observe.Batch{}
		res.Batch = res.Batches[0]
	}
	r.snap.Publish(true, r.fillSnapshot)
	return errors.Join(errs...)
}

// delivered fills Result.Delivered from the collectors' side: whether
// each channel's final report reached its collector, and which of its
// PDUs still unacknowledged it received.
func (r *run) delivered() {
	for _, p := range r.probes {
		for c, s := range p.Senders() {
			var d Delivery
			if c < len(r.collectors) {
				coll := r.collectors[c]
				d.FinalReport = coll.FinalReported(s.Channel())
				for h := range s.UnackedHeaders() {
					if coll.Seen(h) {
						d.UnackedReceived++
					}
				}
			}
			r.res.Delivered = append(r.res.Delivered, d)
		}
	}
}

// runEvents are the events of the run itself: interrupted, PDUs never
// delivered (pending at the end: pdu_undelivered; destroyed by the
// regulation on a channel whose final report never reached the
// collector: pdu_unreported); at the end of the probes' clocks (the last packet, or a live
// capture's last idle tick), or at Options.StartedNs when no probe
// started (not 1970).
func (r *run) runEvents() []observe.Event {
	res := r.res
	at := res.LastNs
	for _, p := range r.probes {
		if p.Started() {
			at = max(at, p.Now())
		}
	}
	if at == 0 {
		at = r.opt.StartedNs
	}
	source, what := cmp.Or(r.opt.RunSource, "replay"), cmp.Or(r.opt.RunWhat, "replay")
	var ev []observe.Event
	if res.Interrupted {
		ev = append(ev, observe.Event{Time: at, Source: source, Kind: "run_interrupted", Severity: observe.SevWarning,
			Message: fmt.Sprintf(pkt.Nouns(res.Packets, "%s interrupted after %d packet[s]: the tables hold what was observed until then"), what, res.Packets)})
	}
	if n := res.Unacked(); n > 0 {
		msg := fmt.Sprintf(pkt.Nouns(n, "%d PDU[s] [was|were] never acknowledged by a collector: [its|their] observations are missing from the tables"), n)
		switch got := res.UnackedReceived(); {
		case got == n:
			msg = fmt.Sprintf(pkt.Nouns(n, "%d PDU[s] [was|were] never acknowledged by a collector, but it received [it|every one] (only the acknowledgement[ was|s were] lost): [its|their] observations are in the tables"), n)
		case got > 0:
			msg = fmt.Sprintf(pkt.Nouns(n, "%d PDUs were never acknowledged by a collector: ")+pkt.Nouns(got, "%d of them reached it (only [its acknowledgement was|their acknowledgements were] lost), ")+pkt.Nouns(n-got, "the observations of the other %d are missing from the tables"), n, got, n-got)
		}
		ev = append(ev, observe.Event{Time: at, Source: source, Kind: "pdu_undelivered", Severity: observe.SevError, Message: msg, Count: uint64(n)})
	}
	if n, recs := res.Unreported(); n > 0 {
		ev = append(ev, observe.Event{Time: at, Source: source, Kind: "pdu_unreported", Severity: observe.SevError,
			Message: fmt.Sprintf(pkt.Nouns(n, "%d PDU[s] (")+pkt.Nouns(recs, "%d record[s]")+pkt.Nouns(n, ") [was|were] destroyed unacknowledged by the regulation (long retry final timeout, backlog or spool bound) and no final report that counts [it|them] reached a collector (pdu_stats lacks [it|them]): [its|their] observations are missing from the tables"), n, recs), Count: n})
	}
	return ev
}

// ProbeTotals sums the probes' counters, every field of probe.Stats
// (probe.Stats.Add).
func (r *Result) ProbeTotals() probe.Stats {
	var t probe.Stats
	for i := range r.Probes {
		t.Add(&r.Probes[i])
	}
	return t
}

// PDUTotals sums every channel's PDUs and frame bytes (first
// transmissions, heartbeats included) and retransmissions.
func (r *Result) PDUTotals() (pdus, bytes, retransmissions uint64) {
	for _, s := range r.Senders {
		for t := range s.Bytes {
			bytes += s.Bytes[t]
			pdus += s.PDUs[t]
		}
		retransmissions += s.Retransmits
	}
	return pdus, bytes, retransmissions
}
