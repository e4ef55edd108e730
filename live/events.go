//go:build linux

package live

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// StopEvents reports the capture_stop events at the end of a capture, one
// per interface, through event: its name, MTU and offloads (infos, in the
// order of st: as they are now) and its kernel counters st
// (Source.Stats): the packets the filter passed, and where each went
// (delivered, dropped by the kernel, loopback copies skipped, left unread
// in the ring: Stats.Unread, so the four add up to the first); severity
// observe.SevWarning when the kernel dropped packets or some were left
// unread (else observe.SevInfo), with the drops as the count
// (events.count). event stamps them: the callers report them as events of
// the probe, at its clock (the engines' capture time, which a live
// capture's idle ticks move with the wall clock) and before it stops, so
// that capture_stop reads before probe_stop, as the capture ends before
// the probe does.
func StopEvents(st []Stats, infos []Info, event func(severity, kind, msg string, n uint64)) {
	for i, s := range st {
		sev := observe.SevInfo
		if s.Drops > 0 || s.Unread() > 0 {
			sev = observe.SevWarning
		}
		event(sev, "capture_stop", fmt.Sprintf("%s (MTU %d, offloads %v): "+pkt.Nouns(s.KernelPackets, "%d packet[s] passed")+" the kernel filter, %d delivered (%d out of time order), %d dropped by the kernel (ring full "+pkt.Nouns(s.Freezes, "%d time[s]")+"), "+pkt.Nouns(s.LoopbackCopies, "%d loopback cop[y|ies]")+" skipped, %d left unread in the ring when the capture stopped",
			infos[i].Name, infos[i].MTU, infos[i].Offloads, s.KernelPackets, s.Delivered, s.OutOfOrder, s.Drops, s.Freezes, s.LoopbackCopies, s.Unread()), s.Drops)
	}
}
