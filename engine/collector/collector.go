package collector

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// Stats counts what the collector received and decoded.
type Stats struct {
	Receiver    pdu.ReceiverStats
	Records     uint64 // records decoded from fresh PDUs
	BadRecords  uint64 // PDUs whose records failed to decode
	UnknownFlow uint64 // observations for a flow whose definition had not arrived yet
	// OnewayNotOnPath counts observations from a probe interface that is
	// not one of its class's hops; OnewayUndefined those dropped because
	// too many waited for their flow definition.
	OnewayNotOnPath uint64
	OnewayUndefined uint64
}

type probeState struct {
	hello   bool // its Hello arrived (name and interfaces known)
	id      uint16
	ref     string // placeholder for the name in rows until Finish (definitions may arrive late)
	name    string
	ifaces  []string
	metrics map[uint32]string
	mrefs   map[uint32]string // metricRef cache
	mlabels []metricLabel     // metricNameUnit cache, by metric id
	mgen    uint64            // metric definitions received (countersOrder's cache)
	hists   map[uint32]pdu.HistDef
	// finalID is the id of the probe's final report (0 before it came);
	// finished is set once every PDU up to it has arrived.
	finalID    uint32
	finalEpoch int64
	finished   bool
	// quietEnd is set while a finished probe is silent: it ended, it is
	// not lost (no probe_silent, and no probe_alive when it comes back)
	quietEnd bool
	// runConfig is the configuration hash run runConfigEpoch said it is
	// under (pdu.RunConfig): a switch-over does not wait for a run already
	// of the new version (Switch).
	runConfig      string
	runConfigEpoch int64
	run            probeRun // its newest run, until its end (runend.go)
	// leftOut lists the runs (flow id >> pdu.RunShift) that ended without
	// their final report, the latest maxLeftOutRuns: a definition of one
	// of their flows arriving after that end is left out (endRun).
	leftOut []uint64
}

type flowKey struct {
	probe uint16
	id    uint64
}

// Collector is the collector engine (design 4): it checks, acknowledges
// and de-duplicates PDUs, decodes their records and accumulates the rows of
// every table. It is not safe for concurrent use.
type Collector struct {
	log       *slog.Logger
	restoring bool // Server.Recover is replaying the journal: probes are restored, not connecting
	periodic  bool // every Drain reports the one-way counters that grew (SetPeriodicReports)
	rx        *pdu.Receiver
	probes    map[uint16]*probeState
	lastProbe *probeState // probe's last answer (nil when probes is replaced)
	flows     flowTable
	// classNames interns the flows' class names; arena the rows' strings
	// (addresses included) and nullable values.
	classNames []string
	arena      pdu.Arena
	nameBuf    []byte // flowRow's name, before its string is made
	batch      observe.Batch
	stats      Stats

	counters   pdu.Counters
	names      map[string]string   // placeholder -> name, during resolve
	namesMap   map[string]string   // names' map, kept with its room from one resolve to the next
	lastNs     int64               // the latest probe clock seen (PDU build times): the collector's capture-time clock
	dataNs     int64               // the latest build time of a data PDU (heartbeats, events and dropped notices left out): the end-of-run events' time
	seenNs     int64               // the latest packet the flow updates or one-way observations report (capture time): the one-way counters' time (reportOneway, flushOneway)
	wallNs     int64               // the latest wall time the server handed in (Liveness, ReportRefused, Server.Switch): the time of the collector's own events no capture time dates (a collector that received nothing), never 0 once served
	base       uint64              // id offset of the run of the PDU being decoded (pdu.Verdict.Base)
	bad        map[uint16]*badPDUs // undecodable PDUs per probe since the last drain
	restarts   map[uint16]*badPDUs // probe restarts since the last drain
	incomplete map[uint16]*badPDUs // probe runs ended without their final report since the last drain (endRun)
	ow         *owState
	// ended lists the flows the probe ended (idle, evicted, its run
	// finished), each once (flowEnded): written at the next Drain. A list,
	// not a map: a finished probe's every flow goes in at once (197 k
	// flows of the 5M corpus, a tenth of the collector's decoding time in
	// map inserts and growth, issue 14).
	ended        []flowKey
	sortBuf      runScratch    // sortRuns' scratch
	counterOrder countersOrder // whether take need sort flow_counters
	retired      retiredSet    // flows written out by a Drain: later updates are ignored
	hists        []pendingHist // size histograms, expanded at Finish once their slices are known
	// finishedRuns counts the probe runs found finished (checkFinished).
	finishedRuns uint64
	// listed names the config's probes by wire id (config.ProbeID), for
	// the messages about probes whose Hello never came.
	listed map[uint16]string
	// dupSaid notes the probes whose duplicate runs were logged (once).
	dupSaid map[uint16]bool
	// intervalNs is the config's interval (interval_s): the period of the
	// pdu_refused events (Server).
	intervalNs int64
	// cfgHash is the hash of the configuration the collector runs,
	// cfgHashes those of every version it ran ("" and nil without a
	// config), cfgMismatch the probe runs under another (cfgmatch.go).
	cfgHash     string
	cfgHashes   map[string]bool
	cfgMismatch map[uint16]*configMismatch
}

