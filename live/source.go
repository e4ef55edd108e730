//go:build linux

package live

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Config configures a live capture (Open).
type Config struct {
	// Interfaces to capture on; pkt.Meta.Iface is the index in this list.
	Interfaces []string
	// Pair takes the two interfaces as the two directions of one link (a
	// passive tap, design 1.14.1): packets are merged in capture-time order
	// within ReorderWindow.
	Pair bool
	// SnapLen is the number of bytes kept per packet (default 262144).
	SnapLen int
	// RingBytes is the size of each socket's ring (default 64 MiB); it is
	// rounded down to a whole number of blocks.
	RingBytes int
	// BlockBytes is the size of a ring block (default 1 MiB; a multiple of
	// the page size, larger than SnapLen plus 128 bytes of headers).
	BlockBytes int
	// BlockTimeout is how long the kernel fills a block before handing it
	// over partly filled (default 10 ms): the latency of a quiet link.
	// From 1 ms to MaxKernelBlockTimeout (the kernel's tp_retire_blk_tov
	// is a uint32 of ms); after Stop, Next waits for a partly filled
	// block MaxStopWait at most.
	BlockTimeout time.Duration
	// ReorderWindow bounds how long a packet waits for an older one on the
	// other interfaces (default 2×BlockTimeout + 10 ms). Without Pair,
	// packets of several interfaces go in the order the kernel hands
	// them over, the oldest ready first.
	ReorderWindow time.Duration
	// IdleWait is how long Next waits for a packet before it returns
	// pkt.ErrIdle (default 100 ms).
	IdleWait time.Duration
	// Filter, when set, gives the classic BPF program to attach to each
	// socket for its link type (see engine/filter Expr.BPF with
	// KernelVLAN); nil for none. Its accepting returns are set to SnapLen.
	Filter func(link pkt.LinkType) []bpf.Instruction
	// Workers is the number of sources sharing each interface through
	// PACKET_FANOUT, sharded by pkt.PairShard (default 1).
	Workers int
	// Promiscuous puts the interfaces in promiscuous mode (default in
	// DefaultConfig).
	Promiscuous bool
}

// MaxKernelBlockTimeout is the longest Config.BlockTimeout: the kernel
// takes it as a uint32 of milliseconds (TPACKET_V3 tp_retire_blk_tov).
const MaxKernelBlockTimeout = time.Duration(math.MaxUint32) * time.Millisecond

// MaxStopWait bounds how long Next goes on after Stop waiting for the
// kernel to hand over its partly filled blocks: 2×BlockTimeout + 20 ms,
// then on while a packet the kernel counted into a ring is not delivered
// (a block timer run late), at most this (the wait for a BlockTimeout of
// 1 s, tcpdump's 1000 ms).
// With a longer BlockTimeout (a test rig's 60 s), the packets of a block
// the kernel has not handed over by then stay in the ring (Stats.Unread)
// rather than keep a stopped capture running for as long: a Stop with a
// BlockTimeout of 99999 h waited for a second signal.
const MaxStopWait = 2*time.Second + 20*time.Millisecond

// DefaultConfig returns the defaults for the given interfaces.
func DefaultConfig(ifaces ...string) Config {
	return Config{Interfaces: ifaces, SnapLen: 262144, RingBytes: 64 << 20, BlockBytes: 1 << 20,
		BlockTimeout: 10 * time.Millisecond, IdleWait: 100 * time.Millisecond, Workers: 1, Promiscuous: true}
}

