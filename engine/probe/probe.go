package probe

import (
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/reasm"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// Identity names a probe and its capture interfaces.
type Identity struct {
	// Name is the probe's name in every table (flows.probe).
	Name string
	// ID is the probe's number on the wire (pdu frame header); unique per
	// collector.
	ID uint16
	// Interfaces names the capture interfaces; pkt.Meta.Iface indexes it,
	// so it holds at most pkt.MaxIfaces names (New refuses more).
	Interfaces []string
	// Epoch identifies this run of the probe in every PDU (pdu.Header.Epoch):
	// its start time in Unix ns, greater than any earlier run's, so that a
	// collector still running de-duplicates the new run apart (PDU ids
	// start again at 1) and refuses frames of runs it closed. The caller
	// sets it (engines do not read the clock); 0 is for in-process runs,
	// which never restart.
	Epoch int64
	// IDBase is the id this run numbers above: its flow ids, conn_ids and
	// session_ids start at IDBase+1. A process running several runs of one
	// probe into one output (a configuration switch-over of live or
	// probe -i, design 1.6) gives each the previous run's Engine.LastID,
	// so that (probe, flow_id) names one flow in the whole output
	// (docs/tables.md: flow_id is probe-unique); 0 for a first run.
	IDBase uint64
}

// Stats counts what the probe did; it feeds the end-of-run summary.
type Stats struct {
	Packets   uint64 // packets handed to Packet
	Bytes     uint64 // captured bytes handed to Packet
	IP        uint64 // packets with a usable IP header
	NotIP     uint64 // non-IP frames
	Malformed uint64 // packets with a broken link or IP header
	Anomalies uint64 // packets kept with a doubtful header, once per kind (dissect.Stats.Anomalies), and reassembled datagrams whose UDP length disagrees with their IP payload
	Matched   uint64 // (packet, class) memberships
	Flows     uint64 // flows created
	Expired   uint64 // flows expired idle
	Evicted   uint64 // flows evicted from a full table
	Intervals uint64 // intervals closed
	// Reassembled counts IP datagrams rebuilt from fragments.
	Reassembled uint64
	// FragsNotHeld counts early non-first fragments counted at once,
	// without their datagram's ports, because maxHeldFrags were held.
	FragsNotHeld uint64
	// Capture time (clock.go): steps back beyond a second, smaller steps
	// back (reordering), jumps forward beyond clock_jump_s, impossible times.
	ClockStepsBack, Reordered, ClockJumps, TimeInvalid uint64
	// Reasm holds the reassembler's counters (overlaps, timeouts, ...).
	Reasm reasm.Stats
}

type class struct {
	cfg    *config.Class
	fields uint8 // pdu.Field* bits
	fold   uint16
	mask   flow.Mask // the class's key fields (account: flow.Table.LookupPacket)
	idleNs int64
	sizes  bool
	// counters: the class runs the counters analysis (design 3.9: counters
	// statistics are one of the analyses a class requires): its flows'
	// interval counters are reported (flow_counters rows)
	counters bool
	rtt      *rtt.Tracker     // nil unless the class runs the rtt analysis
	tcp      *tcpconn.Tracker // nil unless the class runs the tcp analysis
	// tcpEvictBase is the tracker's Evicted count at the interval's start;
	// tcpEvictPrev: it evicted in the previous interval (flood.go).
	tcpEvictBase uint64
	tcpEvictPrev bool
	bound        bool         // tcp.boundary_only: only SYN/FIN/RST segments are analysed
	ftp          *ftp.Tracker // nil unless the class runs the ftp analysis
	ow           *owClass     // nil unless the class runs the oneway analysis
	emitRTT      func(*observe.RTTSample)
	emitConn     tcpconn.Emit // sends tcp's rows (Probe.tcpConnection), made once in New
}

// owClass signs the packets of a one-way class and packs their
// observations (design 3.7, 1.3).
type owClass struct {
	signer *oneway.Signer
	enc    *oneway.Encoder
}

// Probe is one probe engine: it dissects packets, sorts them into flow
// classes with the single-pass sieve, keeps granular flows and their
// counters per interval of capture time, and sends everything to the
// collector as PDUs through its Sender. It is not safe for concurrent use.
type Probe struct {
	id      Identity
	cfg     *config.Config
	cfgHash string // cfg.Hash(), sent as each run's RunConfig
	log     *slog.Logger
	dis     *dissect.Dissector
	sieve   *filter.Sieve
	classes []class
	flows   *flow.Table
	out     pdu.Publisher // the Sender, or a Multi over one Sender per collector
	senders []*pdu.Sender
	// lateSeen: the PDUs and records destroyed after the final report
	// already reported, per sender (DestroyedAfterReport).
	lateSeen [][2]uint64

	intervalNs    int64
	intervalStart int64 // start of the current interval, Unix ns; 0 before the first packet
	intervalEnd   int64 // pkt.AddNs(intervalStart, intervalNs), for advance's test per packet (setInterval)
	nowNs         int64 // probe clock: the latest capture time seen
	firstNs       int64 // probe clock when the probe started (its first packet, or a live tick)
	active        []*flow.Flow
	activeOrd     []uint64 // the capture ordinal of each active flow's first packet of the interval (sortActive)
	started       bool
	startNs       int64        // the probe clock at its start: probe_start's time
	lastEvNs      int64        // the latest time of an event given to EventCount or sent held (stopEvent)
	early         []earlyEvent // events reported before the start, sent after probe_start (EventCount)
	closed        bool
	resyncWanted  bool               // a collector restarted: send definitions again
	drops         [][]oneway.Dropped // per channel: one-way observations its sender destroyed, to report
	dropsWaiting  bool               // drops holds some: reportDrops, run per packet, has work

	d          dissect.Dissection
	set        filter.Set
	upperLayer filter.Set         // classes with upper_layer (match.go)
	uv         dissect.Dissection // the packet without its IPv6 extension headers
	uset       filter.Set
	counters   pdu.Counters
	hist       pdu.Histogram
	stats      Stats
	lastDis    dissect.Stats // dissector stats at the previous interval close
	evictedI   uint64        // evictions in the current interval

	clk        clockState
	offAtClose int64         // clk.off at the latest interval close: a clock jump since, in closeInterval
	sources    []*statSource // counters.go
	slots      []watchSlot
	reasm      *reasm.Reassembler
	frags      map[fragKey]fragInfo
	held       []heldFrag // early non-first fragments (fragInfo.held lists)
	heldFree   []int32
	fragsDue   []fragDue          // the datagrams a timer forgets, in order (dueFragments)
	givenUp    []givenUp          // the datagrams the reassembler gave up, in order (giveUp)
	hd, kd     dissect.Dissection // a held fragment being counted; a datagram's flow key
	// earlyNs is, while a first fragment is counted, the capture time of
	// its datagram's earliest held fragment (MaxInt64: none): a flow it
	// creates starts then (account).
	earlyNs     int64
	fragIDs     [len(fragMetric)]uint32
	limitedI    [numLimited]uint64 // limited events in the current interval
	limitedSev  [numLimited]uint8  // their severity (the summary's)
	reassembled uint64
	// reassembled datagrams with a bad UDP length, in all and in the interval (reasmAnomalyEvent)
	reasmBad, reasmBadI uint64

	evictFn     func(*flow.Flow) // p.evict, made once (a method value per packet costs)
	emitXfer    func(*observe.FTPTransfer)
	emitSess    func(*observe.FTPSession)
	ftpClasses  []int      // classes running the ftp analysis
	ftpBusyN    int        // their trackers following an FTP peer (ftp.Tracker.CountBusy, ftpBusy)
	owClasses   []int      // classes running the oneway analysis (advance checks their encoders)
	ftpData     filter.Set // classes the current packet joined as an FTP data connection
	ftpJoined   bool       // ftpData is not empty
	emitRTTHist func(*observe.RTTHistogram)
	unanswered  func(kind string, flowID uint64)
	rd          dissect.Dissection // a reassembled datagram
	rdis        *dissect.Dissector // dissects reassembled datagrams (kept out of the packet stats)

	metrics map[string]uint32 // run-time metric names -> ids (sent as MetricDef)
	// unansweredIDs: rtt kind -> id of its rtt_unanswered_<kind> metric
	// (no name built per unanswered request).
	unansweredIDs map[string]uint32
	icmpMetric    map[uint32]uint32 // (version, error?, type, code) -> metric id
	obs           oneway.Obs
	ipBytes       uint64 // IP bytes of every decoded packet
	obsMaxAgeNs   int64  // observations wait at most this long in an encoder
	obsPayload    int    // payload bytes of the smallest channel's PDU
	quoted        dissect.Dissection
	quotedSet     filter.Set
	s0            map[s0Key]uint64 // S0 attempts aggregated in the interval (flood.go)
	ord           uint64           // capture ordinal of the packet being processed (1 for the first)
	sh            *shard           // this probe's share of a Workers run (workers.go); nil alone
	top           topFlows         // the busiest flows of the latest closed interval (snapshot.go)
	cur           topFlows         // scratch of appendCurrent: the interval in progress's at a snapshot
}

// Channel is one collector a probe sends to: the link that carries the
// frames and the regulation of that channel (design 1.2: every collector
// receives the same observations, each with its own parameters).
type Channel struct {
	Link   pdu.Link
	Config pdu.SenderConfig
}

// MaxNameBytes bounds a probe's name: it travels in the Hello record with
// the interface names (pdu.Hello.Fit keeps the name whole and trims the
// interface list), and in the events' sources.
const MaxNameBytes = 1024

// New returns a probe that sends its observations to every channel (at
// least one). The caller feeds packets with Packet and ends with Close;
// acknowledgements go to Senders()[i].HandleAck. log (nil: none) receives
// the lifecycle messages (logLifecycle: start, stop, configuration switch,
// collector restarted, unreachable or back, damaged capture). It refuses
// an empty or too long name, more than pkt.MaxIfaces interfaces, and a
// channel whose PDU size is out of range (checkChannels).
func New(id Identity, cfg *config.Config, channels []Channel, log *slog.Logger) (*Probe, error) {
	if err := checkChannels(channels); err != nil { // none, or a PDU size out of range
		return nil, err
	}
	if id.Name == "" {
		return nil, errors.New("probe: empty name")
	}
	if len(id.Name) > MaxNameBytes {
		return nil, fmt.Errorf("probe: name of %d bytes, at most %d: %.40q", len(id.Name), MaxNameBytes, id.Name)
	}
	if len(id.Interfaces) == 0 {
		id.Interfaces = []string{"0"}
	}
	if n := len(id.Interfaces); n > pkt.MaxIfaces {
		return nil, fmt.Errorf("probe %s: %d interfaces, at most %d (pkt.Meta.Iface numbers them 0 to %d)", id.Name, n, pkt.MaxIfaces, pkt.MaxIfaces-1)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	maxPDUBytes := channels[0].Config.MaxPDUBytes
	classes, sieve, sizeBins, err := buildClasses(cfg, maxPDUBytes)
	if err != nil {
		var ce *classError
		if errors.As(err, &ce) {
			return nil, ce // FILE:LINE: class "web": filter "...": ...
		}
		return nil, fmt.Errorf("probe %s: %w", id.Name, err)
	}
	p := &Probe{
		id:         id,
		earlyNs:    math.MaxInt64,
		cfg:        cfg,
		cfgHash:    cfg.Hash(),
		clk:        clockState{jumpNs: cfg.ClockJumpNs()},
		log:        log,
		dis:        dissect.New(),
		sieve:      sieve,
		classes:    classes,
		flows:      flow.New(len(classes), cfg.FlowTable.MaxFlows, sizeBins),
		intervalNs: int64(cfg.IntervalS * 1e9),
	}
	p.setInterval(0)
	for _, ch := range channels {
		sc := ch.Config
		sc.Epoch = id.Epoch
		p.senders = append(p.senders, pdu.NewSender(sc, id.ID, ch.Link))
	}
	p.setIDBase(id.IDBase)
	if len(p.senders) == 1 {
		p.out = p.senders[0]
	} else {
		p.out = pdu.NewMulti(p.senders...)
	}
	p.reasm = reasm.New(reasm.FromTable(cfg.Reassembly))
	p.frags = map[fragKey]fragInfo{}
	p.metrics = map[string]uint32{}
	p.unansweredIDs = map[string]uint32{}
	p.icmpMetric = map[uint32]uint32{}
	p.rttEmitters()
	p.evictFn = p.evict
	p.emitXfer, p.emitSess = p.ftpTransfer, p.ftpSession
	for ci := range p.classes {
		if p.classes[ci].ftp != nil {
			p.ftpClasses = append(p.ftpClasses, ci)
			p.classes[ci].ftp.CountBusy(&p.ftpBusyN)
		}
		if p.classes[ci].ow != nil {
			p.owClasses = append(p.owClasses, ci)
		}
		if p.classes[ci].cfg.UpperLayer {
			p.upperLayer.Add(ci)
		}
	}
	p.drops = make([][]oneway.Dropped, len(p.senders))
	for i, s := range p.senders {
		s.SetOnEventCount(p.EventCount)
		s.SetOnRestart(func() { p.resyncWanted = true })
		s.SetOnDestroy(func(t pdu.Type, payload []byte) {
			if t == pdu.TypePacketObs {
				oneway.Summarize(payload, func(x *oneway.Dropped) {
					p.drops[i] = append(p.drops[i], *x)
					p.dropsWaiting = true
				})
			}
		})
	}
	p.rdis = dissect.New()
	p.obsPayload = p.senders[0].PayloadBytes()
	for _, s := range p.senders {
		p.obsPayload = min(p.obsPayload, s.PayloadBytes())
	}
	p.initCounters()
	p.obsMaxAgeNs = channels[0].Config.MaxBuildNs
	if p.obsMaxAgeNs <= 0 {
		p.obsMaxAgeNs = 1e9
	}
	return p, nil
}

// Senders returns the probe's PDU senders, one per channel, in the order
// given to New (to hand them acknowledgements and read their counters).
func (p *Probe) Senders() []*pdu.Sender { return p.senders }

// Stats returns the probe's counters.
func (p *Probe) Stats() Stats {
	s := p.stats
	s.IP, s.NotIP, s.Malformed, s.Anomalies = p.dis.Stats.IP, p.dis.Stats.NotIP, p.dis.Stats.Malformed, p.dis.Stats.Anomalies()
	s.Flows, s.Expired, s.Evicted = p.flows.Created, p.flows.Expired, p.flows.Evicted
	s.Reassembled, s.Reasm = p.reassembled, p.reasm.Stats()
	if !p.primary() {
		// Every worker sees every packet: worker 0 counts the packet-wide
		// figures, so the workers' Stats add up to one probe's. The
		// dissector's (IP, NotIP, Malformed, Anomalies) count the packets
		// the worker owns (shard.dissect): they add up too.
		s.Packets, s.Bytes, s.Intervals = 0, 0, 0
		s.ClockStepsBack, s.Reordered, s.ClockJumps, s.TimeInvalid = 0, 0, 0, 0
	}
	s.Anomalies += p.reasmBad // each worker its own datagrams
	return s
}

// DissectStats returns the dissector's counters (malformed kinds).
func (p *Probe) DissectStats() dissect.Stats { return p.dis.Stats }

// fieldFlags is the FlowDef field bit of each granularity field.
var fieldFlags = map[string]uint8{
	config.FieldIPVersion: pdu.FieldIPVersion, config.FieldProtocol: pdu.FieldProtocol,
	config.FieldSrcAddr: pdu.FieldSrcAddr, config.FieldDstAddr: pdu.FieldDstAddr,
	config.FieldSrcPort: pdu.FieldSrcPort, config.FieldDstPort: pdu.FieldDstPort,
	config.FieldDSCP: pdu.FieldDSCP, config.FieldVLAN: pdu.FieldVLAN,
}

// fieldBits returns the FlowDef field bits of c's granularity.
func fieldBits(c *config.Class) uint8 {
	var b uint8
	for _, f := range c.Granularity {
		b |= fieldFlags[f]
	}
	return b
}

func (p *Probe) start(nowNs int64) {
	p.started, p.startNs = true, nowNs
	if p.primary() { // worker 0 sends the definitions and the start event
		p.sendDefinitions(nowNs)
		p.Event(nowNs, pdu.SevInfo, "probe_start", fmt.Sprintf(pkt.Nouns(len(p.classes), "probe %s started with %d class[es], interval %gs"), p.id.Name, len(p.classes), p.cfg.IntervalS))
	}
	p.lastEvNs = max(p.lastEvNs, sendEarly(p.out, &p.early, nowNs))
	p.sh.markStart(nowNs)
}

// resync re-sends every definition after a collector restart (design 3.2
// and 4: the probe keeps its flow ids, so a restarted collector needs only
// the definitions again).
func (p *Probe) resync() {
	p.resyncWanted = false
	if !p.primary() {
		p.flows.Each(func(f *flow.Flow) { p.define(f, f.Class()) })
		p.sendMetricDefs(p.nowNs) // those worker 0 never used
		return
	}
	p.sendDefinitions(p.nowNs)
	p.Event(p.nowNs, pdu.SevWarning, "collector_restart", "a collector restarted: definitions of every live flow sent again")
}

// Packet processes one captured packet. data is borrowed for the call.
// Capture time drives every timer: intervals close and flows expire as
// m.TimeNs advances (a packet older than the probe clock is counted in the
// current interval).
func (p *Probe) Packet(data []byte, m pkt.Meta) {
	p.ord++
	if p.clk.stampCommon(&m) {
		p.watchDue()
	} else if !p.stamp(&m) {
		p.stats.Packets++
		p.stats.Bytes += uint64(len(data))
		return
	}
	if !p.started {
		p.setInterval(floorDiv(m.TimeNs, p.intervalNs))
		p.nowNs, p.firstNs = m.TimeNs, m.TimeNs
		p.start(m.TimeNs)
	}
	if m.TimeNs > p.nowNs {
		p.advance(m.TimeNs)
	}
	p.runTimers()
	if p.resyncWanted {
		p.resync()
	}
	if p.dropsWaiting { // here, not in reportDrops: a call per packet for nothing was 10 instructions (issue 14)
		p.reportDrops()
	}
	p.stats.Packets++
	p.stats.Bytes += uint64(len(data))
	d := &p.d
	if p.sh != nil {
		if s := p.sh.peek; s >= 0 && s != p.sh.w { // another worker's, unread (shard.dissect)
			return
		}
		p.stage(stagePacket, 0, 0)
		if !p.sh.dissect(p, data, m) {
			return
		}
	} else if err := p.dis.Dissect(data, m, d); err != nil {
		return
	}
	p.ipBytes += uint64(d.IPLen)
	frag := d.Flags&dissect.IsFrag != 0
	if frag {
		p.fragment(d)
		if d.FragOff == 0 {
			p.earlyNs = p.heldEarliest(keyOf(d))
		}
	} else {
		p.match(d, &p.set)
	}
	if d.Flags&dissect.HasTCP != 0 && p.ftpBusy() {
		p.ftpJoin(d)
	}
	p.accountSet(d)
	p.earlyNs = math.MaxInt64
	if d.Flags&dissect.HasInner != 0 && (p.sh == nil || p.sh.ownsQuoted(d)) {
		p.icmpError(d)
	}
	if frag {
		if d.FragOff == 0 {
			p.releaseHeld(keyOf(d), d)
		}
		p.reassemble(d, data)
	}
}

// advance moves the probe clock to nowNs, closing intervals on the way.
func (p *Probe) advance(nowNs int64) {
	p.nowNs = nowNs
	if nowNs >= p.intervalEnd {
		p.closeInterval(floorDiv(nowNs, p.intervalNs))
	}
	if len(p.owClasses) > 0 {
		p.stage(stageOneway, 0, 0)
		p.flushStaleObservations(nowNs)
	}
	if s, ok := p.out.(*pdu.Sender); ok {
		// inline: a compare and the clock, until something is due (a
		// Workers' probe writes to a recorder: p.out is set in several
		// places, so it is asked here)
		s.Tick(nowNs)
	} else if r, ok := p.out.(*recorder); ok {
		r.ord = r.ord&^(1<<32-1) | uint64(stageOf(stageTick, 0, 0))
		if !r.extend(nowNs) { // inline too: a worker's every packet (issue 14)
			r.Tick(nowNs)
		}
	} else {
		p.out.Tick(nowNs)
	}
}

// Tick advances the probe clock without a packet (live capture idles).
func (p *Probe) Tick(nowNs int64) {
	if !p.started && !p.closed && pkt.ValidTime(nowNs) {
		// Only a live source ticks before its first packet (an idle
		// wake-up at wall time): the probe starts with the capture, so a
		// run that sees no packet still has its probe_start and
		// probe_stop.
		p.setInterval(floorDiv(nowNs, p.intervalNs))
		p.nowNs, p.firstNs = nowNs, nowNs
		p.start(nowNs)
	}
	p.tickClock(nowNs)
	if p.started && nowNs > p.nowNs {
		p.advance(nowNs)
	}
	p.runTimers()
	if p.resyncWanted {
		p.resync()
	}
	p.reportDrops()
}

// ObservedBytes returns the IP bytes of the packets whose one-way
// observations were sent (the traffic the packet_obs PDUs describe, design
// 1.3) and the IP bytes of every packet the probe decoded.
func (p *Probe) ObservedBytes() (oneway, all uint64) {
	for ci := range p.classes {
		if c := &p.classes[ci]; c.ow != nil {
			oneway += c.ow.enc.Stats.ObservedBytes
		}
	}
	return oneway, p.ipBytes
}

// Pending returns the PDUs waiting for an acknowledgement, all channels
// together.
func (p *Probe) Pending() int {
	n := 0
	for _, s := range p.senders {
		n += s.Pending()
	}
	return n
}

func floorDiv(t, iv int64) int64 {
	q := t / iv * iv
	if q > t {
		q -= iv
	}
	return q
}

func (p *Probe) key(ci int, d *dissect.Dissection) flow.Key {
	var k flow.Key
	p.keyTo(&k, &p.classes[ci], ci, d)
	return k
}

// keyTo writes the key of d's flow in class ci (c) to *k, in place (the
// flows of a datagram's fragments, datagramFlows; account looks its flow
// up with flow.Table.LookupPacket and the class's mask, the same key
// without a Key, TestKeysFieldByField). *k must be the zero Key: the
// fields the class does not split by are left as they are, not cleared
// again (clearing *k, which may hold pointers, took a write-barrier check
// and four stores a packet).
func (p *Probe) keyTo(k *flow.Key, c *class, ci int, d *dissect.Dissection) {
	k.Class, k.Iface = uint16(ci), d.Meta.Iface
	f := c.fields
	if f&pdu.FieldIPVersion != 0 {
		k.IPVersion = d.IPVersion
	}
	if f&pdu.FieldProtocol != 0 {
		k.Protocol = d.Protocol
	}
	if f&pdu.FieldSrcAddr != 0 {
		k.SrcAddr = d.SrcAddr
	}
	if f&pdu.FieldDstAddr != 0 {
		k.DstAddr = d.DstAddr
	}
	if d.Flags&(dissect.HasTCP|dissect.HasUDP|dissect.HasSCTP) != 0 {
		if f&pdu.FieldSrcPort != 0 {
			k.SrcPort = d.SrcPort
			if c.fold > 0 && k.SrcPort > c.fold {
				k.SrcPort, k.Folded = 0, k.Folded|1
			}
		}
		if f&pdu.FieldDstPort != 0 {
			k.DstPort = d.DstPort
			if c.fold > 0 && k.DstPort > c.fold {
				k.DstPort, k.Folded = 0, k.Folded|2
			}
		}
	}
	if f&pdu.FieldDSCP != 0 {
		k.DSCP = d.DSCP()
	}
	if f&pdu.FieldVLAN != 0 && d.NVLAN > 0 {
		k.VLAN = d.VLANs[0]
	}
}

func (p *Probe) account(ci int, d *dissect.Dissection) {
	now := d.Meta.TimeNs
	c := &p.classes[ci] // once: each p.classes[ci] is a bounds check and a multiply
	f, created := p.flows.LookupPacket(d, &c.mask, now, p.evictFn)
	if created {
		f.FirstSeenNs = min(f.FirstSeenNs, p.earlyNs)
		p.define(f, ci)
	}
	if now > f.LastSeenNs {
		f.LastSeenNs = now
	}
	if !f.Counted() { // a flow that counted a packet in the interval is Active: its third line stays unread
		p.touch(f)
	}
	ipLen := float64(d.IPLen)
	p.flows.AddPacket(f, d.IPLen, d.TTL, d.DSCP())
	if d.Flags&dissect.IsFrag != 0 {
		f.Count(flow.MFragments)
	}
	if d.Flags&(dissect.HasTCP|dissect.TCPNoSegment) == dissect.HasTCP && d.FragOff == 0 { // later fragments, tiny first ones and bogus data offsets carry no flags to count
		fl := d.TCPFlags
		if fl&dissect.TCPSyn != 0 {
			f.Count(flow.MTCPSyn)
		}
		if fl&dissect.TCPFin != 0 {
			f.Count(flow.MTCPFin)
		}
		if fl&dissect.TCPRst != 0 {
			f.Count(flow.MTCPRst)
		} else if d.Window == 0 && d.Flags&dissect.TCPWindowCut == 0 {
			f.Count(flow.MTCPZeroWindow)
		}
	}
	if d.Flags&(dissect.HasTCP|dissect.HasUDP|dissect.HasSCTP) != 0 {
		f.AddL4Payload(l4Bytes(d))
	}
	if d.Flags&dissect.HasICMP != 0 {
		p.flows.Extra(f, p.icmpMetricID(d.IPVersion, false, d.ICMPType, d.ICMPCode)).Count()
	}
	if !d.Fragment() {
		if c.rtt != nil && !c.rtt.Quiet(d) {
			c.rtt.PacketHint(d, f.ID, (*rtt.Hint)(&f.RTT), c.emitRTT)
		}
		if c.tcp != nil && d.Flags&dissect.HasTCP != 0 && (!c.bound || d.TCPFlags&(dissect.TCPSyn|dissect.TCPFin|dissect.TCPRst) != 0) {
			c.tcp.PacketHint(d, c.cfg.Name, c.bound, (*tcpconn.Hint)(&f.TCP))
			if c.tcp.Pending() >= tcpDrainAt {
				c.tcp.DrainPending(c.emitConn) // a flood evicting connections: no row lost
			}
		}
		if c.ftp != nil && d.Flags&dissect.HasTCP != 0 && !p.ftpData.Has(ci) {
			c.ftp.SetOrdinal(p.ord)
			c.ftp.Control(d)
		}
		if c.ow != nil {
			p.observe(c, f.ID, d, d.Data, d.Meta.TimeNs) // d.Data: the packet (Dissect), not an argument spilled on every packet
		}
	}
	if c.sizes && f.Sizes() != nil {
		edges := c.cfg.SizeEdges
		i := 0
		for i < len(edges) && ipLen > edges[i] {
			i++
		}
		f.Sizes()[i]++
	}
}

// l4Bytes returns the transport payload bytes the packet carries. The
// first fragment of a UDP datagram carries its IP payload minus the UDP
// header, not the whole datagram's payload its UDP length announces
// (tcpdump#602): each byte of a datagram counts once, in the fragment
// that carries it. Nor its UDP length when it wrapped modulo 2^16 in a
// datagram beyond 65535 bytes (TestOversizeUDPPayload).
func l4Bytes(d *dissect.Dissection) uint32 {
	if d.Flags&dissect.IsFrag != 0 && d.FragOff == 0 && d.Flags&dissect.HasUDP != 0 {
		hdr := d.L4Off - d.NetOff + 8
		if d.IPLen <= hdr {
			return 0
		}
		return d.IPLen - hdr
	}
	return d.PayloadLen
}

// touch marks f active in the current interval.
func (p *Probe) touch(f *flow.Flow) {
	if !f.Active {
		f.Active = true
		if len(p.active) == cap(p.active) {
			p.growActive()
		}
		flow.PopulateAhead(p.active)
		flow.PopulateAhead(p.activeOrd)
		p.active = append(p.active, f)
		p.activeOrd = append(p.activeOrd, p.ord)
	}
}

// growActive doubles the capacity of the active lists. They grow with
// the flows of an interval (197 k of the 5M corpus), and append grows a
// slice of more than 256 elements by a quarter: 5 times the final array in
// fresh memory on the way, against twice when doubling, and every fresh
// 4 KiB page costs a page fault at its first write (issue 14: ~6-12 µs of
// CPU on the probe virtual machine; the lists' faults in the 5M corpus's
// bench 2.1 k -> 0.8 k). The half the copy writes is populated at once
// (flow.Populate, ~1 µs a page), the rest a window at a time as flows are
// listed (touch, flow.PopulateAhead): 0.8 k faults -> 0, memory resident
// ahead of the flows listed at most a window (64 KiB) a list.
//
//go:noinline
func (p *Probe) growActive() {
	n := max(2*cap(p.active), 512)
	a, o := make([]*flow.Flow, len(p.active), n), make([]uint64, len(p.activeOrd), n)
	flow.Populate(a) // what the copy writes
	flow.Populate(o)
	copy(a, p.active)
	copy(o, p.activeOrd)
	p.active, p.activeOrd = a, o
}

func (p *Probe) define(f *flow.Flow, ci int) {
	k := f.Key()
	def := pdu.FlowDef{
		FlowID: f.ID, Iface: k.Iface, Class: p.classes[ci].cfg.Name, Fields: p.classes[ci].fields,
		IPVersion: k.IPVersion, Protocol: k.Protocol, SrcAddr: k.SrcAddr, DstAddr: k.DstAddr,
		SrcPort: k.SrcPort, DstPort: k.DstPort, DSCP: k.DSCP, VLAN: k.VLAN, FoldedPorts: k.Folded,
		FirstSeenNs: f.FirstSeenNs,
	}
	def.Append(p.out.Begin(pdu.TypeFlowDef, p.nowNs))
	p.out.End(pdu.TypeFlowDef, p.nowNs)
}

func (p *Probe) evict(f *flow.Flow) {
	p.evictedI++
	p.report(f, pdu.EndEvicted)
	p.compactActive()
}

// closeInterval reports every flow active in the current interval, expires
// idle flows and starts the interval beginning at nextStart.
func (p *Probe) closeInterval(nextStart int64) {
	end := pkt.AddNs(p.intervalStart, p.intervalNs)
	p.unansweredBy(pkt.AddNs(end, p.clk.off))
	p.reportActive()
	if nextStart > end {
		// Idle intervals skipped: the round-trip trackers close the first
		// too, as when a tick closes each, so that the handshakes held
		// across the close settle alike (rtt.Tracker.CloseInterval). The
		// others are empty for them either way.
		p.closeRTTAt(end, stageRTTCloseAt)
	}
	// Flows expire at each interval's end once idle_timeout_s passed
	// since their last packet. Idle intervals closed at once end at
	// nextStart, as if closed one by one (a live probe's ticks close each):
	// a flow idle longer than its timeout before this packet ends here,
	// whether or not other traffic closed the intervals between. A clock
	// jump forward (clock.go) counts no time: the flows live on across it.
	at := nextStart
	if jump := p.offAtClose - p.clk.off; jump > 0 {
		at = max(end, at-jump)
	}
	p.offAtClose = p.clk.off
	for ci := range p.classes {
		p.stage(stageExpire, ci, 0)
		p.flows.Expire(ci, at-p.classes[ci].idleNs, func(f *flow.Flow) {
			p.keyed(timeKey(f.LastSeenNs)) // the table's order: by last sight, then id
			p.report(f, pdu.EndIdle)
		})
	}
	p.stage(stageFragClose, 0, 0)
	p.expireFragments(p.clk.now)
	p.stage(stageCloseEvents, 0, 0)
	p.intervalEvents(end)
	p.stats.Intervals++
	p.setInterval(nextStart)
}

// setInterval starts the interval at start (Unix ns).
func (p *Probe) setInterval(start int64) {
	p.intervalStart, p.intervalEnd = start, pkt.AddNs(start, p.intervalNs)
}

// Now returns the probe clock (Unix ns of capture time).
func (p *Probe) Now() int64 { return p.nowNs }
