package main

import (
	"io"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// switchSource ends a run (io.EOF) when a new configuration is due, holding
// the packet that reached its time for the next run (its data stays valid:
// the underlying source is not read again before it is handed out). The
// run ends, for a switch or the source's end, after one more wake-up
// (pkt.ErrWake): the engines' periodic work reports the watcher's events
// and config_switch_stop (live's Health) at the probe's time, before its
// probe_stop, not after it as events added at the end.
type switchSource struct {
	pkt.Source
	sw      *switcher
	ending  bool // the wake-up before the end was given: io.EOF next
	held    bool
	data    []byte
	meta    pkt.Meta
	next    *config.Config // the version the next run uses
	ended   bool           // the underlying source ended
	wallNs  func() int64
	n       uint64
	lastNs  int64                     // wall time of the last wake-up handed to the engines
	inPlace func(*config.Config) bool // offered each version due: true when taken without ending the run (liveRun.keysInPlace)
}

// wakeNs is the longest time between two of the engines' periodic wake-ups
// under traffic (the read loop's periodic work otherwise comes every 1024
// packets): health events, metrics and switch-overs stay timely.
const wakeNs = 250e6

// Next implements pkt.Source.
func (s *switchSource) Next() ([]byte, pkt.Meta, error) {
	if s.ending {
		s.ending = false
		return nil, pkt.Meta{}, io.EOF
	}
	if s.held {
		s.held = false
		return s.data, s.meta, nil
	}
	if s.n++; s.n%64 == 0 {
		if now := s.wallNs(); now-s.lastNs >= wakeNs {
			s.lastNs = now
			return nil, pkt.Meta{}, pkt.ErrWake // a wake-up, not an end, nor idle: the ring may hold packets older than the wall clock
		}
	}
	data, m, err := s.Source.Next()
	now := m.TimeNs
	if err != nil {
		if err == io.EOF {
			s.ended, s.ending = true, true
			return nil, pkt.Meta{}, pkt.ErrWake
		}
		now = s.wallNs()
		s.lastNs = now
	}
	if s.sw != nil {
		if c := s.sw.due(now); c != nil && (s.inPlace == nil || !s.inPlace(c)) {
			s.next = c
			if err == nil {
				s.held, s.data, s.meta = true, data, m
			}
			s.ending = true
			return nil, pkt.Meta{}, pkt.ErrWake
		}
	}
	return data, m, err
}