// FinishedRuns returns how many probe runs the collector has found
// finished: every PDU up to their final report arrived. Their rows are
// complete at the next Drain.
func (c *Collector) FinishedRuns() uint64 { return c.finishedRuns }

type pendingHist struct {
	probe uint16
	h     pdu.Histogram
}

// New returns an empty collector for cfg (its one-way classes are
// reconciled here, design 4.3). Errors: a one-way class the reconciler
// cannot run. log (nil: none) receives the lifecycle messages: a probe
// connected (its Hello), silent or sending again, finished.
func New(cfg *config.Config, log *slog.Logger) (*Collector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{log: log, rx: pdu.NewReceiver(), probes: map[uint16]*probeState{}, flows: newFlowTable(), ow: newOwState()}
	c.rx.MaxAgeNs = pdu.CollectorMaxAgeNs(cfg)
	c.list(cfg)
	c.setInterval(cfg)
	if cfg != nil {
		c.setConfig(cfg, cfg.Hash())
		if err := c.setupOneway(cfg); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// setInterval takes the interval of cfg (60 s without a config, the
// config's default).
func (c *Collector) setInterval(cfg *config.Config) {
	c.intervalNs = 60e9
	if cfg != nil && cfg.IntervalS >= 1 {
		c.intervalNs = int64(cfg.IntervalS * 1e9)
	}
}

// say logs a probe's lifecycle message; while the journal is replayed
// (Server.Recover) it says so first: those probes connected or finished
// before the restart, not now.
func (c *Collector) say(level slog.Level, msg string, args ...any) {
	if c.restoring {
		msg = "restored from the journal: " + msg
	}
	c.log.Log(context.Background(), level, msg, args...)
}

// SetKeys sets the probes' shared HMAC keys by probe id: from then on only
// frames from those probes with valid tags are accepted (issue 6).
func (c *Collector) SetKeys(keys map[uint16][]byte) error { return c.rx.SetKeys(keys) }

// Stats returns the collector's counters.
func (c *Collector) Stats() Stats {
	s := c.stats
	s.Receiver = c.rx.Stats()
	return s
}

// Handle processes one frame from a probe, taking its build time as the
// collector's time (in-process replay), and returns the acknowledgement to
// send back (nil for refused frames and heartbeats). ack is valid until
// the next call.
func (c *Collector) Handle(frame []byte) (ack []byte) {
	h, payload, err := c.rx.Check(frame)
	if err != nil {
		return nil
	}
	return c.Apply(h.BuildTimeNs, h, payload, len(frame))
}

// HandleAt is Handle at collector time nowNs (Unix ns): liveness counts
// from it (see Liveness).
func (c *Collector) HandleAt(nowNs int64, frame []byte) (ack []byte) {
	h, payload, err := c.CheckAt(nowNs, frame)
	if err != nil {
		return nil
	}
	return c.Apply(nowNs, h, payload, len(frame))
}

// Check is the stateless half of Handle (pdu.Receiver.Check): structure,
// CRC, version, accepted probe, tag. Refused frames change nothing but the
// receiver's counters (reported through ReportRefused).
func (c *Collector) Check(frame []byte) (pdu.Header, []byte, error) { return c.rx.Check(frame) }

// CheckAt is Check for a frame received at collector time nowNs (Unix ns):
// a probe's previous key after a key change is good for a while
// (pdu.Receiver.SetKeysAt).
func (c *Collector) CheckAt(nowNs int64, frame []byte) (pdu.Header, []byte, error) {
	return c.rx.CheckAt(nowNs, frame)
}

// Seen reports whether the PDU of h was already received (a duplicate,
// which Apply acknowledges again and otherwise ignores): a journal need
// not keep its payload.
func (c *Collector) Seen(h pdu.Header) bool { return h.Type != pdu.TypeHeartbeat && c.rx.Seen(h) }

// FinalReported reports whether the final report of the probe's run epoch
// was received and decoded: its pdu_stats rows are in this collector's
// tables (whether or not the probe saw the acknowledgement).
func (c *Collector) FinalReported(probeID uint16, epoch int64) bool {
	p := c.probes[probeID]
	return p != nil && p.finalID != 0 && p.finalEpoch == epoch
}

// Refuses reports whether Apply would refuse a frame of h (a closed probe
// epoch, too many probes) without changing anything but a counter.
func (c *Collector) Refuses(h pdu.Header) bool { return c.rx.Refuses(h) }

// Apply is the stateful half of Handle for a frame Check passed, received
// at collector time nowNs (frameLen bytes): de-duplication per (probe,
// epoch), decoding, rows. Its effect depends only on its arguments and the
// collector's state, so a journal of the Apply, Liveness, ReportRefused,
// Event and Drain calls replayed through a new collector gives the same
// rows. It returns the acknowledgement (nil for refused frames and
// heartbeats), valid until the next call. payload is not read for a
// duplicate (Seen).
func (c *Collector) Apply(nowNs int64, h pdu.Header, payload []byte, frameLen int) (ack []byte) {
	v, err := c.rx.Accept(nowNs, h, payload, frameLen)
	if err != nil {
		if errors.Is(err, pdu.ErrDuplicateRun) {
			c.duplicateRun(h)
		}
		return nil
	}
	if h.BuildTimeNs > c.lastNs {
		c.lastNs = h.BuildTimeNs
	}
	if v.Restart {
		c.restarted(h, v.Base)
	}
	if v.Fresh || v.Restart {
		c.followRun(h, v.Base)
	}
	if v.Fresh {
		if h.Type != pdu.TypeEvents && h.Type != pdu.TypeDropped {
			// Events and dropped notices are left out too: a probe
			// lingering for its acknowledgements builds them at its
			// clock of then (wall time), when its link had trouble.
			c.dataNs = max(c.dataNs, h.BuildTimeNs)
		}
		c.base = v.Base
		if err := c.decode(h, payload); err != nil {
			c.stats.BadRecords++
			c.badRecords(h, err)
		}
		c.advanceOneway(h)
	} else if h.Type == pdu.TypeHeartbeat {
		c.heartbeatOneway(h)
	}
	c.checkFinished(h.ProbeID)
	return v.Ack
}

// checkFinished notes that a probe finished its run once every PDU up to
// its final report has arrived (a heartbeat's watermark may close the
// gaps): its one-way observations are then all in, so the reconcilers no
// longer wait for it, and the rows of a finished probe are written at the
// next drain, not at the collector's end.
func (c *Collector) checkFinished(pid uint16) {
	p := c.probes[pid]
	if p == nil || p.finished || p.finalID == 0 || c.rx.Low(pid, p.finalEpoch) < p.finalID || !p.hello {
		return
	}
	p.finished = true
	c.finishedRuns++
	c.say(slog.LevelInfo, "probe finished", "probe", p.name, "id", pid)
	// Its flows are all final now, those whose final update the probe's
	// regulation destroyed (pdu_overflow) too: the next drain writes them,
	// as it writes the ones the probe ended, instead of at the collector's
	// end.
	for k, f := range c.flows.All {
		if k.probe == pid {
			c.markEnded(k, f)
		}
	}
	if run, ok := c.ow.runs[pid]; ok && run > p.finalEpoch {
		return // a later run of the probe already speaks: its hops are not done
	}
	if c.preSwitch(pid, p.finalEpoch) {
		// A run begun under the version a switch-over stopped: the
		// reconcilers of the version in effect wait for the probe's next
		// run, whose observations come after this end (design 1.6).
		return
	}
	mark, ok := c.ow.marks[pid]
	for _, rec := range c.ow.recs {
		if ok {
			rec.EndProbe(p.name, mark) // a packet passing its hops after mark was not watched
		} else {
			rec.AdvanceProbe(p.name, math.MaxInt64/2)
		}
	}
	c.pruneOwIDs()
}

func (c *Collector) probe(id uint16) *probeState {
	if p := c.lastProbe; p != nil && p.id == id {
		return p // the probe of the previous call: of every PDU and flows row
	}
	p := c.probes[id]
	if p == nil {
		p = &probeState{id: id, ref: refPrefix + "p" + strconv.Itoa(int(id)), name: "probe-" + strconv.Itoa(int(id)), metrics: map[uint32]string{}, hists: map[uint32]pdu.HistDef{}}
		c.probes[id] = p
	}
	c.lastProbe = p
	return p
}

func (c *Collector) decode(h pdu.Header, payload []byte) error {
	d := pdu.Dec{B: payload, A: &c.arena, Version: h.Version}
	p := c.probe(h.ProbeID)
	for !d.Done() {
		switch h.Type {
		case pdu.TypeHello:
			var r pdu.Hello
			r.Decode(&d)
			if d.Err() == nil && c.nameTaken(h, r.Probe) {
				// Its rows are written under its placeholder, as the
				// event says, not held for a Hello that never comes.
				p.name, p.ifaces, p.hello = "probe-"+strconv.Itoa(int(h.ProbeID)), r.Interfaces, true
				defer c.replayPending(h.ProbeID)
				break
			}
			if d.Err() == nil {
				if !p.hello {
					c.say(slog.LevelInfo, "probe connected", "probe", r.Probe, "id", h.ProbeID, "interfaces", r.Interfaces)
				}
				p.name, p.ifaces, p.hello = r.Probe, r.Interfaces, true
				defer c.replayPending(h.ProbeID)
			}
		case pdu.TypeRunConfig:
			var r pdu.RunConfig
			r.Decode(&d)
			if d.Err() == nil {
				c.runConfig(h, r.ConfigHash)
				c.noteConfig(h, r.ConfigHash)
			}
		case pdu.TypeMetricDef:
			var r pdu.MetricDef
			r.Decode(&d)
			if d.Err() == nil {
				p.metrics[r.ID] = r.Name
				p.forgetMetric(r.ID)
			}
		case pdu.TypeHistDef:
			var r pdu.HistDef
			r.Decode(&d)
			if d.Err() == nil {
				p.hists[r.ID] = r
			}
		case pdu.TypeHistograms:
			var r pdu.Histogram
			r.Decode(&d)
			if d.Err() == nil {
				r.FlowID += c.base
				c.hists = append(c.hists, pendingHist{probe: h.ProbeID, h: r})
			}
		case pdu.TypeFlowDef:
			var r pdu.FlowDef
			r.Decode(&d)
			if d.Err() == nil {
				r.FlowID += c.base
				c.defineFlow(h.ProbeID, p, &r)
				c.defineOneway(h.ProbeID, &r)
			}
		case pdu.TypeCounters:
			r := &c.counters
			r.Decode(&d)
			if d.Err() == nil {
				r.FlowID += c.base
				c.addCounters(h.ProbeID, p, r)
			}
		case pdu.TypeFlowUpdate:
			var r pdu.FlowUpdate
			r.Decode(&d)
			if d.Err() == nil {
				r.FlowID += c.base
				c.updateFlow(h.ProbeID, &r)
			}
		case pdu.TypeEvents:
			var r pdu.Event
			r.Decode(&d)
			if d.Err() == nil {
				c.batch.Events = append(c.batch.Events, observe.Event{Time: r.TimeNs, Source: "probe:" + p.label(), Kind: r.Kind, Severity: pdu.SeverityName(r.Severity), Message: r.Message, Count: r.Count})
			}
		case pdu.TypeTCPConn:
			var r observe.TCPConnection
			iface := tcpconn.DecodeConn(&d, &r)
			if d.Err() == nil {
				r.Probe, r.Interface, r.ConnID = p.label(), p.ifaceLabel(iface), r.ConnID+c.base
				c.batch.TCPConnections = append(room(c.batch.TCPConnections, 1), r)
			}
		case pdu.TypeFTPTransfer:
			c.batch.FTPTransfers = room(c.batch.FTPTransfers, 1) // here: within decodeRow, d would escape
			decodeRow(&d, ftp.DecodeTransfer, func(r *observe.FTPTransfer) { r.Probe, r.SessionID = p.label(), r.SessionID+c.base }, &c.batch.FTPTransfers)
		case pdu.TypeFTPSession:
			c.batch.FTPSessions = room(c.batch.FTPSessions, 1) // here: within decodeRow, d would escape
			decodeRow(&d, ftp.DecodeSession, func(r *observe.FTPSession) { r.Probe, r.SessionID = p.label(), r.SessionID+c.base }, &c.batch.FTPSessions)
		case pdu.TypeRTTSample:
			c.batch.RTTSamples = room(c.batch.RTTSamples, 1) // here: within decodeRow, d would escape
			decodeRow(&d, rtt.DecodeSample, func(r *observe.RTTSample) { c.ownSample(p, r) }, &c.batch.RTTSamples)
		case pdu.TypeRTTHist:
			c.batch.RTTHistograms = room(c.batch.RTTHistograms, 1) // here: within decodeRow, d would escape
			decodeRow(&d, rtt.DecodeHistogram, func(r *observe.RTTHistogram) { r.Probe, r.FlowID = p.label(), r.FlowID+c.base }, &c.batch.RTTHistograms)
		case pdu.TypeDropped:
			var x oneway.Dropped
			oneway.DecodeDropped(&d, &x)
			if d.Err() == nil {
				x.FlowID += c.base
				c.droppedObs(h.ProbeID, &x)
			}
		case pdu.TypePacketObs:
			if err := c.packetObs(h.ProbeID, payload); err != nil {
				return err
			}
			c.stats.Records++
			return nil
		case pdu.TypeReport:
			var r pdu.Report
			r.Decode(&d)
			if d.Err() == nil {
				c.report(h, p, &r)
			}
		case pdu.TypeHeartbeat:
			return nil
		default:
			return fmt.Errorf("unexpected PDU type %s", h.Type)
		}
		if d.Err() != nil {
			return d.Err()
		}
		c.stats.Records++
	}
	return nil
}

// batchRows is the rows of one table a batch grows to by doubling: the
// pipeline hands the rows to its sink every 64 k rows
// (pipeline.DefaultSinkRows).
const batchRows = 1 << 16

// room returns rows with room for n more. Up to batchRows a full slice
// doubles: Go's append grows a large slice by a quarter, so the first 64
// k flow_counters rows of a run were copied about four times over, 45 MB
// of fresh memory where doubling takes 15 (issue 14). Past batchRows it
// grows as append does. A recycled batch (Recycle) keeps its room.
func room[T any](rows []T, n int) []T {
	if len(rows)+n <= cap(rows) {
		return rows
	}
	return grow(rows, n)
}

// grow is room for a full slice.
func grow[T any](rows []T, n int) []T {
	if cap(rows) >= batchRows {
		return rows
	}
	c := max(min(2*cap(rows), batchRows), 64, len(rows)+n)
	out := make([]T, len(rows), c)
	copy(out, rows)
	return out
}

// decodeRow decodes one row record with decode, lets own fill the
// collector's fields (the probe placeholder) and appends the row to rows.
func decodeRow[T any](d *pdu.Dec, decode func(*pdu.Dec, *T), own func(*T), rows *[]T) {
	var r T
	decode(d, &r)
	if d.Err() == nil {
		own(&r)
		*rows = append(*rows, r)
	}
}

func (c *Collector) defineFlow(pid uint16, p *probeState, r *pdu.FlowDef) {
	k := flowKey{pid, r.FlowID}
	if c.retired.has(k) {
		return
	}
	if !c.flows.Has(k) && slices.Contains(p.leftOut, k.id>>pdu.RunShift) {
		c.retire(k) // of a run ended without its final report: no totals will come (endRun)
		return
	}
	f, _ := c.flows.Get(k)
	f.define(c, r)
	c.flows.Set(k, f)
}

// Recycle gives back a batch returned by Drain once its rows are written:
// its slices take the next rows at once (no regrowth from nothing after
// every drain). b must not be used afterwards.
func (c *Collector) Recycle(b *observe.Batch) {
	if b == nil {
		return
	}
	b.Reset()
	b.Append(&c.batch) // rows held or decoded since the Drain
	c.batch = *b
}

// Rows returns the number of rows accumulated since the last Drain (flows
// excluded): a caller streaming the output drains when it grows.
func (c *Collector) Rows() int {
	return c.batch.Rows() - len(c.batch.Flows) + len(c.hists)
}

// addHistogram turns IP size slice counts into size_histograms rows, one
// per non-empty slice.
func (c *Collector) addHistogram(p *probeState, r *pdu.Histogram) {
	def, ok := p.hists[r.DefID]
	if !ok {
		c.stats.UnknownFlow++
		return
	}
	for i, n := range r.Counts {
		if n == 0 {
			continue
		}
		var lo, hi float64
		if i > 0 && i-1 < len(def.Edges) {
			lo = def.Edges[i-1]
		}
		if i < len(def.Edges) {
			hi = def.Edges[i]
		}
		c.batch.SizeHistograms = append(c.batch.SizeHistograms, observe.SizeHistogram{
			Probe: p.label(), FlowID: r.FlowID, IntervalStart: r.IntervalStartNs, IntervalS: float64(r.IntervalNs) / 1e9,
			SliceLoBytes: uint32(lo), SliceHiBytes: uint32(hi), Packets: n,
		})
	}
}

func (c *Collector) updateFlow(pid uint16, r *pdu.FlowUpdate) {
	k := flowKey{pid, r.FlowID}
	c.seenNs = max(c.seenNs, r.LastSeenNs)
	if c.retired.has(k) {
		return // already written out as ended
	}
	f := c.flows.Ptr(k)
	if f == nil {
		c.stats.UnknownFlow++
		c.flows.Set(k, cflow{})
		f = c.flows.Ptr(k)
	}
	// Totals are cumulative: keep the largest (PDUs may arrive reordered).
	if r.Packets >= f.packets {
		f.packets, f.bytes = r.Packets, r.Bytes
	}
	if r.LastSeenNs > f.lastNs {
		f.lastNs = r.LastSeenNs
	}
	if r.Ended == pdu.EndIdle || r.Ended == pdu.EndEvicted || r.Ended == pdu.EndFinal {
		c.markEnded(k, f)
	}
}

// Finish returns every row accumulated since the last Drain, and every
// flow with its totals, sorted for stable output: flows by probe and flow
// id, counters by probe, flow, interval and metric, events by time. Every
// one-way record is classified and every flow retired: a collector may go
// on after Finish (later updates of those flows are ignored).
func (c *Collector) Finish() *observe.Batch {
	return c.take(true)
}

// Drain returns the rows accumulated since the previous Drain (sorted as
// Finish does) and forgets them, for a long-running collector that writes
// as it goes. A flow is written once its probe ended it (idle, evicted,
// end of the probe's run), or at Finish: until then its totals grow. Names
// (probes, interfaces, metrics) are resolved with the definitions received
// so far.
func (c *Collector) Drain() *observe.Batch {
	return c.take(false)
}

// ClockNs returns the collector's capture-time clock: the latest build time
// of the PDUs received (0 before the first).
func (c *Collector) ClockNs() int64 { return c.lastNs }

// SetEpoch makes acknowledgements carry epoch, the collector's state
// epoch: probes re-send their definitions when it changes (a collector
// that lost its state). A collector that keeps its state across restarts
// (a journal) keeps its epoch too.
func (c *Collector) SetEpoch(epoch int64) { c.rx.SetEpoch(epoch) }

// SetProbes restricts the collector to the probes with these wire ids
// (config.ProbeID of the config's probes): frames of others are refused,
// counted and reported (ReportRefused), never acknowledged. nil opens it
// to any probe (up to pdu.DefaultMaxProbes).
func (c *Collector) SetProbes(ids []uint16) { c.rx.SetProbes(ids) }

// Open reports whether the collector accepts frames from any probe.
func (c *Collector) Open() bool { return c.rx.Open() }

func (c *Collector) take(final bool) *observe.Batch {
	if final {
		c.endRuns()
		c.flushOneway()
		c.reportConfig(c.wallNs, 0, true)
	}
	if c.periodic && !final {
		c.reportOneway()
	}
	c.reportBad()
	b := &c.batch
	var heldHists []pendingHist
	for _, ph := range c.hists {
		p := c.probe(ph.probe)
		if _, ok := p.hists[ph.h.DefID]; !ok && !final {
			heldHists = append(heldHists, ph)
			continue
		}
		c.addHistogram(p, &ph.h)
	}
	c.hists = heldHists
	var held observe.Batch
	if !final {
		held = c.holdUnresolved(b)
	}
	b.Flows = b.Flows[:0]
	if final {
		// Every flow is written with its totals and retired: a collector
		// that goes on after Finish (a durable one) ignores later updates
		// of them rather than writing them twice.
		for k, f := range c.flows.All {
			b.Flows = append(b.Flows, c.flowRow(k, f))
			c.retire(k)
		}
		c.flows.Clear()
		c.ended = c.ended[:0]
	} else {
		// Flows the probe ended are final: write them now, so a long run
		// does not keep every flow it ever saw.
		kept := c.ended[:0]
		for _, k := range c.ended {
			f := c.flows.Ptr(k)
			if f != nil && (f.class == 0 || !c.probe(k.probe).hello) {
				kept = append(kept, k) // its definition or Hello has not arrived yet
				continue
			}
			if f != nil {
				b.Flows = append(b.Flows, c.flowRow(k, f))
				c.flows.Delete(k)
			}
			c.retire(k)
		}
		clear(c.ended[len(kept):])
		c.ended = kept
	}
	c.resolve(b)
	slices.SortFunc(b.Flows, func(x, y observe.Flow) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID))
	})
	if !c.counterOrder.sorted(len(b.FlowCounters)) {
		sortRuns(b.FlowCounters, func(x, y *observe.FlowCounter) int {
			return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.IntervalStart, y.IntervalStart))
		}, func(x, y *observe.FlowCounter) int { return cmpStr(x.Metric, y.Metric) }, &c.sortBuf)
	}
	slices.SortStableFunc(b.SizeHistograms, func(x, y observe.SizeHistogram) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.IntervalStart, y.IntervalStart), cmp.Compare(x.SliceLoBytes, y.SliceLoBytes))
	})
	if !sortKeyed(b.TCPConnections, func(r *observe.TCPConnection) (string, string) { return r.Probe, r.Class },
		func(r *observe.TCPConnection) uint64 { return r.ConnID }, &c.sortBuf) {
		slices.SortStableFunc(b.TCPConnections, func(x, y observe.TCPConnection) int {
			return cmp.Or(cmpStr(x.Probe, y.Probe), cmpStr(x.Class, y.Class), cmp.Compare(x.ConnID, y.ConnID))
		})
	}
	slices.SortStableFunc(b.FTPSessions, func(x, y observe.FTPSession) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.SessionID, y.SessionID))
	})
	slices.SortStableFunc(b.FTPTransfers, func(x, y observe.FTPTransfer) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.SessionID, y.SessionID), cmp.Compare(x.StartTime, y.StartTime))
	})
	slices.SortStableFunc(b.RTTSamples, func(x, y observe.RTTSample) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.RequestTime, y.RequestTime), cmpStr(x.Kind, y.Kind), cmp.Compare(x.FlowID, y.FlowID))
	})
	slices.SortStableFunc(b.RTTHistograms, func(x, y observe.RTTHistogram) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID), cmpStr(x.Kind, y.Kind), cmp.Compare(x.IntervalStart, y.IntervalStart), cmp.Compare(x.SliceLoMs, y.SliceLoMs))
	})
	slices.SortStableFunc(b.OnewayDelays, func(x, y observe.OnewayDelay) int {
		return cmp.Or(cmpStr(x.Class, y.Class), cmp.Compare(x.FlowID, y.FlowID), cmpStr(x.FromHop, y.FromHop), cmpStr(x.ToHop, y.ToHop), cmp.Compare(ptr(x.SendTime), ptr(y.SendTime)), cmp.Compare(ptr(x.RecvTime), ptr(y.RecvTime)), cmp.Compare(x.Signature, y.Signature))
	})
	slices.SortStableFunc(b.OnewayLatency, func(x, y observe.OnewayLatency) int { return cmpOnewayKey(&x.OnewayKey, &y.OnewayKey) })
	slices.SortStableFunc(b.OnewayLoss, func(x, y observe.OnewayLoss) int { return cmpOnewayKey(&x.OnewayKey, &y.OnewayKey) })
	slices.SortStableFunc(b.PDUStats, func(x, y observe.PDUStat) int {
		return cmp.Or(cmpStr(x.Probe, y.Probe), cmpStr(x.Collector, y.Collector))
	})
	slices.SortStableFunc(b.Events, func(x, y observe.Event) int {
		return cmp.Or(cmp.Compare(x.Time, y.Time), cmpStr(x.Source, y.Source), cmpStr(x.Kind, y.Kind), cmpStr(x.Message, y.Message), cmp.Compare(x.Count, y.Count))
	})
	out := *b
	c.batch, c.counterOrder.ok = held, false
	return &out
}
