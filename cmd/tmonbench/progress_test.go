package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/replay"
)

// TestBarDrivenByTime: the bar is drawn when the replay starts and
// redrawn every barEvery with no packet going through; at paced speeds it
// shows the capture time reached and the lag.
func TestBarDrivenByTime(t *testing.T) {
	f, err := replay.Open(filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w testout.SyncBuffer
	p := &progress{}
	p.record(capgen.Base, 0)
	p.record(capgen.Base+int64(90*time.Second), 2500*time.Millisecond)
	b := newBar("always", &w, []*replay.File{f}, p, true, time.Now())
	if s := w.String(); !strings.Contains(s, "| 2 pkts - pkt/s |") {
		t.Errorf("not drawn at once: %q", s)
	}
	// a redraw by the clock, with no packet: waited for, not slept for
	// (a loaded machine runs the ticker late)
	for start := time.Now(); !strings.Contains(w.String(), "capture 22:14:50 (+90.0 s) lag 2.5 s"); time.Sleep(barEvery / 10) {
		if time.Since(start) > time.Minute {
			t.Fatalf("no redraw with the capture time and lag in a minute: %q", w.String())
		}
	}
	b.finish(false)
	if s := w.String(); !strings.Contains(s, "capture 22:14:50 (+90.0 s) lag 2.5 s") || !strings.Contains(s, "replay 100% |") {
		t.Errorf("bar: %q", s)
	}
	if b := newBar("auto", &w, nil, p, false, time.Now()); b != nil {
		t.Error("auto draws a bar on a buffer (not a terminal)")
	}
}

// TestBehindEvent: packets going out more than lateLimit behind the
// --speed schedule make one replay_behind event (count, first capture
// time, worst lag) and a warning.
func TestBehindEvent(t *testing.T) {
	p := &progress{}
	p.record(capgen.Ms(0), 0)
	p.record(capgen.Ms(10), 300*time.Millisecond)
	if ev, msg := p.behind(replay.SpeedRealtime); ev != nil || msg != "" {
		t.Errorf("on time: %v %q", ev, msg)
	}
	p.record(capgen.Ms(20), 1500*time.Millisecond)
	p.record(capgen.Ms(30), 3200*time.Millisecond)
	p.record(capgen.Ms(40), 0) // caught up
	ev, msg := p.behind(replay.SpeedRealtime)
	if len(ev) != 1 || ev[0].Kind != "replay_behind" || ev[0].Count != 2 || ev[0].Time != capgen.Ms(20) || ev[0].Severity != "warning" ||
		!strings.Contains(msg, "could not keep --speed realtime: 2 packets went out more than 1s behind schedule (at most 3.2 s)") {
		t.Errorf("events %+v, message %q", ev, msg)
	}
}

// TestMaxGap: --max-gap caps the wait between two packets an hour apart;
// the rows are the same as at full speed.
func TestMaxGap(t *testing.T) {
	dir := t.TempDir()
	u := func(ms float64) capgen.Frame {
		return capgen.Frame{TimeNs: capgen.Ms(ms), Data: capgen.UDP{Src: netip.MustParseAddrPort("10.0.0.1:5353"), Dst: netip.MustParseAddrPort("10.0.0.2:53"), Payload: []byte("x")}.Frame()}
	}
	pcap := filepath.Join(dir, "gap.pcap")
	if err := os.WriteFile(pcap, capgen.PCAP([]capgen.Frame{u(0), u(3_600_000), u(3_600_100)}, true), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, _, stderr := tmon(t, "replay", "-q", "--speed", "realtime", "--max-gap", "200ms", "--out", filepath.Join(dir, "o"), pcap)
	if el := time.Since(start); code != 0 || el > 30*time.Second {
		t.Fatalf("exit %d after %v: %s", code, el, stderr)
	}
	if code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(dir, "full"), pcap); code != 0 {
		t.Fatalf("full speed: %d %s", code, stderr)
	}
	_, paced, _ := tmon(t, "query", "--out", filepath.Join(dir, "o"), "--format", "csv", "summary")
	_, full, _ := tmon(t, "query", "--out", filepath.Join(dir, "full"), "--format", "csv", "summary")
	if paced != full || !strings.Contains(full, "udp,1,3,") {
		t.Errorf("summary at realtime --max-gap 200ms:\n%s\nat full speed:\n%s", paced, full)
	}
	if code, _, stderr := tmon(t, "replay", "--max-gap", "-1s", pcap); code != 2 || !strings.Contains(stderr, "--max-gap -1s") {
		t.Errorf("negative --max-gap: %d %q", code, stderr)
	}
	// at full speed nothing is waited: the flag would do nothing (the fifth
	// new-user trial's D7: it was accepted silently)
	if code, _, stderr := tmon(t, "replay", "--max-gap", "200ms", "--out", filepath.Join(dir, "f2"), pcap); code != 2 || !strings.Contains(stderr, "--max-gap 200ms: only paced replays wait") {
		t.Errorf("--max-gap at full speed: exit %d %q, want 2 and the refusal", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "f2")); !os.IsNotExist(err) {
		t.Errorf("--max-gap at full speed wrote its output: %v", err)
	}
}

// TestStdinFilter: tcpdump habits. "-" replays standard input, and
// --filter keeps the packets tcpdump's expression keeps (the count is
// tcpdump's: tcpdump -r samples/zeek_wikipedia.pcap 'tcp port 80' | wc -l
// = 78 of 136); the packets left out are counted in a replay_filter event
// and on the summary's next line (it said "packets read 78" alone, of a
// file of 136).
func TestStdinFilter(t *testing.T) {
	testenv.Tool(t, "tcpdump")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	tcpdump, err := exec.Command("tcpdump", "-r", wiki, "tcp port 80").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Count(tcpdump, []byte("\n"))
	out := filepath.Join(t.TempDir(), "o")
	cmd := exec.Command(buildBinary(t), "replay", "--filter", "tcp port 80", "--out", out, "-")
	in, err := os.Open(wiki)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd.Stdin = in
	summary, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(summary), fmt.Sprintf("1 probe: stdin\n  packets read    %12d", want)) || want != 78 ||
		!strings.Contains(string(summary), fmt.Sprintf("\n  left out        %12d  (by --filter, not in packets read: event replay_filter)\n", 136-want)) {
		t.Fatalf("%v: tcpdump %d packets, replay:\n%s", err, want, summary)
	}
	code, ev, _ := tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select kind, count from events where source = 'replay'")
	if code != 0 || ev != fmt.Sprintf("kind,count\nreplay_filter,%d\n", 136-want) {
		t.Errorf("events: %q", ev)
	}
}

// TestBarCountsHandled: the bar ends on the packets handled, the
// summary's "packets read": a packet whose paced wait Ctrl-C interrupts is
// never handled and not counted (the bar said one packet more than the
// summary), nor are the file's packets read but never handed on.
func TestBarCountsHandled(t *testing.T) {
	f, err := replay.Open(filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 3 { // read by the file; the pipeline handled 1
		if _, _, err := f.Next(); err != nil {
			t.Fatal(err)
		}
	}
	p := &progress{}
	pace := p.pace(replay.NewPacer(replay.SpeedRealtime))
	ctx, cancel := context.WithCancel(context.Background())
	if err := pace(ctx, capgen.Base); err != nil {
		t.Fatal(err)
	}
	cancel() // Ctrl-C while the second packet waits its turn
	if err := pace(ctx, capgen.Base+int64(time.Hour)); err == nil {
		t.Fatal("an interrupted wait returned no error")
	}
	var w testout.SyncBuffer
	b := newBar("always", &w, []*replay.File{f}, p, true, time.Now())
	b.finish(true)
	if s := w.String(); !strings.Contains(s, "| 1 pkt, interrupted after") {
		t.Errorf("bar: %q", s)
	}
}
