package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// inputEvents are the events only the capture files know, one per file
// and counter of replay.Stats that is not zero: records with invalid
// timestamps (normalised), packets of interfaces with an unsupported link
// type (skipped), Simple Packet Blocks without a time, records longer
// than the snap length (kept whole) and pcapng blocks ignored. Every
// counter the reader keeps reaches the events table (issue 15).
// They are stamped at (replayTime). Each message is a format of the
// file's path and the counter, which is also the event's count.
func inputEvents(at int64, caps []pipeline.Capture, files []*replay.File) []observe.Event {
	var ev []observe.Event
	for i, f := range files {
		st := f.Stats()
		for _, e := range []struct {
			sev, kind string
			count     uint64
			format    string // of the path and count
		}{
			{observe.SevWarning, "invalid_timestamps", st.InvalidTimestamps, "%s: %d record[s] with invalid timestamps (sub-second field out of range), normalised"},
			{observe.SevWarning, "capture_time_overflow", st.TimeOverflow, "%s: %d pcapng timestamp[s] beyond 2262-04-11 (int64 nanoseconds overflow), saturated to 2262-04-11T23:47:16.854775807Z: the probe takes them for impossible times (capture_time_invalid)"},
			{observe.SevWarning, "capture_unsupported_link", st.SkippedUnsupported, "%s: %d packet[s] of pcapng interfaces with an unsupported link type skipped (not in any table)"},
			{observe.SevInfo, "capture_no_timestamp", st.NoTimestamp, "%s: %d pcapng Simple Packet Block[s] [carries|carry] no time: [it|they] took the previous packet's (counted as any other, never timed by rtt)"},
			{observe.SevInfo, "capture_over_snaplen", st.OverSnaplen, "%s: %d record[s] longer than the declared snap length, kept whole (as libpcap and Wireshark)"},
			{observe.SevWarning, "capture_bad_options", st.BadOptions, "%s: %d pcapng packet block[s] whose options do not parse from the 32-bit boundary after their packet data (data not padded, or broken options; tshark calls the file corrupt): the packet[s] [is|are] kept, [its|their] options ignored"},
			{observe.SevInfo, "capture_blocks_skipped", st.SkippedBlocks, "%s: %d pcapng block[s] ignored (name resolution, interface statistics, secrets, custom or unknown)"},
			{observe.SevWarning, "capture_trailing_data", st.TrailingBytes, "%s: %d byte[s] of trailing data after the gzip stream, ignored (as gzip -d: \"trailing garbage ignored\"): every packet of the stream read, not a truncated capture"},
		} {
			if e.count > 0 {
				ev = append(ev, observe.Event{Time: at, Source: "replay", Kind: e.kind, Severity: e.sev, Count: e.count,
					Message: fmt.Sprintf(pkt.Nouns(e.count, e.format), caps[i].Path, e.count)})
			}
		}
	}
	return ev
}

// damagedEvents are the capture_damaged events, at time at (replayTime),
// of the files damaged whose probe never started (a pcapng refused for its
// 65,537th interface before its first packet, and no other file of its
// probe with a packet): the event it was given was never sent
// (pipeline.Result.Started), and the run had no row saying why it was
// empty. The probes that started have theirs, after their probe_start.
func damagedEvents(at int64, res *pipeline.Result, routes []pipeline.Input, damage []atomic.Value) []observe.Event {
	var ev []observe.Event
	for i := range damage {
		msg, ok := damage[i].Load().(string)
		if p := routes[i].Probe; !ok || p >= len(res.Started) || res.Started[p] {
			continue
		}
		ev = append(ev, observe.Event{Time: at, Source: "replay", Kind: "capture_damaged", Severity: observe.SevWarning, Count: 1,
			Message: msg + " (before the probe's first packet: nothing of it is in the tables)"})
	}
	return ev
}

// finishEvents are the replay's own events at the end of its run
// (pipeline.Options.Finish), stamped at replayTime: the capture files'
// counters (after the files skipped, capture_skipped), behind (replay_behind), the damage of captures whose probe
// never started, the header-only captures and what --filter left out.
func finishEvents(res *pipeline.Result, a *replayArgs, files []*replay.File, routes []pipeline.Input, damage []atomic.Value, filters []*probe.Filtered, behind []observe.Event, started time.Time) []observe.Event {
	at := replayTime(res, filters, started)
	ev := append(append(append(skippedEvents(at, a.skipped), inputEvents(at, a.caps, files)...), behind...), damagedEvents(at, res, routes, damage)...)
	if !res.Interrupted {
		for _, path := range emptyCaptures(a.caps, files, damage) {
			ev = append(ev, observe.Event{Time: at, Source: "replay", Kind: "capture_empty", Severity: observe.SevWarning, Count: 1,
				Message: fmt.Sprintf("%s holds no packet (a capture header only): nothing of it is in the tables", path)})
		}
	}
	return append(ev, filterEvents(at, a, filters)...)
}

// replayTime is the time of the replay's own events (source replay:
// replay_filter, capture_damaged of a file refused before its probe's
// first packet, the capture files' counters): the capture time of the
// run's first packet with a valid time (pkt.ValidTime: not one stamped
// after 2116, which put replay_filter in 2150); without one, that of the
// first packet --filter left out; without any such packet (header-only captures, a file refused
// before its first record), started, the wall clock at the replay's start
// (run.json's started): the time the captures were read, the only time
// the run has, rather than 1970.
func replayTime(res *pipeline.Result, filters []*probe.Filtered, started time.Time) int64 {
	if res.FirstNs > 0 || res.LastNs > 0 { // a packet with a valid time (pipeline.Result)
		return res.FirstNs
	}
	at, found := int64(0), false
	for _, f := range filters {
		if t, ok := f.First(); ok && pkt.ValidTime(t) && (!found || t < at) {
			at, found = t, true
		}
	}
	if found {
		return at
	}
	return started.UnixNano()
}

