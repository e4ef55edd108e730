package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestProbeSignalDuringLinger: a probe process replaying a file to a
// collector that does not run lingers for its acknowledgements (--linger
// 1h); SIGINT then stops it at once: exit status 130, one line saying how
// many PDUs were left unacknowledged, the same count as its summary's.
// The signal is sent once the probe says the collector refuses its PDUs
// (nothing listens there), and again until it ends: a first one during
// the replay would stop the replay and start the wait.
func TestProbeSignalDuringLinger(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("collectors:\n  - {name: c, address: "+freeUDPPort(t)+"}\n"), 0o644)
	cmd := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", testsamples.Path(t, "lab", "ftp", "A.pcap"),
		"--speed", "full", "--linger", "1h", "--state-dir", "")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	var stderr strings.Builder
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "refuses the PDUs") {
			break
		}
	}
	done := make(chan error, 1)
	go func() {
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
		}
		done <- cmd.Wait()
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(60 * time.Second) // far below --linger 1h
	for err = nil; ; {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case err = <-done:
		case <-tick.C:
			continue
		case <-giveUp:
			t.Fatalf("the probe still runs 60 s after SIGINT\n%s", stderr.String())
		}
		break
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(l, "tmonbench probe") { // "tmonbench probe: ...", "tmonbench probe A: ...", not "tmonbench: probe"
			t.Errorf("stderr line %q does not start with the command's name", l)
		}
	}
	said := regexp.MustCompile(`stopped by a signal with (\d+) PDUs unacknowledged`).FindStringSubmatch(stderr.String())
	summary := regexp.MustCompile(`collector c: \d+ PDUs, \d+ retransmissions, (\d+) unacknowledged`).FindStringSubmatch(stdout.String())
	if said == nil || summary == nil || said[1] != summary[1] || said[1] == "0" {
		t.Errorf("stdout %q\nstderr %q: want the summary's unacknowledged count (> 0) said on stderr", stdout.String(), stderr.String())
	}
}

// TestProbeInterruptedExit130: a probe process replaying a file at
// realtime, stopped by SIGINT once the collector has its first PDUs (the lab's tcp-mix A.pcap lasts
// 10.9 s), sends its last PDUs, is acknowledged and exits 130, as an
// interrupted replay does (`probe --help`: 130 interrupted), and the
// collector's events say run_interrupted with the packets read. A trial
// saw exit 0 and no event: an interrupted run looked complete (1,900
// packets of 5,000).
func TestProbeInterruptedExit130(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("interval_s: 1\nprobes: [{name: A}]\ncollectors:\n  - {name: c, address: "+freeUDPPort(t)+", min_gap_ms: 1}\n"), 0o644)
	out := filepath.Join(dir, "out")
	var said lockedBuffer
	coll := startCollectorTee(t, &said, bin, cfg, out, "--idle-exit", "2s", "--write-every", "200ms")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", testsamples.Path(t, "lab", "tcp-mix", "A.pcap"),
		"--speed", "realtime", "--linger", "30s", "--state-dir", "")
	var stderr bytes.Buffer
	p.Stderr = &stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Process.Kill() })
	// in the middle of the replay: once its first PDUs arrive (the probe
	// has read packets and handles signals); a fixed 2 s, which a loaded
	// machine could spend starting the probe, gave 0 packets read or a
	// probe killed by the signal
	waitSaid(t, []*lockedBuffer{&said}, "probe connected")
	p.Process.Signal(syscall.SIGINT)
	err := p.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, stderr.String())
	}
	waitTimeout(t, coll, 2*time.Minute)
	got := csvQuery(t, out, "select count(*) n, min(message) m from events where kind = 'run_interrupted'")
	m := regexp.MustCompile(`^n,m\n1,probe A: replay of \S+A\.pcap interrupted after (\d+) packets`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("run_interrupted events: %q", got)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 || n >= 6436 {
		t.Errorf("interrupted after %d packets, want some of the capture's 6,436", n)
	}
	if sum := csvQuery(t, out, "select sum(packets) n from flows where class = 'all'"); sum != "n\n"+m[1]+"\n" {
		t.Errorf("flows count %q packets, the event says %s read", sum, m[1])
	}
}
