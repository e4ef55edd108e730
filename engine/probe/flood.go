package probe

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Degrading under a flood instead of losing (issue 13.6).
//
// A SYN flood fills a class's connection table with half-open
// connections: each new SYN evicts the oldest, and sending every evicted
// attempt as a tcp_connections row would make the flood's volume the
// probe's PDU volume. While a class's tcp tracker is evicting (it evicted
// in this interval or the previous one), its half-open attempts (S0) are
// counted per interval, server address and port instead, and reported as
// one tcp_s0_aggregated event per server at the interval's end, with the
// count in events.count: the S0 rows plus sum(count) of those events are
// every attempt. At most maxS0Servers servers are told apart per interval;
// the others are counted under server "*".

// tcpDrainAt is the number of rows waiting in a tracker (finished inside
// Packet: evictions, port reuse) at which the probe reports them at once,
// well before tcpconn's MaxPending, so none is dropped.
const tcpDrainAt = 1024

// maxS0Servers bounds the servers whose S0 attempts are counted apart in
// one interval.
const maxS0Servers = 4096

// s0Key is one aggregated server of one class.
type s0Key struct {
	class, server string
	port          uint16
}

// tcpUnderFlood reports whether the tcp tracker of class is evicting.
func (p *Probe) tcpUnderFlood(class string) bool {
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.tcp != nil && c.cfg.Name == class {
			ev := c.tcp.Stats().Evicted
			return ev > c.tcpEvictBase || c.tcpEvictPrev
		}
	}
	return false
}

// aggregateS0 counts one half-open attempt of r's class and server.
func (p *Probe) aggregateS0(r *observe.TCPConnection) {
	if p.s0 == nil {
		p.s0 = map[s0Key]uint64{}
	}
	k := s0Key{r.Class, r.ServerAddr, r.ServerPort}
	if _, ok := p.s0[k]; !ok && len(p.s0) >= maxS0Servers {
		k = s0Key{r.Class, "*", 0}
	}
	p.s0[k]++
}

// s0Count is one server's aggregated attempts in an interval.
type s0Count struct {
	key s0Key
	n   uint64
}

// s0Take returns the interval's aggregated attempts by class, server and
// port, forgets them and moves each class's eviction watermark.
func (p *Probe) s0Take() []s0Count {
	var out []s0Count
	for k, n := range p.s0 {
		out = append(out, s0Count{k, n})
	}
	sortS0(out)
	clear(p.s0)
	for ci := range p.classes {
		if c := &p.classes[ci]; c.tcp != nil {
			ev := c.tcp.Stats().Evicted
			c.tcpEvictPrev = ev > c.tcpEvictBase
			c.tcpEvictBase = ev
		}
	}
	return out
}

func cmpS0(a, b s0Key) int {
	return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.server, b.server), cmp.Compare(a.port, b.port))
}

// s0Events reports the interval's aggregated attempts and moves each
// class's eviction watermark.
func (p *Probe) s0Events(atNs int64) {
	for _, c := range p.s0Take() {
		s0Event(p.out, atNs, c)
	}
}

// s0Event reports one server's aggregated attempts.
func s0Event(out pdu.Publisher, atNs int64, c s0Count) {
	k := c.key
	appendEvent(out, atNs, pdu.SevWarning, "tcp_s0_aggregated", fmt.Sprintf(
		"class %s: %d half-open connection attempts (S0) to %s port %d counted here, not as tcp_connections rows: connection table full (a SYN flood?)",
		k.class, c.n, k.server, k.port), c.n)
}

func sortS0(c []s0Count) { slices.SortFunc(c, func(a, b s0Count) int { return cmpS0(a.key, b.key) }) }
