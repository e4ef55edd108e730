//go:build linux

package live

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Polls counts the poll calls of s's Next (TestLinkStates: an interface
// down or deleted must not make poll return at once, forever).
func Polls(s *Source) uint64 { return s.polls }

// OnClock sets the function Next calls as it reads the clocks
// (TestPairClockBeforePeek: a reader descheduled there).
func OnClock(s *Source, f func()) { s.onClock = f }

// Handed reports whether the kernel has handed over the ring block
// interface i's reader reads next (or reads now).
func Handed(s *Source, i int) bool {
	k := s.socks[i]
	return k.inBlock || atomic.LoadUint32(k.status(k.block))&unix.TP_STATUS_USER != 0
}
