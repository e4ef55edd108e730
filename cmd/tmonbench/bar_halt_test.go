package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestBarHalted: the Ctrl-C line of a replay writing its tables goes
// through the bar's halting writer: the bar's line is cleared first
// ("\r" then erase to the end of line, ECMA-48 EL "\x1b[K"), the line is
// written whole, and neither a later refresh nor finish draws the bar
// again (a trial saw the line overprinted by the next refresh: "\rreplay
// 100% |...|" over "stopping: ..."). A write to the halting writer of no
// bar is the writer's own.
func TestBarHalted(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var out strings.Builder
	p := &progress{}
	p.packets.Store(7)
	b := &bar{w: &out, p: p, m: meter{total: 100}, read: func() int64 { return 50 }, started: t0, stop: func() {}}
	b.draw(t0)
	const line = "tmonbench replay: Ctrl-C after the captures were read to their end: the tables are being finished whole (run.json says finished), then the replay exits with status 130\n"
	fmt.Fprint(b.halting(&out), line)
	b.draw(t0.Add(barEvery))
	b.finish(false)
	b.finish(true)
	if want := "\rreplay  50% |███████████████               | 7 pkts - pkt/s\x1b[K" + "\r\x1b[K" + line; out.String() != want {
		t.Errorf("bar then the Ctrl-C line:\n got %q\nwant %q", out.String(), want)
	}
	var plain strings.Builder
	fmt.Fprint((*bar)(nil).halting(&plain), line)
	if plain.String() != line {
		t.Errorf("no bar: %q, want %q", plain.String(), line)
	}
}
