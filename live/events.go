//go:build linux

package live

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// StopEvents are the capture_stop events at the end of a capture, one per
// interface, at nowNs as events of probe name: its name, MTU and offloads
// (infos, in the order of st: as they are now) and its kernel counters st
// (Source.Stats); a warning when the kernel dropped packets, with the
// drops in events.count.
func StopEvents(name string, st []Stats, infos []Info, nowNs int64) []observe.Event {
	var evs []observe.Event
	for i, s := range st {
		sev := observe.SevInfo
		if s.Drops > 0 {
			sev = observe.SevWarning
		}
		evs = append(evs, observe.Event{Time: nowNs, Source: "probe:" + name, Severity: sev, Kind: "capture_stop", Count: s.Drops,
			Message: fmt.Sprintf("%s (MTU %d, offloads %v): %d packets passed the kernel filter, %d delivered (%d out of time order), %d dropped by the kernel (ring full %d times), %d loopback copies skipped",
				infos[i].Name, infos[i].MTU, infos[i].Offloads, s.KernelPackets, s.Delivered, s.OutOfOrder, s.Drops, s.Freezes, s.LoopbackCopies)})
	}
	return evs
}
