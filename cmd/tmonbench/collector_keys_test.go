package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCollectorSwitchKeyOnly: a collector process watching its config
// switches to a version whose only change is probe A's key (config.Hash
// leaves keys out: a trial's collector called it "the same version again"
// and refused every PDU of the probe, "bad tag", until restarted), then
// accepts a probe signing with the new key: every IP packet of
// lab/tcp-mix/A.pcap is in its flows (6436: `tcpdump -r A.pcap -nn ip |
// wc -l`) and no PDU is refused.
func TestCollectorSwitchKeyOnly(t *testing.T) {
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
	waitSaid(t, []*lockedBuffer{&said}, " in effect (at once: no valid_from)")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "full", "--linger", "10s")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, time.Minute)
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 30*time.Second)
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
