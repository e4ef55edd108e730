package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// runEvent is one row of the events table.
type runEvent struct {
	ns   int64
	kind string
}

// runEvents returns the events of source in out, in the events table's
// order (queries/events.sql: time, source, kind, message).
func runEvents(t *testing.T, out, source string) []runEvent {
	t.Helper()
	rows, err := openOut(t, out).Query(`SELECT epoch_ns(time), kind FROM events WHERE source = ? ORDER BY time, source, kind, message`, source)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ev []runEvent
	for rows.Next() {
		var e runEvent
		if err := rows.Scan(&e.ns, &e.kind); err != nil {
			t.Fatal(err)
		}
		ev = append(ev, e)
	}
	return ev
}

// checkRunOrder fails unless the events of source in out read a probe's
// life in the order it happened: probe_start first, probe_stop last and
// later than every other event (capture_stop among them: the capture ends
// before the probe), none stamped before probe_start nor before the year
// 2000 (a clock at 0, 1970). It returns the events.
func checkRunOrder(t *testing.T, name, out, source string) []runEvent {
	t.Helper()
	ev := runEvents(t, out, source)
	n := len(ev)
	var list []string
	for _, e := range ev {
		list = append(list, fmt.Sprintf("%s %s", time.Unix(0, e.ns).UTC().Format(time.RFC3339Nano), e.kind))
	}
	if n < 2 || ev[0].kind != "probe_start" || ev[n-1].kind != "probe_stop" || ev[n-2].ns >= ev[n-1].ns || ev[0].ns < 946684800e9 {
		t.Errorf("%s: events of %s:\n%s\nwant probe_start first, probe_stop last and after every other, none before 2000", name, source, strings.Join(list, "\n"))
	}
	return ev
}

// count is the number of events of kind in ev.
func count(ev []runEvent, kind string) int {
	n := 0
	for _, e := range ev {
		if e.kind == kind {
			n++
		}
	}
	return n
}

// badRecordPcap is a classic pcap (LINKTYPE_ETHERNET) whose first record
// header declares 2^31-1 captured bytes: replay refuses it as malformed
// before its first packet (replay's bound, 256 MiB).
func badRecordPcap() []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 1700000000)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0x7fffffff)
	b = le.AppendUint32(b, 0x7fffffff)
	return append(b, make([]byte, 40)...)
}

// TestReplayDamagedSecondCapture: a probe replaying two captures, the
// second refused before its first record, wrote its capture_damaged event
// at 1970-01-01 (its clock before the first packet, 0), before its
// probe_start. It is now 1 ns after probe_start, stamped at the first
// packet of the good capture (tshark -r tcpdump_dns_udp.pcap -T fields -e
// frame.time_epoch: 1591780794.740079000, then .870361000), and
// probe_stop comes last, after the totals of the last packet's time; for
// --workers 2 too.
func TestReplayDamagedSecondCapture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, badRecordPcap(), 0o644)
	good := filepath.Join("..", "..", "testdata", "pcap", "dns", "tcpdump_dns_udp.pcap")
	const first, last = int64(1591780794740079000), int64(1591780794870361000)
	for _, workers := range []string{"0", "2"} {
		out := filepath.Join(dir, "o"+workers)
		code, _, stderr := tmon(t, "replay", "-q", "--workers", workers, "--out", out, "--probe", "P/eth0="+good, "--probe", "P/eth1="+bad)
		if code != 0 || !strings.Contains(stderr, "capture malformed") {
			t.Fatalf("replay: exit %d, %s", code, stderr)
		}
		ev := checkRunOrder(t, "workers "+workers, out, "probe:P")
		want := map[string]int64{"probe_start": first, "capture_damaged": first + 1, "probe_totals": last, "probe_stop": last + 1}
		for _, e := range ev {
			if ns, ok := want[e.kind]; ok && e.ns != ns {
				t.Errorf("workers %s: %s at %d, want %d", workers, e.kind, e.ns, ns)
			}
		}
	}
}

// TestReplayEventsWithoutCaptureTime: the replay's own events (source
// replay) were stamped at the run's first packet, 0 when none reached the
// probes: 1970-01-01. Now replay_filter of a --filter that left every
// packet out is at the first packet it left out (tshark:
// 1591780794.740079000), and a capture damaged before its first record
// (no capture time at all) is at the wall clock of the replay's start
// (run.json's started), between the test's clock before and after.
func TestReplayEventsWithoutCaptureTime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join("..", "..", "testdata", "pcap", "dns", "tcpdump_dns_udp.pcap")
	out := filepath.Join(dir, "filtered")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, "--filter", "tcp port 9999", good); code != 0 {
		t.Fatalf("replay: %s", stderr)
	}
	if got := csvQuery(t, out, "select epoch_ns(time) t, kind, count from events"); got != "t,kind,count\n1591780794740079000,replay_filter,2\n" {
		t.Errorf("--filter leaving every packet out:\n%s", got)
	}
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, badRecordPcap(), 0o644)
	out = filepath.Join(dir, "damaged")
	before := time.Now().UnixNano()
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, bad); code != 0 {
		t.Fatalf("replay: %s", stderr)
	}
	after := time.Now().UnixNano()
	got := csvQuery(t, out, fmt.Sprintf("select kind, source, epoch_ns(time) between %d and %d at_start from events", before, after))
	if got != "kind,source,at_start\ncapture_damaged,replay,true\n" {
		t.Errorf("a capture damaged before its first record:\n%s", got)
	}
}

