package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freeTCPPort returns an address on 127.0.0.1 nobody listens on now.
func freeTCPPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// parseMetrics reads a Prometheus text exposition: metric{labels} -> value.
func parseMetrics(r io.Reader) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// pollMetrics scrapes http://addr/metrics until ok accepts the metrics
// (a refused connection is retried: the server may not listen yet) and
// returns them; it fails the test after d.
func pollMetrics(t *testing.T, addr string, d time.Duration, ok func(m map[string]float64) bool) map[string]float64 {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last map[string]float64
	var lastErr error
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			lastErr = err
			continue
		}
		last = parseMetrics(resp.Body)
		resp.Body.Close()
		if ok(last) {
			return last
		}
	}
	t.Fatalf("metrics at %s not as expected within %v (last error %v):\n%v", addr, d, lastErr, last)
	return nil
}

// TestProcessMetrics: a collector process and a probe process replaying
// the one-way lab's A.pcap (5000 packets, 10 s) in real time, each with
// --metrics, serve live's metrics: the probe's counters while it runs,
// the collector's PDUs accepted equal to the PDUs the probe sent.
func TestProcessMetrics(t *testing.T) {
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("interval_s: 1\nprobes: [{name: A}]\ncollectors:\n  - {name: central, address: %q}\n", freeUDPPort(t))), 0o644)
	caddr, paddr := freeTCPPort(t), freeTCPPort(t)
	coll := startCollector(t, bin, cfg, filepath.Join(tmp, "out"), "--metrics", caddr)
	const accepted = `tmonbench_collector_pdus_accepted_total{collector="0"}`
	pollMetrics(t, caddr, 10*time.Second, func(m map[string]float64) bool { _, ok := m[accepted]; return ok })

	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", filepath.Join(samples(t), "lab", "oneway-udp", "A.pcap"), "--metrics", paddr)
	var stdout strings.Builder
	p.Stdout, p.Stderr = &stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Process.Kill(); p.Wait() })
	const (
		packets   = `tmonbench_probe_packets_total{probe="A"}`
		delivered = `tmonbench_capture_delivered_packets_total{interface="if0",probe="A"}`
		sent      = `tmonbench_pdu_sent_total{collector="0",probe="A"}`
		acked     = `tmonbench_pdu_acked_total{collector="0",probe="A"}`
	)
	// Intervals of 1 s close while the 10 s capture plays: PDUs are sent
	// and acknowledged before it ends.
	m := pollMetrics(t, paddr, 9*time.Second, func(m map[string]float64) bool { return m[packets] > 0 && m[acked] > 0 })
	if m[packets] > 5000 || m[delivered] != m[packets] || m[sent] < m[acked] {
		t.Errorf("probe metrics while replaying 5000 packets: %v", m)
	}
	for k := range m {
		if strings.HasPrefix(k, "tmonbench_capture_kernel_") || strings.HasPrefix(k, "tmonbench_collector_") {
			t.Errorf("a replaying probe serves %s", k)
		}
	}
	waitTimeout(t, p, 60*time.Second)
	sum := regexp.MustCompile(`probe A: (\d+) packets.*collector central: (\d+) PDUs, \d+ retransmissions, 0 unacknowledged`).FindStringSubmatch(stdout.String())
	if sum == nil || sum[1] != "5000" || !strings.Contains(stdout.String(), "metrics on http://"+paddr+"/metrics") {
		t.Fatalf("probe output: %s", stdout.String())
	}
	pdus, _ := strconv.ParseFloat(sum[2], 64)
	cm := pollMetrics(t, caddr, 10*time.Second, func(m map[string]float64) bool { return m[accepted] >= pdus })
	if cm[accepted] != pdus || cm[`tmonbench_collector_frames_refused_total{collector="0"}`] != 0 || cm[`tmonbench_collector_frames_total{collector="0"}`] < pdus {
		t.Errorf("collector metrics after the probe's %v PDUs, all acknowledged: %v", pdus, cm)
	}
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 30*time.Second)
}
