//go:build linux

package live

import (
	"slices"
	"sync/atomic"
	"time"

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

// LinkSettle is how long a LinkWatcher holds a change.
const LinkSettle = linkSettle

// SetLinkClock makes w hold its changes by clock (Unix ns) instead of the
// wall clock (TestLinkAttrsAnnounced: a clock that stands still while
// the kernel takes its time).
func SetLinkClock(w *LinkWatcher, clock func() int64) {
	w.mu.Lock()
	w.now = clock
	w.mu.Unlock()
}

// Held returns the changes w holds, which Changes has not given yet.
func Held(w *LinkWatcher) []LinkChange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.changes)
}

// AdvanceClock moves s's monotonic clock (the waits after Stop run on it)
// d ahead. Call it from the goroutine that calls Next (an OnClock hook):
// TestStopWaitsForCounted, a reader that looks at the rings again only
// once the wait for the kernel's partly filled blocks is over.
func AdvanceClock(s *Source, d time.Duration) { s.t0 = s.t0.Add(-d) }