// TestProbeDamagedBeforeFirstPacket: `tmonbench probe --pcap` of a
// capture refused before its first record gave its probe the
// capture_damaged event at the clock 0 of a probe that never started: the
// collector, never told the probe's name (its Hello comes with the start),
// never wrote it. The probe now starts at the wall clock (the only time
// the run has) and the collector writes probe_start, capture_damaged and
// probe_stop in that order, at the time of the run.
func TestProbeDamagedBeforeFirstPacket(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("probes: [{name: P}]\ncollectors:\n  - {name: central, address: \"%s\"}\n", freeUDPPort(t))), 0o644)
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, badRecordPcap(), 0o644)
	out := filepath.Join(dir, "o")
	coll := startCollector(t, bin, cfg, out, "--idle-exit", "2s")
	before := time.Now().UnixNano()
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "P", "--pcap", bad, "--linger", "1m")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, 2*time.Minute)
	after := time.Now().UnixNano()
	waitTimeout(t, coll, 2*time.Minute)
	ev := checkRunOrder(t, "probe --pcap", out, "probe:P")
	for _, e := range ev {
		if e.ns < before || e.ns > after {
			t.Errorf("%s at %d, not within the run (%d to %d)", e.kind, e.ns, before, after)
		}
	}
	if n := count(ev, "capture_damaged"); n != 1 {
		t.Errorf("%d capture_damaged events, want 1", n)
	}
}

// TestLiveStopOrder: `tmonbench live` stamped capture_stop (and the last
// period's capture_drops) with the wall clock after the run was flushed,
// after probe_stop; and a capture stopped before its first idle wake-up
// (--duration 1ms) wrote no probe_start nor probe_stop at all. Now
// capture_stop is an event of the probe at its clock (capture time: the
// engines' clock, which idle ticks move with the wall clock), before
// probe_stop, and the probe starts with the capture in both cases; for
// --workers 2 too.
func TestLiveStopOrder(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	for _, c := range []struct{ duration, workers string }{{"1ms", "0"}, {"1ms", "2"}, {"1500ms", "0"}} {
		name := "--duration " + c.duration + " --workers " + c.workers
		out := filepath.Join(dir, c.duration+c.workers)
		cmd := lab.B.Command(testout.Binary(t), "live", "-i", lab.IfB, "--out", out, "--name", "s", "--duration", c.duration, "--workers", c.workers, "--filter", "udp dst port 9")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		if n := count(checkRunOrder(t, name, out, "probe:s"), "capture_stop"); n != 1 {
			t.Errorf("%s: %d capture_stop events, want 1", name, n)
		}
	}
}

// TestProbeLiveStoppedAtOnce: `tmonbench probe -i` stopped (SIGTERM) as
// soon as it says it captures, before any packet or idle tick maybe:
// its collector gets probe_start, capture_stop and probe_stop in that
// order (capture_stop was sent only by a probe that had started).
func TestProbeLiveStoppedAtOnce(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "probe.yaml")
	os.WriteFile(cfg, []byte("interval_s: 1\nprobes: [{name: q}]\ncollectors: [{name: c, address: \"127.0.0.1:9556\"}]\n"), 0o644)
	out := filepath.Join(dir, "out")
	coll := startLabCollector(t, lab, bin, cfg, out)
	p := lab.B.Command(bin, "probe", "-i", lab.IfB, "--config", cfg, "--name", "q", "--linger", "1m", "--filter", "udp dst port 9")
	pout, _ := p.StdoutPipe()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Process.Kill(); p.Wait() })
	pr := bufio.NewReader(pout)
	if line, err := pr.ReadString('\n'); err != nil || !strings.Contains(line, "capturing on") {
		t.Fatalf("probe did not start: %q %v", line, err)
	}
	p.Process.Signal(syscall.SIGTERM)
	go pr.WriteTo(discard{})
	waitTimeout(t, p, 2*time.Minute)
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 2*time.Minute)
	if n := count(checkRunOrder(t, "probe -i", out, "probe:q"), "capture_stop"); n != 1 {
		t.Errorf("probe -i: %d capture_stop events, want 1", n)
	}
}

// TestReplayDamagedAfterOnlyPacket: a second trial cut a capture after
// its first record (`head -c 124`): the damage, found at the time of the
// probe's packets, was stamped at probe_start's instant and sorted before
// it; a review found the same with --workers 2 (the workers' own event
// path). Here 20,000 copies of one record, all at one instant, then 10
// bytes of a record header: an event of the probe at its start's instant
// is stamped 1 ns after it, with or without workers (tshark -r
// tcpdump_dns_udp.pcap -c 1 -T fields -e frame.time_epoch:
// 1591780794.740079000).
func TestReplayDamagedAfterOnlyPacket(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pcap", "dns", "tcpdump_dns_udp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	rec := good[24 : 24+16+int(binary.LittleEndian.Uint32(good[24+8:]))] // the first record
	b := append([]byte{}, good[:24]...)
	for range 20000 {
		b = append(b, rec...)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(cut, append(b, rec[:10]...), 0o644)
	for _, workers := range []string{"0", "2"} {
		out := filepath.Join(t.TempDir(), "out")
		if code, _, stderr := tmon(t, "replay", "-q", "--workers", workers, "--out", out, cut); code != 0 {
			t.Fatalf("replay: %s", stderr)
		}
		got := csvQuery(t, out, "select epoch_ns(time) - 1591780794740079000 after_first_ns, kind, count from events where kind in ('probe_start', 'capture_damaged') order by time, kind")
		if want := "after_first_ns,kind,count\n0,probe_start,0\n1,capture_damaged,1\n"; got != want {
			t.Errorf("--workers %s, events:\n%swant\n%s", workers, got, want)
		}
	}
}
