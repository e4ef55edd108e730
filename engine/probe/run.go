package probe

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Loop is the read loop of the engines: it takes packets from any
// pkt.Source (a capture file, a merge of several, a live socket) and hands
// each to a handler, pacing them, counting them and doing periodic work.
// Probe.Run and the in-process pipeline both use it; live capture reuses
// them. It holds no packet: the data slice is the source's.
type Loop struct {
	// Pace, when set, is called before each packet with its capture time
	// (replay at real time or a factor of it); an error ends the loop with
	// that error.
	Pace func(ctx context.Context, timeNs int64) error
	// Wall returns the wall clock in Unix ns. A live source reports that no
	// packet came (pkt.ErrIdle): Idle is then called with Wall's time, so
	// timers go on without traffic; not on a wake-up while packets flow
	// (pkt.ErrWake), which only does the periodic work. Nil: idle sources are polled again at
	// once, without a clock tick.
	Wall func() int64
	// Idle, when set, is called with the wall clock when the source is idle.
	Idle func(nowNs int64)
	// Damaged, when set, is told of a damaged source (an error other than
	// io.EOF and pkt.ErrIdle, after the last good packet); the loop then
	// ends as at io.EOF.
	Damaged func(err error)
	// Every is the period, in packets, of Periodic (default 1024); Periodic
	// is also called on each idle wake-up and, with Wall set, once
	// PeriodNs of wall time has passed since its last call (checked every
	// wallEvery packets), so that work paced by the wall clock (snapshots
	// and the rates drawn from them) is on time at any packet rate, not
	// in steps of Every packets. An error from it ends the loop.
	Every    uint64
	PeriodNs int64 // default 100 ms
	Periodic func() error
	// First, when set, is called with FirstNs once it is set (the first
	// packet with a valid time), before that packet is handed on.
	First func(timeNs int64)

	// Counts of what went through, readable once Run returned.
	Packets uint64
	Bytes   uint64 // captured bytes
	// FirstNs and LastNs are the capture times of the first packet and
	// the latest one with a valid time (pkt.ValidTime: a packet stamped
	// before 1970 or after 2116 is left out, as the probe's clock leaves
	// it); both 0 when no packet had one.
	FirstNs int64
	LastNs  int64
	timed   bool // FirstNs is set
}

const (
	// defaultPeriodNs is Loop.PeriodNs's default: 100 ms.
	defaultPeriodNs = int64(100 * time.Millisecond)
	// wallEvery is how often, in packets, Loop reads the wall clock to
	// call Periodic on time.
	wallEvery = 16
)

// Run reads src until it ends (nil), ctx is done (ctx.Err()) or Pace or
// Periodic fail (their error), calling packet for every packet. The
// context is checked every 256 packets and on every idle wake-up.
func (l *Loop) Run(ctx context.Context, src pkt.Source, packet func(data []byte, m pkt.Meta)) error {
	every := l.Every
	if every == 0 {
		every = 1024
	}
	period := l.PeriodNs
	if period <= 0 {
		period = defaultPeriodNs
	}
	var lastNs int64 // wall clock of the last Periodic
	if l.Wall != nil {
		lastNs = l.Wall()
	}
	into, _ := src.(pkt.MetaSource) // fills m in place: no copies of it per packet
	// packets until Periodic is due: a countdown, not Packets%every per
	// packet (a 64-bit division, some 40 cycles, on the probe's critical
	// path: issue 14)
	untilDue := every - l.Packets%every
	var m pkt.Meta
	for {
		if l.Packets%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var data []byte
		var err error
		if into != nil {
			data, err = into.NextInto(&m)
		} else {
			data, m, err = src.Next()
		}
		if err != nil {
			switch {
			case err == io.EOF:
				return nil
			case errors.Is(err, pkt.ErrIdle):
				if err := l.idle(ctx, !errors.Is(err, pkt.ErrWake)); err != nil {
					return err
				}
				continue
			default:
				if l.Damaged != nil {
					l.Damaged(err)
				}
				return nil
			}
		}
		if l.Pace != nil {
			if err := l.Pace(ctx, m.TimeNs); err != nil {
				return err
			}
		}
		if pkt.ValidTime(m.TimeNs) { // an impossible time (capture_time_invalid) is no time of the run
			if !l.timed {
				l.timed, l.FirstNs = true, m.TimeNs
				if l.First != nil {
					l.First(m.TimeNs)
				}
			}
			l.LastNs = max(l.LastNs, m.TimeNs)
		}
		l.Packets++
		l.Bytes += uint64(len(data))
		packet(data, m)
		if l.Periodic == nil {
			continue
		}
		untilDue--
		due := untilDue == 0
		if due {
			untilDue = every
		}
		if l.Wall != nil && (due || l.Packets%wallEvery == 0) {
			if now := l.Wall(); due || now-lastNs >= period {
				due, lastNs = true, now
			}
		}
		if due {
			if err := l.Periodic(); err != nil {
				return err
			}
		}
	}
}