// warnEmpty says which captures held no packet record (a header-only
// file): the run succeeds, yet nothing of them is in the tables but the
// capture_empty event (finishEvents), not even a probe_start, so the
// summary's zeros alone would leave the user guessing.
func warnEmpty(w io.Writer, caps []pipeline.Capture, files []*replay.File, damage []atomic.Value) {
	for _, path := range emptyCaptures(caps, files, damage) {
		warnf(w, "replay", "%s holds no packet (a capture header only): nothing of it is in the tables", path)
	}
}

// warnInputs says on stderr, as their events do, how many packets of each
// file came from pcapng interfaces of an unsupported link type (a trial's
// pcapng of an Ethernet and an 802.11 interface lost 136 of its 272
// packets with no line under -q) and how many bytes after a .gz file's
// compressed stream were ignored (capture_trailing_data: a trial's
// warning said "record header cut short ... capture truncated" though
// every packet had been read).
func warnInputs(w io.Writer, caps []pipeline.Capture, files []*replay.File) {
	for i, f := range files {
		st := f.Stats()
		if n := st.SkippedUnsupported; n > 0 {
			warnf(w, "replay", pkt.Nouns(n, "%s: %d packet[s] of pcapng interfaces with an unsupported link type skipped (not in any table)"), caps[i].Path, n)
		}
		if n := st.TrailingBytes; n > 0 {
			warnf(w, "replay", pkt.Nouns(n, "%s: %d byte[s] of trailing data after the gzip stream, ignored (as gzip -d: \"trailing garbage ignored\"): every packet of the stream read, not a truncated capture"), caps[i].Path, n)
		}
	}
}

// emptyCaptures are the paths of the captures that held no packet record.
// A file damaged before its first record (damage[i] set) has had its
// warning and capture_damaged event: it is not a header-only one.
func emptyCaptures(caps []pipeline.Capture, files []*replay.File, damage []atomic.Value) []string {
	var paths []string
	for i, f := range files {
		if f.Stats().Records == 0 && damage[i].Load() == nil {
			paths = append(paths, caps[i].Path)
		}
	}
	return paths
}

// warnOutages warns of each link outage (--link-outage, or a collector's
// faults in the config) that starts after the capture's last packet: it
// never began, and the run went as without it (5s@99999h ran silently).
// Each window is said once, though the flag gives it to every collector.
func warnOutages(w io.Writer, colls []pipeline.Collector, res *pipeline.Result) {
	if res.FirstNs == 0 {
		return // no packet with a time: warnEmpty says so
	}
	span := res.LastNs - res.FirstNs
	said := map[pdu.Window]bool{}
	for _, c := range colls {
		for _, o := range c.Faults.Outages {
			if o.StartNs <= span || said[o] {
				continue
			}
			said[o] = true
			warnf(w, "replay", "link outage %v@%v never began: the capture ended %v after its first packet",
				time.Duration(o.EndNs-o.StartNs), time.Duration(o.StartNs), time.Duration(span))
		}
	}
}

// streamInput reports whether the capture at path can only be read once,
// from its start to its end: standard input ("-"), or a path that is
// neither a regular file nor a folder (a FIFO, /dev/stdin or /dev/fd/N of
// a pipe, bash's <(cmd)), whose bytes a first open would consume (the
// interface scan did, and the replay then read an empty pipe). A stream is
// opened once and read as it comes: its pcapng interfaces are one
// interface of its probe (no scan ahead), it has no packet index (the TUI
// cannot read its packets back), no size in run.json, and bench, which
// reads its captures several times, refuses it. A path that cannot be
// read is not one: opening it says why.
func streamInput(path string) bool {
	if path == "-" {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && !st.Mode().IsRegular() && !st.IsDir()
}

// warnStream says, for a capture path that is a pipe or device
// (streamInput; not "-", which users give knowingly), what reading it once
// costs.
func warnStream(w io.Writer, cmd, path string) {
	if path != "-" && streamInput(path) {
		warnf(w, cmd, "%s is not a regular file (a pipe?): read once as a stream, as standard input: "+
			"a pcapng's interfaces are one, no packet index (the TUI cannot read its packets back), no size in run.json", path)
	}
}

// replayPace is the replay's pacing at a's --speed (nil at full speed),
// recorded in prog: gaps capped at --max-gap (0: every gap kept), and the
// engine's clock steps (beyond clock_jump_s) not waited through.
func replayPace(a *replayArgs, prog *progress) func(context.Context, int64) error {
	if a.speed.Full() {
		return nil
	}
	pacer := replay.NewPacer(a.speed)
	pacer.SetMaxWait(a.maxGap)
	pacer.SetClockStep(a.cfg.ClockJumpNs())
	return prog.pace(pacer)
}

// openFile opens a capture file, or standard input for "-", once: a
// pipe's bytes are read as they come (streamInput).
func openFile(path string) (*replay.File, error) {
	if path == "-" {
		return replay.NewReader(os.Stdin, "-", 0)
	}
	return replay.Open(path)
}
