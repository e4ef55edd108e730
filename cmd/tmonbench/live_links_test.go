//go:build linux

package main

import (
	"bufio"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// stderrLines is a process's stderr, line by line, as it comes.
type stderrLines struct {
	ch  chan string
	all []string
}

// watchStderr starts reading cmd's stderr (before cmd.Start).
func watchStderr(t *testing.T, cmd *exec.Cmd) *stderrLines {
	t.Helper()
	r, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &stderrLines{ch: make(chan string, 256)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			s.ch <- sc.Text()
		}
		close(s.ch)
	}()
	return s
}

// wait returns once a line equal to want came (within a minute, generous for
// a loaded machine: the interfaces are read every second).
func (s *stderrLines) wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case l, ok := <-s.ch:
			if !ok {
				t.Fatalf("stderr ended without %q:\n%s", want, strings.Join(s.all, "\n"))
			}
			s.all = append(s.all, l)
			if l == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q on stderr after a minute:\n%s", want, strings.Join(s.all, "\n"))
		}
	}
}

// rest reads stderr to its end.
func (s *stderrLines) rest() []string {
	for l := range s.ch {
		s.all = append(s.all, l)
	}
	return s.all
}

// TestLiveInterfaceStates runs `tmonbench live` on B's end of the lab
// link (IfB) and on the end of a second veth pair whose other end is down
// at start (no carrier). Each change of an interface gives one stderr
// line and an event, and the capture goes on:
//   - the carrierless interface warns at start and is an event
//     (capture_interface_down);
//   - its peer brought up: capture_interface_up;
//   - IfB set down, then up: capture_interface_down, capture_interface_up;
//     then down and up again at once (a flap no reading once a second
//     sees): both again, from the kernel's link announcements; the
//     datagrams sent after are all captured (the kernel attaches the
//     socket again);
//   - the second interface deleted: capture_interface_gone, the capture
//     goes on on IfB;
//   - IfB deleted too: no interface is left, the capture stops by itself,
//     writes its tables (probe_stop) and exits with status 1 and one line
//     that says so.
func TestLiveInterfaceStates(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	peer, second := lab.AddVeth(t, "c")
	run := func(ns *netlab.NS, args ...string) {
		t.Helper()
		if out, err := ns.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, out)
		}
	}
	run(lab.A, "link", "set", peer, "down")
	// The kernel turns a carrier change into IFF_RUNNING (what live reads,
	// live.Info.Carrier) later (linkwatch, a second or more on a loaded
	// machine): until then live would start with the carrier and say it
	// lost it, not that it had none at start (seen with this test run
	// beside others).
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		var running bool
		lab.B.Do(func() error {
			ifi, err := net.InterfaceByName(second)
			running = err != nil || ifi.Flags&net.FlagRunning != 0
			return nil
		})
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still has its carrier a minute after its peer went down", second)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	out := filepath.Join(dir, "out")
	cmd := lab.B.Command(testout.Binary(t), "live", "-i", lab.IfB, "-i", second, "--config", cfg, "--out", out, "--name", "links", "--write-every", "200ms")
	cmd.Stdout = nil
	errs := watchStderr(t, cmd)
	startKilled(t, cmd)
	const w = "tmonbench live: warning: "
	errs.wait(t, w+noCarrierAtStart(second))
	run(lab.A, "link", "set", peer, "up")
	errs.wait(t, "tmonbench live: "+second+" has its carrier again: it is captured again")
	run(lab.B, "link", "set", lab.IfB, "down")
	errs.wait(t, w+lab.IfB+" is down: nothing is captured on it until it is up again (ip link set "+lab.IfB+" up)")
	run(lab.B, "link", "set", lab.IfB, "up")
	errs.wait(t, "tmonbench live: "+lab.IfB+" is up again, with carrier: it is captured again")
	// A flap quicker than the once-a-second reading: both changes said,
	// from the kernel's announcements.
	if out, err := lab.B.Command("sh", "-c", "ip link set "+lab.IfB+" down; ip link set "+lab.IfB+" up").CombinedOutput(); err != nil {
		t.Fatalf("flap: %v %s", err, out)
	}
	errs.wait(t, w+lab.IfB+" is down: nothing is captured on it until it is up again (ip link set "+lab.IfB+" up)")
	errs.wait(t, "tmonbench live: "+lab.IfB+" is up again, with carrier: it is captured again")
	f, err := lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), 30, 100, 0, 9000)
	if err != nil {
		t.Fatal(err)
	}
	// A new MTU, and a rename (the kernel renames an interface only while
	// down): the lines and the events follow the new name.
	run(lab.B, "link", "set", lab.IfB, "mtu", "1400")
	errs.wait(t, "tmonbench live: "+lab.IfB+" MTU changed from 1500 to 1400 bytes")
	renamed := "r" + second[1:]
	run(lab.B, "link", "set", second, "down")
	errs.wait(t, w+second+" is down: nothing is captured on it until it is up again (ip link set "+second+" up)")
	run(lab.B, "link", "set", second, "name", renamed)
	errs.wait(t, "tmonbench live: "+second+" was renamed "+renamed+": it is still captured, as "+renamed)
	run(lab.B, "link", "set", renamed, "up")
	errs.wait(t, "tmonbench live: "+renamed+" is up again, with carrier: it is captured again")
	run(lab.B, "link", "del", renamed)
	const e = "tmonbench live: error: "
	errs.wait(t, e+renamed+" was deleted or moved to another network namespace: the capture goes on on "+lab.IfB+" (an interface created again under that name is not captured before a restart)")
	run(lab.B, "link", "set", lab.IfB, "netns", lab.A.Name)
	errs.wait(t, e+lab.IfB+" was deleted or moved to another network namespace: no interface is left to capture on; the capture stops")
	last := "tmonbench live: every capture interface is gone, deleted or moved to another network namespace (" + lab.IfB + ", " + renamed + "): the capture stopped; " + out + " holds what was captured"
	errs.wait(t, last)
	rest := errs.rest()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || rest[len(rest)-1] != last {
		t.Errorf("exit %v, stderr:\n%s", err, strings.Join(rest, "\n"))
	}
	db := openOut(t, out)
	if got := queryInt(t, db, `SELECT sum(packets) FROM flows WHERE class = 'lab' AND protocol = 17 AND dst_port = 9000`); uint64(got) != f.Packets {
		t.Errorf("%d datagrams sent after %s came back up, %d in the flows table", f.Packets, lab.IfB, got)
	}
	// Each interface's events in order (down, up, gone; "start" for no
	// carrier at start, "carrier" for a carrier lost): a deletion may be announced down first when the
	// two announcements reach two checks.
	seq := map[string]string{}
	rows, err := db.Query(`SELECT kind, message FROM events WHERE kind LIKE 'capture_interface_%' ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var kind, msg string
		rows.Scan(&kind, &msg)
		name, _, _ := strings.Cut(msg, " ")
		step := strings.TrimPrefix(kind, "capture_interface_")
		switch {
		case strings.Contains(msg, "no carrier at start"):
			step = "start"
		case strings.Contains(msg, "lost its carrier"):
			step = "carrier"
		}
		seq[name] += step + " "
	}
	for name, want := range map[string]string{
		second:  `^start up down renamed $`,
		renamed: `^up (down )?gone $`,
		lab.IfB: `^down up down up mtu (down )?gone $`,
	} {
		if !regexp.MustCompile(want).MatchString(seq[name]) {
			t.Errorf("%s: events %q, want %s", name, seq[name], want)
		}
	}
	var stops []string
	for _, in := range []string{lab.IfB + " (MTU 1400,", renamed + " (MTU 1500,"} {
		stops = append(stops, fmt.Sprintf("%d", queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'capture_stop' AND starts_with(message, '`+in+`')`)))
	}
	if got := strings.Join(stops, " "); got != "1 1" {
		t.Errorf("capture_stop events under the names and MTUs at the end: %s, want 1 1", got)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'probe_stop'`); n != 1 {
		t.Errorf("%d probe_stop events", n)
	}
}

// TestLiveQuietRun: `tmonbench live --duration 1s` on an interface where
// nothing passes the kernel filter still writes the probe's probe_start
// and probe_stop events (the probe starts with the capture, not at its
// first packet) and exits 0.
func TestLiveQuietRun(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cmd := lab.B.Command(testout.Binary(t), "live", "-i", lab.IfB, "--out", out, "--name", "quiet", "--duration", "1s", "--filter", "udp dst port 9")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !regexp.MustCompile(`tmonbench live quiet: 0 packets, 0 bytes captured, 0 flows of every class \(query summary counts class 'all' only\), 0 kernel drops`).Match(b) {
		t.Errorf("output:\n%s", b)
	}
	db := openOut(t, out)
	for _, k := range []string{"probe_start", "probe_stop", "capture_stop"} {
		if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = ? AND source = 'probe:quiet'`, k); n != 1 {
			t.Errorf("%d %s events", n, k)
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'probe_stop' AND message LIKE 'probe quiet: 0 packets, %'`); n != 1 {
		t.Errorf("probe_stop does not say 0 packets")
	}
}

// TestProbeLiveInterfaceGone: `tmonbench probe -i` on an interface that
// is deleted while it runs says so (one line), stops, sends what it
// captured (probe_stop and capture_interface_gone reach the collector's
// events table) and exits with status 1 and one line; the collector and
// the probe run in the lab's namespace B (its loopback).
func TestProbeLiveInterfaceGone(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	_, second := lab.AddVeth(t, "g")
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "probe.yaml")
	os.WriteFile(cfg, []byte("interval_s: 1\nprobes: [{name: pg}]\ncollectors: [{name: c, address: \"127.0.0.1:9555\"}]\n"), 0o644)
	out := filepath.Join(dir, "out")
	coll := startLabCollector(t, lab, bin, cfg, out)
	probe := lab.B.Command(bin, "probe", "-i", second, "--config", cfg, "--name", "pg", "--linger", "1m")
	errs := watchStderr(t, probe)
	if err := probe.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probe.Process.Kill(); probe.Wait() })
	// The probe has started once the collector knows it (probe_start).
	waitProbeStart(t, out, func() string { return strings.Join(errs.all, "\n") })
	if out, err := lab.B.Command("ip", "link", "del", second).CombinedOutput(); err != nil {
		t.Fatalf("ip link del: %v %s", err, out)
	}
	errs.wait(t, "tmonbench probe: error: "+second+" was deleted or moved to another network namespace: no interface is left to capture on; the capture stops")
	last := "tmonbench probe: every capture interface is gone, deleted or moved to another network namespace (" + second + "): the capture stopped; what was captured was sent"
	errs.wait(t, last)
	rest := errs.rest()
	err := probe.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || rest[len(rest)-1] != last {
		t.Errorf("probe: %v, stderr:\n%s", err, strings.Join(rest, "\n"))
	}
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 2*time.Minute)
	db := openOut(t, out)
	for _, k := range []string{"capture_interface_gone", "probe_stop"} {
		if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = ?`, k); n != 1 {
			t.Errorf("%d %s events", n, k)
		}
	}
}

// waitProbeStart waits, up to 60 s, for a probe_start event in the tables
// of out (the run has passed its first health check); stderr says what the
// process printed when it never comes.
func waitProbeStart(t *testing.T, out string, stderr func() string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n sql.NullInt64
		if db, err := queries.Open(out); err == nil {
			db.QueryRow(`SELECT count(*) FROM events WHERE kind = 'probe_start'`).Scan(&n)
			db.Close()
		}
		if n.Int64 > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no probe_start event after 60 s:\n%s", stderr())
		}
	}
}

// startLabCollector starts a collector process in the lab's namespace B
// on config cfg and output out, waits for its "listening on" line, and
// kills it when the test ends; the test may stop it first (SIGTERM).
func startLabCollector(t *testing.T, lab *netlab.Lab, bin, cfg, out string) *exec.Cmd {
	t.Helper()
	coll := lab.B.Command(bin, "collector", "--config", cfg, "--out", out)
	collOut, _ := coll.StdoutPipe()
	if err := coll.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coll.Process.Kill(); coll.Wait() })
	r := bufio.NewReader(collOut)
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "listening on") {
		t.Fatalf("collector did not start: %q %v", line, err)
	}
	go r.WriteTo(discard{})
	return coll
}