// idle handles a wait without packets (tick: the clock moves on) or a
// wake-up while packets flow (pkt.ErrWake: the clock stays with the
// packets, TestWakeUpKeepsClock): periodic work is done and the context is
// checked.
func (l *Loop) idle(ctx context.Context, tick bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tick && l.Wall != nil && l.Idle != nil {
		l.Idle(l.Wall())
	}
	if l.Periodic != nil {
		return l.Periodic()
	}
	return nil
}

// AckSource hands the acknowledgements a link received to its channel's
// Sender, from the goroutine that owns the probe: pdu.UDPLink.
type AckSource interface {
	Poll(s *pdu.Sender, nowNs int64) int
}

// RunOptions tune Probe.Run.
type RunOptions struct {
	// Acks are polled for acknowledgements every PollEvery packets, on
	// idle wake-ups and while lingering: one per channel, in the order
	// given to New. Nil (or a nil entry): the link acknowledges
	// synchronously (pdu.Loopback).
	Acks      []AckSource
	PollEvery uint64 // default 64
	// Pace paces the packets (replay.Pacer.Wait); nil: as fast as read.
	Pace func(ctx context.Context, timeNs int64) error
	// Wall returns the wall clock in Unix ns. It moves the probe clock
	// when a live source is idle (pkt.ErrIdle) and while lingering after
	// the end; without it there is no lingering.
	Wall func() int64
	// Linger is how long, in wall time, the probe waits after the source
	// ended for the acknowledgements of its last PDUs. The probe clock
	// then goes on from the last packet's time with the wall clock. A
	// done ctx ends the wait at once (none if ctx was done before): to
	// stop the capture and still wait, end the source instead (a live
	// source's Stop).
	Linger time.Duration
	// Damaged, when set, is told of a damaged capture after its last good
	// packet (the probe also reports a capture_damaged event).
	Damaged func(err error)
	// Snapshot, when set, receives an observe.Snapshot of the probe (one
	// input per probe interface, the probe, its channels, its latest
	// interval's busiest flows) at most once a second of wall time (Wall;
	// without it, of capture time) and at the end (Done set).
	Snapshot *observe.Latest
	// Kernel, when set, fills the inputs' kernel capture counters of each
	// snapshot (live capture: PACKET_STATISTICS), in interface order.
	Kernel func(in []observe.InputCounters)
}

// RunResult is what Probe.Run did.
type RunResult struct {
	Packets, Bytes  uint64
	FirstNs, LastNs int64 // capture times of the first and latest packets
	// Unacked counts the PDUs still unacknowledged at the end (all
	// channels): their observations may be missing at the collector.
	// Unsent counts those of them never sent (pdu.Sender.Unsent): the
	// channels' regulation could not carry them before the linger ended.
	// Both are the sums of Channels.
	Unacked, Unsent int
	// Channels is each channel's state at the end, in collector order,
	// read once after the linger: a probe process's summary line and its
	// exit message both say it, so they cannot disagree.
	Channels []ChannelEnd
}

