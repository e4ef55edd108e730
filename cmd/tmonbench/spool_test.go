package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSYNFlood writes a classic pcap of n TCP SYNs from n sources
// (10.0.0.0/8) to 192.0.2.1:80, 100,000 a second.
func writeSYNFlood(t *testing.T, path string, n int) {
	t.Helper()
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	hdr := []uint32{0xa1b2c3d4, 2 | 4<<16, 0, 0, 65535, 1}
	binary.Write(w, binary.LittleEndian, hdr)
	var p [16 + 54]byte
	f := p[16:]
	copy(f, []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 8, 0})
	ip, tcp := f[14:34], f[34:54]
	for i := range n {
		us := int64(i) * 10
		binary.LittleEndian.PutUint32(p[0:], uint32(1_700_000_000+us/1e6))
		binary.LittleEndian.PutUint32(p[4:], uint32(us%1e6))
		binary.LittleEndian.PutUint32(p[8:], 54)
		binary.LittleEndian.PutUint32(p[12:], 54)
		copy(ip, []byte{0x45, 0, 0, 40, byte(i >> 8), byte(i), 0, 0, 64, 6, 0, 0})
		binary.BigEndian.PutUint32(ip[12:], 0x0a000000+uint32(i))
		binary.BigEndian.PutUint32(ip[16:], 0xc0000201)
		binary.BigEndian.PutUint16(ip[10:], ^fold(ip, 0))
		binary.BigEndian.PutUint16(tcp[0:], uint16(1024+i%60000))
		binary.BigEndian.PutUint16(tcp[2:], 80)
		binary.BigEndian.PutUint32(tcp[4:], uint32(i))
		copy(tcp[8:], []byte{0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0})
		src := 0x0a000000 + uint32(i)
		binary.BigEndian.PutUint16(tcp[16:], ^fold(tcp, src>>16+src&0xffff+0xc000+0x0201+6+20))
		w.Write(p[:])
	}
	w.Flush()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fold is the ones' complement sum of b's 16-bit words plus sum.
func fold(b []byte, sum uint32) uint16 {
	for k := 0; k+1 < len(b); k += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[k:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}

// spoolFDs counts the open spool segments of process pid (unlinked files
// named .tmonbench-spool-*).
func spoolFDs(pid int) int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); err == nil && strings.Contains(l, ".tmonbench-spool-") {
			n++
		}
	}
	return n
}

// TestSpoolLateCollector: a probe process replays a SYN flood of 40,000
// sources with no collector listening, its flow definitions past
// max_permanent_mb (0.25) going to its spool on disk; a collector started
// only once the spool is in use ends with every table row for row equal to
// that of a run whose collector was there from the start (issue 13.5:
// memory bounded, nothing lost).
func TestSpoolLateCollector(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	tmp := t.TempDir()
	pcap := filepath.Join(tmp, "syn.pcap")
	writeSYNFlood(t, pcap, 40_000)
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`interval_s: 1
flow_table: {max_flows: 4096}
probes: [{name: S}]
collectors:
  - {name: central, address: %q, min_gap_ms: 0.1, initial_timeout_s: 0.2, timeout_increment_s: 0.1, timeout_multiplier: 1.2, max_retries: 1000, max_permanent_mb: 0.25}
`, freeUDPPort(t))), 0o644)
	collectorArgs := []string{"--write-every", "200ms", "--silence", "1h", "--idle-exit", "2s"}
	probe := func(state string) (*exec.Cmd, *bytes.Buffer) {
		var out bytes.Buffer
		p := exec.Command(bin, "probe", "--config", cfg, "--name", "S", "--pcap", pcap, "--speed", "full", "--linger", "120s", "--state-dir", state)
		p.Stdout, p.Stderr = &out, os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Process.Kill(); p.Wait() })
		return p, &out
	}

	ref := filepath.Join(tmp, "ref")
	coll := startCollector(t, bin, cfg, ref, collectorArgs...)
	p, _ := probe(filepath.Join(tmp, "state-ref"))
	waitTimeout(t, p, 120*time.Second)
	waitTimeout(t, coll, 2*time.Minute)
	want := tableRows(t, ref)

	late := filepath.Join(tmp, "late")
	p, pout := probe(filepath.Join(tmp, "state-late"))
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	for spoolFDs(p.Process.Pid) == 0 { // the flood's definitions wait on disk
		select {
		case err := <-done:
			t.Fatalf("the probe ended (%v) before it spooled: %s", err, pout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	coll = startCollector(t, bin, cfg, late, collectorArgs...)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("probe: %v: %s", err, pout.String())
		}
	case <-time.After(120 * time.Second):
		t.Fatal("the probe did not end within 120 s")
	}
	waitTimeout(t, coll, 2*time.Minute)
	t.Logf("probe: %s", strings.TrimSpace(pout.String()))
	if !strings.Contains(pout.String(), "spooled to disk") || !strings.Contains(pout.String(), " 0 unacknowledged") {
		t.Errorf("the probe did not spool, or left PDUs unacknowledged: %s", pout.String())
	}
	got := tableRows(t, late)
	for tab, w := range want {
		if g := got[tab]; g != w {
			t.Errorf("%s: %d rows, want %d (first difference near %q)", tab, strings.Count(g, "\n")-1, strings.Count(w, "\n")-1, firstDiff(g, w))
		}
	}
	if n := strings.Count(want["flows"], "\n") - 1; n < 40_000 {
		t.Errorf("the reference run has %d flows, want 40,000", n)
	}
}
