package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/store"
)

// TestProbeRunsInARow: one collector process, the same probe run twice in
// a row (a restart: PDU ids start again at 1 under a new epoch); both
// captures are complete in the tables, each run's flows apart (issue
// 13.1): twice the packets and flows of an in-process replay of the
// capture, and one probe_restart event.
func TestProbeRunsInARow(t *testing.T) {
	t.Parallel()
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap")
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("interval_s: 1\nprobes: [{name: A}]\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1}\n", freeUDPPort(t))), 0o644)
	out, local := filepath.Join(tmp, "out"), filepath.Join(tmp, "local")
	coll := startCollector(t, bin, cfg, out, "--idle-exit", "3s", "--write-every", "200ms")
	for range 2 {
		p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "20x")
		p.Stdout, p.Stderr = os.Stdout, os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		waitTimeout(t, p, 2*time.Minute)
	}
	waitTimeout(t, coll, 2*time.Minute)
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", local, "--probe", "A="+capture); code != 0 {
		t.Fatal(stderr)
	}
	const q = "select (select sum(n) from flow_counters where metric = 'packets') packets, (select count(*) from flows) flows, (select count(distinct flow_id) from flows) ids"
	got, want := csvQuery(t, out, q), csvQuery(t, local, q)
	var wp, wf, wi int
	if _, err := fmt.Sscanf(want, "packets,flows,ids\n%d,%d,%d\n", &wp, &wf, &wi); err != nil {
		t.Fatalf("local replay: %q: %v", want, err)
	}
	if exp := fmt.Sprintf("packets,flows,ids\n%d,%d,%d\n", 2*wp, 2*wf, 2*wi); got != exp {
		t.Errorf("two runs into one collector: %q, want twice the replay's: %q", got, exp)
	}
	// the first run ended cleanly (its final report arrived): the new
	// run is normal, info (it was a warning)
	if n := csvQuery(t, out, "select severity, count(*) n from events where kind = 'probe_restart' group by 1"); n != "severity,n\ninfo,1\n" {
		t.Errorf("probe_restart events: %q, want one, info", n)
	}
}

// killConfig is the two-process run of TestKillCollector: probes A and B
// on the one-way UDP lab (reconciled across them) and C on the TCP mix,
// fast retries and no long retry mode while the collector is down.
const killConfig = `interval_s: 1
probes: [{name: A}, {name: B}, {name: C}]
collectors:
  - {name: central, address: %q, min_gap_ms: 1, initial_timeout_s: 0.2, timeout_increment_s: 0.1, timeout_multiplier: 1.2, max_retries: 1000, max_build_s: 0.2}
classes:
  - name: telemetry
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [A, B], signature_bits: 16, mask: [src_addr, src_port, l4_checksum], records: true}
  - name: tcp
    filter: "tcp"
    granularity: [src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, sizes, tcp, rtt]
`

// killProbes starts the three probe processes of killConfig.
func killProbes(t *testing.T, bin, cfg string) []*exec.Cmd {
	t.Helper()
	lab := filepath.Join(samples(t), "lab")
	var ps []*exec.Cmd
	for _, p := range []struct{ name, pcap string }{{"A", "oneway-udp/A.pcap"}, {"B", "oneway-udp/B.pcap"}, {"C", "tcp-mix/A.pcap"}} {
		c := exec.Command(bin, "probe", "--config", cfg, "--name", p.name, "--pcap", filepath.Join(lab, p.pcap), "--speed", "3x", "--linger", "60s")
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		ps = append(ps, c)
	}
	return ps
}

// tableRows returns every table of out as sorted CSV, events without
// the transport's own (pdu_*: retransmission and backlog events differ
// with the outages by design), without wall-clock liveness and without
// the collector's restarts and write failures (collector_recovered,
// collector_write_failed: an uninterrupted run has none).
func tableRows(t *testing.T, out string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, tab := range []string{"flows", "flow_counters", "size_histograms", "tcp_connections", "rtt_samples", "rtt_histograms", "oneway_delays", "oneway_latency", "oneway_loss"} {
		rows[tab] = csvQuery(t, out, "select * from "+tab+" order by all")
	}
	rows["events"] = csvQuery(t, out, "select * from events where kind not like 'pdu_%' and kind not in ('probe_silent', 'probe_alive', 'collector_recovered', 'collector_write_failed') and kind not in "+periodicKinds+" order by all")
	// the one-way counters a served collector reports at each drain: how
	// their growth splits across drains follows the drains (kills move
	// them); what they count in all must not
	rows["events (periodic one-way counters, summed)"] = csvQuery(t, out, "select source, kind, sum(count) n from events where kind in "+periodicKinds+" group by all order by all")
	return rows
}

// periodicKinds are the event kinds a served collector reports at every
// drain with their growth (collector.SetPeriodicReports), as a SQL list.
const periodicKinds = "('oneway_negative_delays', 'oneway_signature_collisions', 'oneway_late', 'oneway_evicted', 'oneway_flows_full', 'oneway_drop_notices_full', 'oneway_bad_hop', 'oneway_repeats')"