// ChannelEnd is one channel's state at the end of a run (RunResult).
type ChannelEnd struct {
	Collector string          // the collector's name (pdu.Sender.Collector)
	Stats     pdu.SenderStats // its counters; Stats.Unacked: the PDUs pending (pdu.Sender.Pending)
	Unsent    int             // of those, never sent (pdu.Sender.Unsent)
}

// Run is a probe process's life: it feeds every packet of src to the
// probe (paced by opt.Pace), polls the channels' acknowledgements, keeps
// the probe clock moving with the wall clock when a live source is idle,
// and, when src ends or ctx is done, closes the probe (every interval,
// flow and PDU under construction is flushed) and lingers until every PDU
// is acknowledged, opt.Linger has passed or ctx is done. It returns
// ctx.Err() if ctx ended the capture, or the error of Pace. The probe must not be used
// from another goroutine meanwhile (opt.Snapshot is read from any).
func (p *Probe) Run(ctx context.Context, src pkt.Source, opt RunOptions) (RunResult, error) {
	return runEngine(ctx, p, p.id, p.clk.jumpNs, src, opt)
}

// Run is Probe.Run with the analysis on the workers: a probe process's
// life on n cores, its tables those of a lone Probe (Workers).
func (w *Workers) Run(ctx context.Context, src pkt.Source, opt RunOptions) (RunResult, error) {
	return runEngine(ctx, w, w.ws[0].id, w.ws[0].clk.jumpNs, src, opt)
}

// runEngine is Run for either engine of probe identity id, whose clock
// takes a step of more than jumpNs for a jump.
func runEngine(ctx context.Context, e Engine, id Identity, jumpNs int64, src pkt.Source, opt RunOptions) (RunResult, error) {
	poll := func(nowNs int64) {
		if a, ok := e.(interface{ ackNs(int64) int64 }); ok {
			nowNs = a.ackNs(nowNs) // Workers: not past the batches merged into the senders
		}
		senders := e.Senders()
		for i, a := range opt.Acks {
			if a != nil && i < len(senders) {
				a.Poll(senders[i], nowNs)
			}
		}
	}
	every := opt.PollEvery
	if every == 0 {
		every = 64
	}
	l := Loop{
		Pace:  pacePolling(opt.Pace, e, jumpNs, poll),
		Wall:  opt.Wall,
		Every: every,
		Idle: func(nowNs int64) {
			poll(max(nowNs, e.Now()))
			e.Tick(nowNs)
		},
		Damaged: func(err error) {
			e.EventCount(e.Now(), pdu.SevWarning, "capture_damaged", pkt.Message(err), 1) // one capture: as replay's own
			if opt.Damaged != nil {
				opt.Damaged(err)
			}
		},
	}
	sn := Snapshots{To: opt.Snapshot, Kernel: opt.Kernel, Wall: opt.Wall, State: "probing", Inputs: InputsOf(id.Name, id.Interfaces...)}
	l.Periodic = func() error {
		poll(e.Now())
		if sn.Due(e.Now()) {
			sn.Publish(false, e.AppendSnapshot)
		}
		return nil
	}
	err := l.Run(ctx, src, func(data []byte, m pkt.Meta) {
		sn.Count(int(m.Iface), len(data))
		e.Packet(data, m)
	})
	if !e.Started() && e.Held() > 0 && opt.Wall != nil {
		// The run ends before a packet or tick started the probe, with
		// events to say (a capture damaged before its first packet, a
		// live capture's end): it starts at the wall clock, the one time
		// the run has, and they reach the collectors between its
		// probe_start and probe_stop.
		e.Tick(opt.Wall())
	}
	e.Close()
	linger(ctx, e, opt, poll)
	sn.Publish(true, e.AppendSnapshot)
	res := RunResult{Packets: l.Packets, Bytes: l.Bytes, FirstNs: l.FirstNs, LastNs: l.LastNs}
	for _, s := range e.Senders() {
		ch := ChannelEnd{Collector: s.Collector(), Stats: s.Stats(), Unsent: s.Unsent()}
		res.Channels = append(res.Channels, ch)
		res.Unacked += ch.Stats.Unacked
		res.Unsent += ch.Unsent
	}
	return res, err
}

