package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/live"
)

// The range of --block-timeout: the kernel counts it in ms (TPACKET_V3
// tp_retire_blk_tov), and 1 s is tcpdump's timeout (libpcap's to_ms,
// which it gives the kernel as tp_retire_blk_tov). Longer, a quiet link's
// packets would come that late, and a stop would leave the packets of a
// partly filled block in the ring (live.MaxStopWait, 2×1 s + 20 ms):
// --block-timeout=99999h ran on after the first SIGINT until a second.
const (
	minBlockTimeout = time.Millisecond
	maxBlockTimeout = time.Second
)

// captureFlags are the live-capture flags shared by `live` and `probe -i`.
type captureFlags struct {
	ifaces       []string
	pair         string
	filter       string
	snapLen      int
	ringMB       int
	blockTimeout time.Duration
	workers      int
	noPromisc    bool
	cmd          string // the command (live, probe), for its warnings
}

func (c *captureFlags) register(fs *pflag.FlagSet) {
	c.cmd = fs.Name()
	fs.StringArrayVarP(&c.ifaces, "interface", "i", nil, "capture on interface `IFACE` (repeatable; any: every interface up at start, each on its own, not promiscuous)")
	fs.StringVar(&c.pair, "pair", "", "`IF1,IF2`: a passive tap's two monitor ports, one direction each, merged in capture-time order")
	fs.StringVar(&c.filter, "filter", "", "capture only packets matching this pcap-filter `EXPR` (compiled to a kernel filter)")
	fs.IntVar(&c.snapLen, "snaplen", 262144, "`BYTES` kept per packet; 0: 262144, as tcpdump -s 0")
	fs.IntVar(&c.ringMB, "ring-mb", 64, "size of each interface's capture ring in `MiB`")
	fs.DurationVar(&c.blockTimeout, "block-timeout", 10*time.Millisecond, "the kernel hands over a partly filled ring block after this `DURATION` (1ms to 1s)")
	workersFlag(fs, &c.workers, "run the analyses on `N` workers, sharded by address pair as replay --workers (the same rows for any N >= 1)")
	fs.BoolVar(&c.noPromisc, "no-promisc", false, "do not put the interfaces in promiscuous mode")
}

// liveConfig turns the flags into a live.Config, compiling --filter to a
// kernel program. It returns the user-space filter to apply when the
// kernel cannot (nil when the kernel program is exact). Without --filter
// the kernel keeps every packet: the union of the class filters would
// not narrow it, the class all (always present: engine/config) taking
// every IP packet.
func (c *captureFlags) liveConfig(stderr io.Writer) (live.Config, *filter.Expr, error) {
	ifaces := c.ifaces
	lc := live.DefaultConfig()
	if c.pair != "" {
		a, b, ok := strings.Cut(c.pair, ",")
		if !ok || a == "" || b == "" || len(ifaces) > 0 {
			return lc, nil, usageErr("--pair %q: want IF1,IF2 (and no -i)", c.pair)
		}
		ifaces, lc.Pair = []string{a, b}, true
	}
	if len(ifaces) == 0 {
		return lc, nil, usageErr("no interface: give -i IFACE (or --pair IF1,IF2)")
	}
	anyIf := slices.Contains(ifaces, live.AnyInterface)
	if anyIf {
		if len(ifaces) > 1 || lc.Pair {
			return lc, nil, usageErr("-i any stands for every interface: give it alone")
		}
		names, left, err := live.ExpandAny()
		for _, l := range left {
			fmt.Fprintf(stderr, "tmonbench %s: note: -i any: %s: left out\n", c.cmd, l)
		}
		if err != nil {
			return lc, nil, &exitError{code: 1, err: err}
		}
		fmt.Fprintf(stderr, "tmonbench %s: note: -i any: %s (each with its link header and its name in the tables; interfaces that come up later are not captured; none put in promiscuous mode, as tcpdump -i any)\n",
			c.cmd, strings.Join(names, ", "))
		ifaces = names
	}
	for i, in := range ifaces { // each packet would be counted once per copy
		if slices.Contains(ifaces[:i], in) {
			return lc, nil, usageErr("interface %s given twice: each interface once", in)
		}
	}
	switch {
	case c.snapLen == 0: // as tcpdump -s 0
		c.snapLen = lc.SnapLen
	case c.snapLen < 0:
		return lc, nil, usageErr("--snaplen %d: want a positive number of bytes (0: %d)", c.snapLen, lc.SnapLen)
	}
	// A ring is locked kernel memory: more than half the machine's
	// would get the process killed with no word (exit 137).
	if maxMB := physMB() / 2; c.ringMB < 1 || (maxMB > 0 && c.ringMB*len(ifaces) > maxMB) {
		n := len(ifaces) // "over 1 interfaces" in a trial
		return lc, nil, usageErr("--ring-mb %d: want 1 to %d MiB per interface (half the memory, over %s)", c.ringMB, max(maxMB/n, 1), pkt.Nouns(uint64(n), fmt.Sprintf("%d interface[s]", n)))
	}
	if c.blockTimeout < minBlockTimeout || c.blockTimeout > maxBlockTimeout {
		return lc, nil, durationErr(c.cmd, "block-timeout", c.blockTimeout, fmt.Sprintf("%v to %v", minBlockTimeout, maxBlockTimeout))
	}
	lc.Interfaces, lc.SnapLen, lc.RingBytes = ifaces, c.snapLen, c.ringMB<<20
	lc.BlockTimeout, lc.Promiscuous = c.blockTimeout, !c.noPromisc && !anyIf
	if err := checkWorkers(c.workers); err != nil {
		return lc, nil, err
	}
	if c.filter != "" {
		e, err := filter.Parse(c.filter)
		if err != nil {
			return lc, nil, usageErr("--filter %q: %v", c.filter, err) // one line, as tcpdump
		}
		if _, err := e.BPF(filter.BPFTarget{LinkType: pkt.LinkEthernet, KernelVLAN: true}); err != nil {
			warnf(stderr, c.cmd, "--filter %q: %v: packets are filtered in user space (all of them cross to the probe)", c.filter, err)
			return lc, &e, nil
		}
		lc.Filter = func(lt pkt.LinkType) []bpf.Instruction {
			p, _ := e.BPF(filter.BPFTarget{LinkType: lt, KernelVLAN: lt == pkt.LinkEthernet})
			return p
		}
		return lc, nil, nil
	}
	return lc, nil, nil
}

