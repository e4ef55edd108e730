package collector

import (
	"net/netip"
)

// Bounds of the acknowledgements sent to addresses the server does not
// know (issue 13.4): a frame's source address is not authenticated, so a
// flood of frames with forged sources (replayed captures, or anything an
// open collector accepts) must not make the collector send as many
// acknowledgements to third parties.
const (
	// AckNewRate and AckNewBurst bound the acknowledgements per second to
	// addresses not acknowledged recently (a token bucket).
	AckNewRate  = 200
	AckNewBurst = 500
	// AckKnownAddrs bounds the addresses remembered as known; the one
	// acknowledged longest ago is forgotten first.
	AckKnownAddrs = 4096
)

// ackLimiter passes every acknowledgement to an address it already
// acknowledged, and at most AckNewRate a second (bursts of AckNewBurst)
// to others. Not safe for concurrent use (the server's lock guards it).
type ackLimiter struct {
	known   map[netip.AddrPort]int64 // address -> time of its latest ack (ns)
	tokens  float64
	lastNs  int64
	limited uint64 // acknowledgements not sent
}

// allow reports whether an acknowledgement to to may go at nowNs.
func (l *ackLimiter) allow(to netip.AddrPort, nowNs int64) bool {
	if l.known == nil {
		l.known = map[netip.AddrPort]int64{}
		l.tokens, l.lastNs = AckNewBurst, nowNs
	}
	if _, ok := l.known[to]; ok {
		l.known[to] = nowNs
		return true
	}
	if d := nowNs - l.lastNs; d > 0 {
		l.tokens = min(AckNewBurst, l.tokens+float64(d)*AckNewRate/1e9)
	}
	l.lastNs = max(l.lastNs, nowNs)
	if l.tokens < 1 {
		l.limited++
		return false
	}
	l.tokens--
	if len(l.known) >= AckKnownAddrs {
		var oldest netip.AddrPort
		first := true
		for a, t := range l.known {
			if first || t < l.known[oldest] {
				oldest, first = a, false
			}
		}
		delete(l.known, oldest)
	}
	l.known[to] = nowNs
	return true
}
