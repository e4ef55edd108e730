package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