// Validate checks the sizes and fills the derived defaults.
func (c *Config) Validate() error {
	if len(c.Interfaces) == 0 {
		return errors.New("live: no interface")
	}
	if c.Pair && len(c.Interfaces) != 2 {
		return fmt.Errorf("live: a pair takes two interfaces, not %d", len(c.Interfaces))
	}
	d := DefaultConfig()
	config.FillDefaults(c, d)
	if c.ReorderWindow <= 0 {
		c.ReorderWindow = 2*c.BlockTimeout + 10*time.Millisecond
	}
	if c.SnapLen+128 > c.BlockBytes {
		c.SnapLen = c.BlockBytes - 128 // a block holds at least one packet
	}
	page := os.Getpagesize()
	switch {
	case c.BlockBytes%page != 0:
		return fmt.Errorf("live: block size %d is not a multiple of the page size %d", c.BlockBytes, page)
	case c.RingBytes < c.BlockBytes:
		return fmt.Errorf("live: ring of %d bytes is smaller than one block of %d", c.RingBytes, c.BlockBytes)
	case c.BlockTimeout < time.Millisecond || c.BlockTimeout > MaxKernelBlockTimeout:
		return fmt.Errorf("live: block timeout %v: want 1ms to %v", c.BlockTimeout, MaxKernelBlockTimeout)
	case c.Workers > 64:
		return fmt.Errorf("live: %d workers (at most 64)", c.Workers)
	}
	return nil
}

// Stats are one interface's capture counters in one Source.
type Stats struct {
	Interface string
	// KernelPackets counts the packets the socket filter passed to the
	// ring, dropped ones included (PACKET_STATISTICS tp_packets).
	KernelPackets uint64
	// Drops counts packets lost because the ring was full (tp_drops).
	Drops uint64
	// Freezes counts the times the ring filled up (tp_freeze_q_cnt).
	Freezes uint64
	// Delivered counts the packets handed to the engine.
	Delivered uint64
	// VLANRestored counts frames whose stripped VLAN tag was put back.
	VLANRestored uint64
	// LoopbackCopies counts the sent copies skipped on a loopback
	// interface (each packet crosses lo twice). Once Next has returned
	// io.EOF after Stop, the counters stop and KernelPackets = Delivered +
	// Drops + LoopbackCopies (+ those of a block the kernel had not handed
	// over MaxStopWait after Stop).
	LoopbackCopies uint64
	// OutOfOrder counts the packets delivered with a kernel timestamp
	// before that of a packet the Source delivered before them (from any
	// of its interfaces): Next gives the oldest packet the kernel has
	// handed over, but cannot give one the kernel has not. Within one
	// interface the ring's order is the kernel's, which receives on
	// several CPUs: a packet stamped a few µs before another can follow it
	// (TestPairOrder saw 5 µs under load). With Pair, a packet the kernel
	// hands over after the hold of a later one on the other port ran out
	// (ReorderWindow: a kernel or a reader late by more than that) comes
	// after it. The probe engine counts them again as Reordered
	// (capture_time_backwards).
	OutOfOrder uint64
}

// Unread returns the packets the socket filter passed to the ring that
// were neither delivered, dropped nor skipped as loopback copies:
// KernelPackets - Delivered - Drops - LoopbackCopies, 0 when that would be
// negative (the kernel counters are read a moment apart from the
// Source's). Those the ring still held when the run stopped without
// draining it (a second Ctrl-C: 17191 of 445068 in a trial), or those of
// a block the kernel had not handed over MaxStopWait after a drained
// Stop: in no table.
func (s Stats) Unread() uint64 {
	n := s.Delivered + s.Drops + s.LoopbackCopies
	if s.KernelPackets <= n {
		return 0
	}
	return s.KernelPackets - n
}

// Source is a live capture on one or more interfaces (one worker's share
// when Workers > 1). It implements pkt.Source: Next returns packets with
// kernel timestamps in nanoseconds, pkt.ErrIdle after IdleWait without a
// packet (also while it drains after Stop, so that the caller sees its
// context cancelled: a second Ctrl-C), and io.EOF after Stop once every
// packet captured before the stop was delivered. Next and Close belong to one goroutine; Stop and Stats
// may be called from any.
type Source struct {
	cfg      Config
	names    []string
	indexes  []int // the interfaces' indexes at Open (Links)
	socks    []*socket
	evmu     sync.Mutex // guards evfd between Stop (any goroutine) and Close
	evfd     int
	pfds     []unix.PollFd
	frame    uint64
	stopping atomic.Bool
	stopAt   atomic.Int64 // monotonic clock of Stop (mono)
	t0       time.Time    // origin of mono
	polls    uint64       // poll calls (tests)
	closed   bool
	ended    atomic.Bool // Next returned io.EOF after Stop
	lastNs   int64       // latest kernel timestamp delivered (Stats.OutOfOrder)
	// onClock, when set (tests), is called as Next reads the clocks.
	onClock func()
}

