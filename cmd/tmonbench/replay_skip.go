package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// exitSkipped is replay's exit status when the run is written but files
// a folder or a quoted glob brought in were skipped, not being captures
// (skipNotCaptures): 0 would say every input was replayed, 1 that the
// run failed. Scripts looping over capture folders tell the three apart
// (rsync's 23, "partial transfer", is the same idea).
const exitSkipped = 3

// skipNotCaptures returns caps without the files a folder or a quoted
// glob brought in (pipeline.Capture.Found) that replay.Open refuses as
// captures (notCapture: not pcap or pcapng, an unsupported version or
// link type, a file header cut short or malformed), and warns of each on
// stderr, one line from command cmd (replay, bench), ending in where it
// is said after (note; replay's: "; event capture_skipped"): a
// rotated-capture folder holding a README, a capture being written, or a
// broken file goes on with the others, as Suricata's pcap directory mode
// does ("Failed to init pcap file %s, skipping"). A named file is never
// skipped: it is the error it was. A folder or glob none of whose files
// is a capture is an error (exit 1), as one holding no file is
// (pipeline.ErrNoCaptureFile). The skipped are returned for run.json,
// the capture_skipped events and the exit status (skippedErr).
func skipNotCaptures(cmd string, caps []pipeline.Capture, note string, stderr io.Writer) ([]pipeline.Capture, []store.Skipped, error) {
	var skipped []store.Skipped
	kept := caps[:0:0]
	for _, c := range caps {
		if !c.Found {
			kept = append(kept, c)
			continue
		}
		f, err := replay.Open(c.Path)
		if err == nil {
			f.Close()
			kept = append(kept, c)
			continue
		}
		if !notCapture(err) {
			return nil, nil, err // unreadable (permissions, I/O): not the file's content
		}
		var size int64
		if st, err := os.Stat(c.Path); err == nil {
			size = st.Size()
		}
		reason := userMessage("replay", err)
		skipped = append(skipped, store.Skipped{Path: c.Path, SizeBytes: size, Reason: reason})
		warnf(stderr, cmd, "%s: skipped, not a capture (a file of %s%s)", reason, filepath.Dir(c.Path), note)
	}
	for _, s := range skipped { // a probe left without a file: its folder or glob held no capture
		if name := probeOf(caps, s.Path); !hasProbe(kept, name) {
			n := 0
			for _, o := range skipped {
				if probeOf(caps, o.Path) == name {
					n++
				}
			}
			return nil, nil, fmt.Errorf("%s holds no capture: %s (%s)", filepath.Dir(s.Path),
				fmt.Sprintf(pkt.Nouns(uint64(n), "its %d file[s] [is|are] not one"), n), s.Reason)
		}
	}
	return kept, skipped, nil
}

// notCapture reports whether err, replay.Open's, says the file is not a
// capture it can read, rather than that it could not be read.
func notCapture(err error) bool {
	for _, e := range []error{replay.ErrNotCapture, replay.ErrUnsupportedVersion, replay.ErrUnsupportedLinkType, pkt.ErrTruncated, pkt.ErrMalformed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// probeOf is the probe of the capture at path in caps.
func probeOf(caps []pipeline.Capture, path string) string {
	for _, c := range caps {
		if c.Path == path {
			return c.Probe
		}
	}
	return ""
}

// hasProbe reports whether a capture of caps goes to probe name.
func hasProbe(caps []pipeline.Capture, name string) bool {
	for _, c := range caps {
		if c.Probe == name {
			return true
		}
	}
	return false
}

// skippedEvents are the capture_skipped events of the files
// skipNotCaptures skipped, one a file, at time at (replayTime), as the
// other events of the capture files (inputEvents).
func skippedEvents(at int64, skipped []store.Skipped) []observe.Event {
	ev := make([]observe.Event, 0, len(skipped))
	for _, s := range skipped {
		ev = append(ev, observe.Event{Time: at, Source: "replay", Kind: "capture_skipped", Severity: observe.SevWarning, Count: 1,
			Message: fmt.Sprintf("%s: skipped, not a capture (a file of %s): nothing of it is in the tables", s.Reason, filepath.Dir(s.Path))})
	}
	return ev
}

// skippedErr is the end of replay or bench when files were skipped
// (exitSkipped): the run is written (the figures printed); the line says
// how many and, after them, where to look (replay's: "events
// capture_skipped, run.json's skipped") and what holds the others.
func skippedErr(skipped []store.Skipped, where, others string) error {
	return &exitError{code: exitSkipped, err: fmt.Errorf(pkt.Nouns(uint64(len(skipped)),
		"%d file[s] of a folder or glob skipped, not [a capture|captures] (the warnings above%s): %s"), len(skipped), where, others)}
}