// pollGapNs is the capture time after which a paced packet is preceded by
// an acknowledgement poll: a paced replay waits that long (divided by its
// speed) before the packet, and acknowledgements that came meanwhile must
// be read before the packet moves the clock, or the retransmission timers
// fire for PDUs already acknowledged (a sparse capture: a PDU sent at
// every packet, polled only every PollEvery packets).
const pollGapNs = int64(time.Millisecond)

// pollStepNs is the step in which a paced wait longer than it moves the
// probe clock (polling acknowledgements between steps): half the default
// initial retransmission timeout, so a PDU sent inside a long wait (an
// interval closing) is acknowledged before its timer fires.
const pollStepNs = int64(time.Second)

// pacePolling wraps pace so that, after a wait of pollGapNs or more of
// capture time, the acknowledgements are polled at the probe's clock
// before the packet is handled. Decided on capture time: the same capture
// gives the same polls at any speed. Nil pace: nil (full speed polls
// every PollEvery packets).
func pacePolling(pace func(context.Context, int64) error, e Engine, jumpNs int64, poll func(int64)) func(context.Context, int64) error {
	if pace == nil {
		return nil
	}
	var last int64
	started := false
	return func(ctx context.Context, timeNs int64) error {
		if gap := pkt.SubNs(timeNs, last); started && gap > pollStepNs && gap <= jumpNs {
			// A long wait: the clock goes on in steps, as a live probe's
			// does while idle, reading acknowledgements at each.
			for s := last + pollStepNs; s < timeNs; s += pollStepNs {
				if err := pace(ctx, s); err != nil {
					return err
				}
				poll(e.Now())
				e.Tick(s)
			}
		}
		if err := pace(ctx, timeNs); err != nil {
			return err
		}
		if !started || pkt.SubNs(timeNs, last) >= pollGapNs {
			poll(e.Now())
		}
		started, last = true, timeNs
		return nil
	}
}

// linger waits, in wall time, for the acknowledgements of the PDUs still
// pending, the probe clock going on from its last time with the wall
// clock. It stops at once when ctx is done. Once nothing is pending, each
// channel says farewell (a last heartbeat: Sender.Farewell).
func linger(ctx context.Context, e Engine, opt RunOptions, poll func(int64)) {
	if opt.Wall == nil || opt.Linger <= 0 {
		return
	}
	// The linger's time runs on from the latest channel clock: the end
	// of the run's burst (pdu.Sender.Flush) put it past the probe's by
	// MinGapNs per PDU, and the acknowledgement timeouts of what the
	// burst lost lie there (TestLingerRetriesDrainedBurst).
	end, t0 := e.Now(), opt.Wall()
	for _, s := range e.Senders() {
		end = max(end, s.Clock())
	}
	defer func() {
		now := end + opt.Wall() - t0
		for _, s := range e.Senders() { // a long retry mode left with the run: its leave event
			s.EndLong(now)
		}
		if e.Pending() == 0 { // every PDU acknowledged or destroyed: the collector may close its gaps
			for _, s := range e.Senders() {
				s.Farewell(now)
			}
		}
	}()
	for ctx.Err() == nil {
		elapsed := opt.Wall() - t0
		if elapsed >= int64(opt.Linger) {
			return
		}
		now := end + elapsed
		if e.Pending() == 0 && !flushBuilding(e.Senders(), now) {
			return
		}
		poll(now)
		e.Tick(now)
		e.DestroyedAfterReport(now)
		time.Sleep(5 * time.Millisecond)
	}
}

// flushBuilding sends the PDUs under construction of senders at probe
// time nowNs, and reports whether there were any: events of the
// lingering itself (the pdu_long_retry_leave of the last
// acknowledgements) are sent, not left behind.
func flushBuilding(senders []*pdu.Sender, nowNs int64) (found bool) {
	for _, s := range senders {
		if s.Building() {
			s.Flush(nowNs)
			found = true
		}
	}
	return found
}