// clocks reads, at one instant, the monotonic time since Open (mono) and
// the wall clock, in ns.
func (s *Source) clocks() (mono, wall int64) {
	if s.onClock != nil {
		s.onClock()
	}
	t := time.Now()
	return int64(t.Sub(s.t0)), t.UnixNano()
}

// mono is the monotonic time since the source opened, in ns: the waits
// run on it, so a wall clock set back or forward neither holds a packet
// nor ends the capture early (kernel timestamps are wall-clock time).
func (s *Source) mono() int64 { return int64(time.Since(s.t0)) }

// holdNs returns how much longer a pair's oldest packet waits for an
// older one on the other port: 0 to deliver it now. ageWall is the wall
// clock minus the packet's kernel timestamp, ageMono how long the packet
// has been visible to the reader. A packet is held at most window after
// its kernel timestamp, and never more than window after the reader saw
// it, whatever the wall clock did in between (a clock set back makes
// ageWall negative: without the second bound the packet would wait until
// the clock caught up).
func holdNs(ageWall, ageMono, window int64) int64 {
	return max(0, window-max(ageWall, ageMono))
}

// Open checks every interface (Inspect), opens the sockets and returns one
// Source per worker. Errors wrap ErrNoInterface, ErrDown, ErrLinkType or
// ErrPermission with a line that says what to do.
func Open(cfg Config) ([]*Source, []Info, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	infos := make([]Info, len(cfg.Interfaces))
	for i, name := range cfg.Interfaces {
		info, err := Inspect(name)
		if err != nil {
			return nil, nil, err
		}
		infos[i] = info
	}
	var srcs []*Source
	fail := func(err error) ([]*Source, []Info, error) {
		for _, s := range srcs {
			s.Close()
		}
		return nil, nil, err
	}
	progs := make([][]bpf.RawInstruction, len(infos))
	for i, info := range infos {
		prog, err := snapProgram(cfg, info.LinkType)
		if err != nil {
			return nil, nil, fmt.Errorf("live: %s: filter: %w", info.Name, err)
		}
		progs[i] = prog
	}
	for w := 0; w < cfg.Workers; w++ {
		s := &Source{cfg: cfg, names: cfg.Interfaces, evfd: -1, t0: time.Now()}
		srcs = append(srcs, s)
		for i, info := range infos {
			var err error
			var fanout []bpf.RawInstruction
			group := uint16(0)
			if cfg.Workers > 1 {
				if fanout, err = bpf.Assemble(FanoutProgram()); err != nil {
					return fail(err)
				}
				group = uint16(os.Getpid()*31 + info.Index)
			}
			sock, err := openSocket(&cfg, info, uint16(i), group, fanout)
			if err != nil {
				if errors.Is(err, errPermission) {
					err = lineErrorf(errPermission, "live: capturing on %s needs CAP_NET_RAW: run as root, or once: sudo setcap cap_net_raw,cap_net_admin+ep $(command -v tmonbench)", info.Name)
				}
				return fail(err)
			}
			s.socks = append(s.socks, sock)
			s.indexes = append(s.indexes, info.Index)
		}
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			return fail(fmt.Errorf("live: eventfd: %w", err))
		}
		s.evfd = fd
		for _, k := range s.socks {
			s.pfds = append(s.pfds, unix.PollFd{Fd: int32(k.fd), Events: unix.POLLIN})
		}
		s.pfds = append(s.pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	// Every socket is bound and in its fanout group: the capture starts.
	for _, s := range srcs {
		for i, k := range s.socks {
			if err := k.arm(infos[i].Name, progs[i]); err != nil {
				return fail(err)
			}
		}
	}
	return srcs, infos, nil
}

// snapProgram assembles the socket filter for a link type: the configured
// filter with its accepting returns set to the snap length, or a program
// that only cuts packets to the snap length.
func snapProgram(cfg Config, lt pkt.LinkType) ([]bpf.RawInstruction, error) {
	var prog []bpf.Instruction
	if cfg.Filter != nil {
		prog = cfg.Filter(lt)
	}
	if prog == nil {
		prog = []bpf.Instruction{bpf.RetConstant{Val: uint32(cfg.SnapLen)}}
	}
	out := make([]bpf.Instruction, len(prog))
	for i, in := range prog {
		out[i] = in
		if r, ok := in.(bpf.RetConstant); ok && r.Val != 0 {
			out[i] = bpf.RetConstant{Val: uint32(cfg.SnapLen)}
		}
	}
	return bpf.Assemble(out)
}

// DeliveryLag bounds how long after its kernel timestamp a packet is
// handed to Next: a ring block is handed over when full or after
// BlockTimeout, and one more for the block being filled, plus 10 ms of
// scheduling. A clock that ticks the engines while the source is idle
// must stay this far behind the wall clock, or a packet still in the ring
// would come after the tick and land in a later interval than its time.
func (s *Source) DeliveryLag() time.Duration { return 2*s.cfg.BlockTimeout + 10*time.Millisecond }

// SnapLen is the most bytes of a packet the source captures (Config.SnapLen).
func (s *Source) SnapLen() int { return s.cfg.SnapLen }

// Interfaces names the source's interfaces (pkt.Meta.Iface indexes it).
func (s *Source) Interfaces() []string { return s.names }

// Next returns the next packet (see Source). The data is borrowed from the
// ring until the next call.
func (s *Source) Next() ([]byte, pkt.Meta, error) {
	if s.closed {
		return nil, pkt.Meta{}, io.EOF
	}
	window := s.cfg.ReorderWindow.Nanoseconds()
	var idleSince int64
	for {
		// The clocks are read before the rings are looked at. Read after,
		// they could be minutes later (a reader descheduled in between)
		// while the look at the rings is not: the hold of one port's
		// packet would be over, and it would go before an older packet of
		// the other port that the kernel handed over meanwhile (a pair
		// then delivered out of order: TestPairClockBeforePeek). Read
		// before, a hold that is over means the packet is ReorderWindow
		// old, and any older packet still not handed over is late: it is
		// counted (Stats.OutOfOrder).
		now, wallNs := s.clocks()
		best, all := -1, true
		for i, k := range s.socks {
			if !k.peek() {
				all = false
				continue
			}
			if best < 0 || k.meta.TimeNs < s.socks[best].meta.TimeNs {
				best = i
			}
		}
		stopping := s.stopping.Load()
		drained := stopping && now >= s.stopAt.Load()+min(2*s.cfg.BlockTimeout.Nanoseconds()+20e6, MaxStopWait.Nanoseconds())
		wait := s.cfg.IdleWait.Nanoseconds()
		if best >= 0 {
			k := s.socks[best]
			if k.seenMono < 0 {
				k.seenMono = now
			}
			hold := int64(0)
			if s.cfg.Pair && !all && !drained {
				hold = holdNs(wallNs-k.meta.TimeNs, now-k.seenMono, window)
			}
			if hold == 0 {
				data, m := k.take()
				if m.TimeNs < s.lastNs {
					k.late.Add(1)
				} else {
					s.lastNs = m.TimeNs
				}
				s.frame++
				m.Frame = s.frame
				return data, m, nil
			}
			wait = hold
		} else {
			if drained && s.allRead(now) {
				s.ended.Store(true)
				return nil, pkt.Meta{}, io.EOF
			}
			if idleSince == 0 {
				idleSince = now
			} else if now-idleSince >= wait {
				return nil, pkt.Meta{}, pkt.ErrIdle
			}
			wait -= now - idleSince
		}
		if stopping {
			wait = min(wait, 5e6)
		}
		ms := int(max(wait/1e6, 1))
		s.polls++
		if _, err := unix.Poll(s.pfds, ms); err != nil && !errors.Is(err, unix.EINTR) {
			return nil, pkt.Meta{}, fmt.Errorf("live: poll: %w", err)
		}
		for i, pf := range s.pfds[:len(s.pfds)-1] {
			if pf.Revents&unix.POLLERR != 0 {
				clearSocketError(s.socks[i].fd)
			}
		}
		if s.pfds[len(s.pfds)-1].Revents != 0 {
			var b [8]byte
			unix.Read(s.evfd, b[:])
		}
	}
}

// Stop ends the capture: the sockets take no packet from now on (their
// filter refuses all; the kernel counts nothing more), and Next goes on
// delivering every packet the kernel captured before the call (it waits
// for the kernel to hand over its partly filled blocks: 2×BlockTimeout +
// 20 ms, and longer while a packet the kernel counted into a ring is not
// delivered yet, MaxStopWait at most; allRead), then returns
// io.EOF. A caller that lingers after the capture (a probe waiting for
// its collectors' acknowledgements) keeps the counters of the capture: an
// open socket would go on counting the packets of a still busy link and
// report those its full ring refused as kernel drops. The sockets stay in
// their fanout group until Close, so the other workers' shares do not
// change. Safe from any goroutine, for example a signal handler.
func (s *Source) Stop() {
	if s.stopping.Swap(true) {
		return
	}
	for _, k := range s.socks {
		k.disarm()
	}
	s.stopAt.Store(s.mono())
	s.evmu.Lock()
	defer s.evmu.Unlock()
	if s.evfd >= 0 { // not closed yet (never write to a reused descriptor)
		var b [8]byte
		b[0] = 1
		unix.Write(s.evfd, b[:])
	}
}

// allRead reports whether a stopped source may end at mono time now:
// every packet the kernel counted into its rings (Stats.Unread) was
// delivered, or MaxStopWait has passed since Stop. The kernel hands a
// partly filled block over from a timer, every BlockTimeout, which a
// loaded machine runs late (its ksoftirqd waits for a CPU): the end of the
// wait for it, 2×BlockTimeout + 20 ms after Stop, left the packets of a
// block handed over after it in the ring, in no table
// (TestStopWaitsForCounted; likely what failed cmd/tmonbench
// TestLiveWorkers under load). Called only when no packet is ready: the
// counters are read once per look at empty rings, not per packet.
func (s *Source) allRead(now int64) bool {
	if now >= s.stopAt.Load()+MaxStopWait.Nanoseconds() {
		return true
	}
	for _, k := range s.socks {
		if st, _ := k.readStats(); st.Unread() > 0 {
			return false
		}
	}
	return true
}

// Ended reports whether Next has returned io.EOF after Stop: every packet
// captured before Stop was delivered. Safe from any goroutine.
func (s *Source) Ended() bool { return s.ended.Load() }

// Stats reads the kernel counters of every interface (PACKET_STATISTICS)
// and returns the totals since Open, one per interface. Safe from any
// goroutine.
func (s *Source) Stats() []Stats {
	out := make([]Stats, len(s.socks))
	for i, k := range s.socks {
		st, _ := k.readStats()
		st.Interface = s.names[i]
		out[i] = st
	}
	return out
}

// Close releases the sockets and rings. Call it from the goroutine that
// calls Next, after the last Next.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	for _, k := range s.socks {
		k.close()
	}
	s.evmu.Lock()
	if s.evfd >= 0 {
		unix.Close(s.evfd)
		s.evfd = -1
	}
	s.evmu.Unlock()
	return nil
}

var _ pkt.Source = (*Source)(nil)
