package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/live"
)

// health turns a live source's kernel counters into events, once per
// period: capture drops and ring freezes (design 1.7: saturation of the
// kernel capture buffer) and their end; and, every second, the state of
// the interfaces (links.go).
type health struct {
	src      *live.Source
	periodNs int64
	lastNs   int64
	last     []live.Stats
	dropping bool
	links    linkWatch
}

// eventFunc reports an event with what it counts (events.count).
type eventFunc func(sev uint8, kind, msg string, n uint64)

// check reports, through event, what changed since the last period.
func (h *health) check(nowNs int64, event eventFunc) {
	h.links.check(nowNs, h.src, event)
	if nowNs-h.lastNs < h.periodNs {
		return
	}
	h.lastNs = nowNs
	h.report(event)
}

// final reports through event the last period's capture_drops event at
// the end of a run (its drops would otherwise be said only in
// capture_stop's message), with the drops as the count; nothing without
// drops since the last check.
func (h *health) final(event eventFunc) {
	h.report(func(sev uint8, kind, msg string, n uint64) {
		if kind == "capture_drops" {
			event(sev, kind, msg, n)
		}
	})
}

// stopEvents reports through event each interface's capture_stop
// (live.StopEvents; infos as openCapture gave them, their state read
// now). The callers report them as events of the probe before it stops:
// the capture ends first.
func (h *health) stopEvents(infos []live.Info, event eventFunc) {
	live.StopEvents(h.src.Stats(), h.links.current(infos), func(sev, kind, msg string, n uint64) {
		s := pdu.SevInfo
		if sev == observe.SevWarning {
			s = pdu.SevWarning
		}
		event(s, kind, msg, n)
	})
}

// report compares the kernel counters with the last report's.
func (h *health) report(event eventFunc) { h.reportStats(h.src.Stats(), event) }

// reportStats reports the change from the last report's counters to st: a
// capture_drops event (error) counts the packets the kernel dropped since
// (events.count); a ring that filled up without dropping any (the kernel
// freezes it when it hands a block over and no block is free: nothing was
// lost if no packet came before the reader freed one) is a
// capture_ring_full warning instead (TestRingFullWithoutDrops).
func (h *health) reportStats(st []live.Stats, event eventFunc) {
	if h.last == nil { // the totals count from Open: drops before the first check are reported too
		h.last = make([]live.Stats, len(st))
	}
	var drops, freezes uint64
	var parts []string
	for i, s := range st {
		d, f := s.Drops-h.last[i].Drops, s.Freezes-h.last[i].Freezes
		drops, freezes = drops+d, freezes+f
		switch {
		case d > 0:
			got := s.KernelPackets - h.last[i].KernelPackets
			parts = append(parts, fmt.Sprintf("%s: %d of "+pkt.Nouns(got, "%d packet[s]")+" dropped by the kernel, ring full "+pkt.Nouns(f, "%d time[s]")+" (%d dropped in all)",
				s.Interface, d, got, f, s.Drops))
		case f > 0:
			parts = append(parts, fmt.Sprintf("%s: ring full "+pkt.Nouns(f, "%d time[s]")+", no packet dropped (%d dropped in all)", s.Interface, f, s.Drops))
		}
	}
	h.last = st
	switch {
	case drops > 0:
		h.dropping = true
		event(pdu.SevError, "capture_drops", strings.Join(parts, "; ")+": the probe cannot keep up (bigger --ring-mb, a --filter, or fewer classes)", drops)
	case freezes > 0:
		h.dropping = true
		event(pdu.SevWarning, "capture_ring_full", strings.Join(parts, "; ")+": the probe is at its limit (bigger --ring-mb, a --filter, or fewer classes)", 0)
	case h.dropping:
		h.dropping = false
		event(pdu.SevInfo, "capture_recovered", "no kernel drop and no full ring in the last period", 0)
	}
}

// healthSource reports a live source's kernel counters as events of the
// probe reading it (probe -i), from the probe's goroutine.
type healthSource struct {
	*live.Source
	h      *health
	n      uint64
	lastNs int64 // capture time of the packet of the last check
	event  eventFunc
}

// healthEveryNs is the most capture time between two checks while packets
// flow: the link watch's second must not wait for 4096 packets (a link
// carrying 200 packets a second on another interface took 20 s).
const healthEveryNs = int64(250 * time.Millisecond)

// Next returns the next packet; on idle wake-ups, every 4096 packets and
// every healthEveryNs of capture time it checks the kernel counters and
// the links.
func (s *healthSource) Next() ([]byte, pkt.Meta, error) {
	data, m, err := s.Source.Next()
	if s.due(err, m.TimeNs) {
		s.h.check(wallNs(), s.event)
	}
	return data, m, err
}

// due counts a read (err, the packet's capture time timeNs) and says
// whether the health check is due.
func (s *healthSource) due(err error, timeNs int64) bool {
	s.n++
	if err == nil {
		if d := timeNs - s.lastNs; d >= 0 && d < healthEveryNs && s.n%4096 != 0 {
			return false
		}
		s.lastNs = timeNs
	}
	return true
}
