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
)

// buildBinary compiles tmonbench once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	bin := filepath.Join(t.TempDir(), "tmonbench")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeUDPPort returns a port on 127.0.0.1 nobody listens on now.
func freeUDPPort(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// startCollector starts a collector process and waits for its listening line.
func startCollector(t *testing.T, bin, cfg, out string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"collector", "--config", cfg, "--out", out}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on") {
		t.Fatalf("collector did not start: %q %v", line, err)
	}
	go func() { bufio.NewReader(stdout).WriteTo(os.Stdout) }()
	return cmd
}

func waitTimeout(t *testing.T, cmd *exec.Cmd, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
		}
	case <-time.After(d):
		cmd.Process.Kill()
		t.Fatalf("%s did not end within %v", strings.Join(cmd.Args, " "), d)
	}
}

func csvQuery(t *testing.T, out, sql string) string {
	t.Helper()
	code, stdout, stderr := tmon(t, "query", "--out", out, "--format", "csv", "--sql", sql)
	if code != 0 {
		t.Fatalf("query: %s", stderr)
	}
	return stdout
}

// TestTwoProcesses: a collector process and two probe processes replaying
// the one-way lab captures over UDP on 127.0.0.1, with HMAC keys, give the
// same oneway_delays as the in-process replay (issue 6).
func TestTwoProcesses(t *testing.T) {
	dir := filepath.Join(samples(t), "lab", "oneway-udp")
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "dist.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
interval_s: 10
probes:
  - {name: A, key: "secret-a"}
  - {name: B, key: "secret-b"}
collectors:
  - {name: central, address: "%s", min_gap_ms: 1}
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [A, B], signature_bits: 16, mask: [src_addr, src_port, l4_checksum], records: true}
`, freeUDPPort(t))), 0o644)
	outDist, outLocal := filepath.Join(tmp, "dist"), filepath.Join(tmp, "local")
	coll := startCollector(t, bin, cfg, outDist, "--idle-exit", "2s")
	var probes []*exec.Cmd
	for _, n := range []string{"A", "B"} {
		p := exec.Command(bin, "probe", "--config", cfg, "--name", n, "--pcap", filepath.Join(dir, n+".pcap"), "--speed", "20x")
		p.Stdout, p.Stderr = os.Stdout, os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		probes = append(probes, p)
	}
	for _, p := range probes {
		waitTimeout(t, p, 60*time.Second)
	}
	waitTimeout(t, coll, 30*time.Second)
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", outLocal, "--probe", "A="+filepath.Join(dir, "A.pcap"), "--probe", "B="+filepath.Join(dir, "B.pcap")); code != 0 {
		t.Fatal(stderr)
	}
	const q = "select class, flow, from_hop, to_hop, status, epoch_ns(send_time) s, epoch_ns(recv_time) r, delay_us, size_bytes from oneway_delays order by all"
	dist, local := csvQuery(t, outDist, q), csvQuery(t, outLocal, q)
	if dist != local {
		t.Errorf("oneway_delays differ between processes over UDP (%d bytes) and in-process replay (%d bytes)", len(dist), len(local))
	}
	if got := csvQuery(t, outDist, "select status, count(*) n from oneway_delays group by 1 order by 1"); got != "status,n\ndelivered,4941\nlost,59\n" {
		t.Errorf("statuses %q, want 4941 delivered and 59 lost (lab truth)", got)
	}
}

// TestCollectorRestart: the collector is stopped and restarted in the
// middle of a probe's run; the probe re-sends its definitions when the
// acknowledgements show a new collector epoch, so no flow's definition is
// lost: every flow with counters has its flows row (issue 6, design 3.2).
func TestCollectorRestart(t *testing.T) {
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap") // 10.9 s of capture
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	addr := freeUDPPort(t)
	os.WriteFile(cfg, []byte(fmt.Sprintf("interval_s: 1\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1, initial_timeout_s: 0.5}\n", addr)), 0o644)
	out := filepath.Join(tmp, "out")
	first := startCollector(t, bin, cfg, out, "--write-every", "200ms")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "4x")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	first.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, first, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	second := startCollector(t, bin, cfg, out, "--idle-exit", "2s", "--write-every", "200ms")
	waitTimeout(t, p, 60*time.Second)
	waitTimeout(t, second, 30*time.Second)
	missing := csvQuery(t, out, "select count(distinct flow_id) n from flow_counters where flow_id not in (select flow_id from flows)")
	if missing != "n\n0\n" {
		t.Errorf("flows with counters but no definition: %q", missing)
	}
	flows := csvQuery(t, out, "select count(distinct flow_id) n from flows")
	restarts := csvQuery(t, out, "select count(*) n from events where kind = 'collector_restart'")
	if flows != "n\n16\n" || restarts == "n\n0\n" {
		t.Errorf("distinct flows %q (tshark: 16 one-way 5-tuples), collector_restart events %q", flows, restarts)
	}
}