// TestKillCollector: the collector process of a two-process run is
// killed with SIGKILL at random moments and restarted from its output
// folder; every table ends row for row equal to that of a run that was
// never interrupted (issue 13.2: an acknowledgement means durable, the
// journal replays the rest; several seeds).
func TestKillCollector(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(killConfig, freeUDPPort(t))), 0o644)
	collectorArgs := []string{"--write-every", "100ms", "--silence", "1h"}

	ref := filepath.Join(tmp, "ref")
	coll := startCollector(t, bin, cfg, ref, append(collectorArgs, "--idle-exit", "2s")...)
	for _, p := range killProbes(t, bin, cfg) {
		waitTimeout(t, p, 90*time.Second)
	}
	waitTimeout(t, coll, 2*time.Minute)
	want := tableRows(t, ref)
	if strings.Count(want["oneway_delays"], "\n") < 4000 || strings.Count(want["tcp_connections"], "\n") < 5 {
		t.Fatalf("the reference run is too small to tell: %d delays", strings.Count(want["oneway_delays"], "\n"))
	}

	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 13))
		out := filepath.Join(tmp, fmt.Sprint("killed-", seed))
		probes := killProbes(t, bin, cfg)
		kills := 0
		for range 3 {
			c := startCollector(t, bin, cfg, out, collectorArgs...)
			time.Sleep(time.Duration(100+rng.IntN(1200)) * time.Millisecond)
			c.Process.Kill() // SIGKILL: no drain, no checkpoint
			c.Wait()
			kills++
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		}
		last := startCollector(t, bin, cfg, out, append(collectorArgs, "--idle-exit", "2s")...)
		for _, p := range probes {
			waitTimeout(t, p, 90*time.Second)
		}
		waitTimeout(t, last, 2*time.Minute)
		got := tableRows(t, out)
		for tab, w := range want {
			if g := got[tab]; g != w {
				t.Errorf("seed %d, %d kills: %s: %d rows, want %d (first difference near %q)", seed, kills, tab, strings.Count(g, "\n")-1, strings.Count(w, "\n")-1, firstDiff(g, w))
			}
		}
		rows, lost := 0, 0
		for tab, w := range want {
			rows += strings.Count(w, "\n") - 1
			lost += max(0, strings.Count(w, "\n")-strings.Count(got[tab], "\n"))
		}
		t.Logf("seed %d: %d kill -9, %d rows in %d tables compared, %d rows lost", seed, kills, rows, len(want), lost)
		var recovered int
		fmt.Sscanf(csvQuery(t, out, "select count(*) n from events where kind = 'collector_recovered'"), "n\n%d\n", &recovered)
		if recovered < 1 || recovered > kills {
			t.Errorf("seed %d: %d collector_recovered events after %d kills", seed, recovered, kills)
		}
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return la[i] + " <> " + lb[i]
		}
	}
	return ""
}

// TestTwoRunsOneFolder: two replay processes started into one --out at
// the same time: the second refuses at once, exit status non-zero and a
// message naming the first's process, and the first ends with its whole
// result (issue 13.7); a second collector process into a running
// collector's folder is refused the same way, and a replay into it as
// another command's output.
func TestTwoRunsOneFolder(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap") // 10.9 s: 2.2 s at 5x
	tmp := t.TempDir()
	out, solo := filepath.Join(tmp, "out"), filepath.Join(tmp, "solo")
	first := exec.Command(bin, "replay", "-q", "--out", out, "--speed", "5x", "--probe", "A="+capture)
	first.Stdout, first.Stderr = os.Stdout, os.Stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	// the first holds the folder: its lock file names it (store.LockName)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(filepath.Join(out, store.LockName)); string(b) == strconv.Itoa(first.Process.Pid)+"\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first replay did not lock %s within a minute", out)
		}
	}
	const busy = "another tmonbench run (process "
	refused := func(what, msg string, args ...string) {
		t.Helper()
		b, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(string(b), msg) {
			t.Errorf("%s: %v, output %q; want a non-zero exit saying %q", what, err, b, msg)
		}
	}
	refused("second replay", busy, "replay", "-q", "--out", out, "--probe", "A="+capture)
	waitTimeout(t, first, 2*time.Minute)
	if code, _, stderr := tmon(t, "replay", "-q", "--out", solo, "--probe", "A="+capture); code != 0 {
		t.Fatal(stderr)
	}
	const q = "select (select count(*) from flows) flows, (select sum(n) from flow_counters where metric = 'packets') packets, (select count(*) from tcp_connections) conns"
	if got, want := csvQuery(t, out, q), csvQuery(t, solo, q); got != want {
		t.Errorf("the first replay's output: %q, want that of a replay alone: %q", got, want)
	}

	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte("probes: [{name: A}]\n"), 0o644)
	col := filepath.Join(tmp, "col")
	startCollector(t, bin, cfg, col, "--listen", freeUDPPort(t))
	refused("second collector", busy, "collector", "--config", cfg, "--out", col, "--listen", freeUDPPort(t))
	refused("replay into a running collector's folder", "is the output of tmonbench collector", "replay", "-q", "--out", col, "--probe", "A="+capture)
}
