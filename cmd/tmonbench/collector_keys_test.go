package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestCollectorSwitchKeyOnly: a collector process watching its config
// switches to a version whose only change is probe A's key (config.Hash
// leaves keys out: a trial's collector called it "the same version again"
// and refused every PDU of the probe, "bad tag", until restarted), then
// accepts a probe signing with the new key: every IP packet of
// lab/tcp-mix/A.pcap is in its flows (6436: `tcpdump -r A.pcap -nn ip |
// wc -l`) and no PDU is refused.
func TestCollectorSwitchKeyOnly(t *testing.T) {
	t.Parallel()
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap")
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	addr := freeUDPPort(t)
	version := func(key string) []byte {
		return []byte(fmt.Sprintf("interval_s: 1\nprobes: [{name: A, key: %q}]\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1}\nclasses:\n  - {name: ip, filter: \"ip\", granularity: [protocol], analyses: [counters]}\n", key, addr))
	}
	os.WriteFile(cfg, version("old-key"), 0o644)
	out := filepath.Join(dir, "out")
	var said lockedBuffer
	coll := startCollectorTee(t, &said, bin, cfg, out)
	os.WriteFile(cfg, version("new-key"), 0o644)
	waitSaid(t, []*lockedBuffer{&said}, " in effect (at once: no valid_from), replacing ")
	if h := mustLoad(t, cfg).Hash(); !strings.Contains(said.String(), "configuration "+h+" in effect (at once: no valid_from), replacing "+h+" (its probe keys before the change)") {
		t.Errorf("the collector's switch line does not name the key change:\n%s", said.String())
	}
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "full", "--linger", "1m")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, 2*time.Minute)
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 2*time.Minute)
	db := openOut(t, out)
	if n := queryInt(t, db, `SELECT sum(packets) FROM flows WHERE class = 'ip' AND probe = 'A'`); n != 6436 {
		t.Errorf("the collector's flows count %d packets of probe A, want 6436", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'pdu_refused'`); n != 0 {
		t.Errorf("%d pdu_refused events", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'config_switch_start' AND source = 'collector'`); n != 1 {
		t.Errorf("%d config_switch_start events of the collector, want 1", n)
	}
}

// TestProbeLiveSwitchKeyOnly: `probe -i lo` and its collector watch one
// config file; a version that only changes the probe's key switches both
// (the probe's new run signs with its new key, the collector accepts it):
// the datagrams sent after both switched reach the collector's flows and
// every PDU of both runs is acknowledged (a probe left on the old key
// would have its new run's refused: bad tag; the old run's last PDUs are
// taken under the previous key, TestSwitchKeepsPreviousKey).
//
// Which of the two takes the new version first is the scheduler's
// choice: a probe first has its new run's first PDUs refused (bad tag)
// until the collector switches, and, under load, PDUs and
// acknowledgements are lost or late. The default regulation retries
// them after 2, 4.5, 8.3, 13.9, 22.3 s, then every 35 s (long retry): the
// test took 4, 63 or 131 s by luck. Its collector retries every 0.5 s
// (quickRetries): every PDU is acknowledged within half a second of what
// held it back clearing, and the assertions are the same.
func TestProbeLiveSwitchKeyOnly(t *testing.T) {
	netlab.Need(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	addr := freeUDPPort(t)
	cfg := filepath.Join(dir, "c.yaml")
	version := func(key string) []byte {
		return []byte(fmt.Sprintf("interval_s: 1\nprobes: [{name: sw1, key: %q}]\ncollectors: [{name: central, address: %q, %s}]\nclasses:\n  - {name: a, filter: \"udp port 9101\", granularity: [protocol, dst_port], analyses: [counters]}\n", key, addr, quickRetries))
	}
	os.WriteFile(cfg, version("old-key"), 0o644)
	out := filepath.Join(dir, "out")
	var said [2]lockedBuffer // the collector's, the probe's
	coll := startCollectorTee(t, &said[0], bin, cfg, out)
	p := exec.Command(bin, "probe", "-i", "lo", "--config", cfg, "--name", "sw1", "--linger", "1m")
	stdout, _ := p.StdoutPipe()
	p.Stderr = &said[1]
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Process.Kill(); p.Wait() })
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.Contains(sc.Text(), "capturing on") {
		t.Fatalf("probe did not start: %q\n%s", sc.Text(), said[1].String())
	}
	var lines []string // the probe's lines after its first, read until it ends
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	}()
	os.WriteFile(cfg, version("new-key"), 0o644)
	waitSaid(t, []*lockedBuffer{&said[0], &said[1]}, " replacing "+mustLoad(t, cfg).Hash()+" (its probe keys before the change)")
	c, err := net.ListenPacket("udp", "127.0.0.1:0") // unconnected: no write refused after the port's ICMP error
	if err != nil {
		t.Fatal(err)
	}
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9101}
	for i := 0; i < 20; i++ {
		c.WriteTo([]byte("after the key rotation"), to)
		time.Sleep(20 * time.Millisecond)
	}
	c.Close()
	p.Process.Signal(syscall.SIGTERM)
	if err := p.Wait(); err != nil {
		t.Fatalf("probe after SIGTERM: %v\n%s", err, said[1].String())
	}
	<-done
	// Each run's line ends with what the collector acknowledged: every
	// PDU of both runs. The run before the switch signs with the old key,
	// and its last PDUs can reach the collector after its switch: it
	// takes them under the probe's previous key (pdu.KeyGraceNs); they
	// were refused (bad tag), lost, and the probe's switch waited its
	// --linger for them, past the minute waitSaid gives.
	runs := 0
	for _, l := range lines {
		if strings.Contains(l, " unacknowledged") {
			runs++
			if !strings.Contains(l, " 0 unacknowledged") {
				t.Errorf("a run of the probe left PDUs unacknowledged: %q", l)
			}
		}
	}
	if runs != 2 {
		t.Errorf("%d lines of a run's end, want 2 (the old key's run, the new key's): %q", runs, lines)
	}
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 2*time.Minute)
	db := openOut(t, out)
	if n := queryInt(t, db, `SELECT coalesce(sum(packets), 0) FROM flows WHERE class = 'a' AND probe = 'sw1'`); n < 20 {
		t.Errorf("the collector's flows count %d packets to port 9101, want the 20 sent after the switch at least", n)
	}
}

// quickRetries is a collector's regulation that retries an
// unacknowledged PDU every 0.5 s (no back-off), and does not go to long
// retry mode within a test's life.
const quickRetries = "initial_timeout_s: 0.5, timeout_increment_s: 0.001, timeout_multiplier: 1, max_retries: 1000"

// mustLoad loads the config file at path.
func mustLoad(t *testing.T, path string) *config.Config {
	t.Helper()
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