// pairInput makes a tap pair (--pair) one probe interface: the two
// monitor ports are the two directions of one link (design 1.14.1), so
// their packets are numbered interface 0 and named IF1+IF2; the TCP, FTP
// and RTT analyses, which follow a conversation on one interface, then
// see both directions (TestLivePair). Other captures are returned as
// they are.
func pairInput(src pkt.Source, ifaces []string, pair bool) (pkt.Source, []string) {
	if !pair {
		return src, ifaces
	}
	return &ifaceMap{Source: src, of: []uint16{0, 0}}, []string{ifaces[0] + "+" + ifaces[1]}
}

// openCapture opens the live sources and prints, for each interface, its
// MTU and the offloads to turn off. Open errors are one line, exit 1.
func openCapture(cmd string, lc live.Config, stderr io.Writer) (*live.Source, []live.Info, error) {
	srcs, infos, err := live.Open(lc)
	if err != nil {
		return nil, nil, &exitError{code: 1, err: err}
	}
	for _, in := range infos {
		if !in.Carrier {
			warnf(stderr, cmd, "%s", noCarrierAtStart(in.Name))
		}
		if adv := in.OffloadAdvice(); adv != "" {
			note := ""
			if in.Loopback {
				note = " (on lo this only matters if you measure lo itself)"
			}
			warnf(stderr, cmd, "%s has offloads on (%s): the probe sees merged segments and unchecked checksums, not the wire%s; turn them off with: %s",
				in.Name, strings.Join(in.Offloads, ", "), note, adv)
		}
		if lc.SnapLen < in.MTU+18 {
			fmt.Fprintf(stderr, "tmonbench %s: note: %s: snap length %d is below the MTU %d plus the link header: packets are cut\n", cmd, in.Name, lc.SnapLen, in.MTU)
		}
	}
	return srcs[0], infos, nil
}

// wallNs is the wall clock in Unix nanoseconds, the live probes' clock.
func wallNs() int64 { return time.Now().UnixNano() }

// idleClock is the clock that ticks a live capture's engines while src is
// idle: the wall clock, src.DeliveryLag behind, so that a tick never
// passes a packet still in the ring (it would count in the next interval,
// and two probes on one link would disagree).
func idleClock(src *live.Source) func() int64 {
	lag := int64(src.DeliveryLag())
	return func() int64 { return wallNs() - lag }
}

// physMB is the machine's memory in MiB (0 when unknown).
func physMB() int {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int(uint64(si.Totalram) * uint64(si.Unit) >> 20)
}

// ifaceNames returns the names of the captured interfaces, in order.
func ifaceNames(infos []live.Info) []string {
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return names
}
