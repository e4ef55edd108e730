package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// buildBinary compiles tmonbench once per test binary (testout.Binary).
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	return testout.Binary(t)
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
	return startCollectorTee(t, nil, bin, cfg, out, extra...)
}

// startCollectorTee is startCollector with the collector's stdout and
// stderr also copied into tee (when not nil).
func startCollectorTee(t *testing.T, tee *lockedBuffer, bin, cfg, out string, extra ...string) *exec.Cmd {
	t.Helper()
	return startCollectorIn(t, nil, tee, bin, cfg, out, extra...)
}

// startCollectorIn is startCollectorTee in network namespace ns (nil: the
// test's own).
func startCollectorIn(t *testing.T, ns *netlab.NS, tee *lockedBuffer, bin, cfg, out string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"collector", "--config", cfg, "--out", out}, extra...)
	cmd := exec.Command(bin, args...)
	if ns != nil {
		cmd = ns.Command(bin, args...)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var rest, errs io.Writer = os.Stdout, os.Stderr
	if tee != nil {
		rest, errs = io.MultiWriter(os.Stdout, tee), io.MultiWriter(os.Stderr, tee)
	}
	cmd.Stderr = errs
	startKilled(t, cmd)
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on") {
		t.Fatalf("collector did not start: %q %v", line, err)
	}
	if tee != nil {
		tee.Write([]byte(line))
	}
	go func() { r.WriteTo(rest) }()
	return cmd
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
// same oneway_delays as the in-process replay (issue 6); probe B runs on 3
// workers (--workers 3).
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
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
		args := []string{"probe", "--config", cfg, "--name", n, "--pcap", filepath.Join(dir, n+".pcap"), "--speed", "20x"}
		if n == "B" {
			args = append(args, "--workers", "3") // the same observations from probe.Workers
		}
		p := exec.Command(bin, args...)
		p.Stdout, p.Stderr = os.Stdout, os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		probes = append(probes, p)
	}
	for _, p := range probes {
		waitTimeout(t, p, 2*time.Minute)
	}
	waitTimeout(t, coll, 2*time.Minute)
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
	for _, out := range []string{outDist, outLocal} {
		noSecret(t, out, "secret-a", "secret-b")
	}
}

// noSecret fails when any file under dir (run.json, tables, a collector's
// journal) holds one of the secrets: run.json records the configuration
// with its probe keys redacted (config.RedactedYAML).
func noSecret(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the key %q", path, s)
			}
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walk %s: %d files, %v", dir, files, err)
	}
	if m, err := os.ReadFile(filepath.Join(dir, "run.json")); err != nil || !bytes.Contains(m, []byte("key: "+config.RedactedKey)) {
		t.Errorf("%s/run.json does not say its keys were redacted: %v", dir, err)
	}
}

// TestCollectorRestart: the collector is stopped (SIGTERM) and restarted
// in the middle of a probe's run. It keeps its state in its journal
// (issue 13), so it comes back under the same epoch: the probe sees no
// restart, and every flow is written exactly once, with its definition.
func TestCollectorRestart(t *testing.T) {
	t.Parallel()
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap") // 10.9 s of capture
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	addr := freeUDPPort(t)
	os.WriteFile(cfg, []byte(fmt.Sprintf("interval_s: 1\nprobes: [{name: A}]\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1, initial_timeout_s: 0.5, timeout_increment_s: 0.1, timeout_multiplier: 1}\n", addr)), 0o644)
	out := filepath.Join(tmp, "out")
	var firstSaid lockedBuffer
	first := startCollectorTee(t, &firstSaid, bin, cfg, out, "--write-every", "200ms")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "4x")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	// in the middle of the probe's run: once its PDUs arrive (it slept
	// 1.2 s, which a loaded machine can spend starting the probe)
	waitSaid(t, []*lockedBuffer{&firstSaid}, "probe connected")
	first.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, first, 2*time.Minute)
	time.Sleep(300 * time.Millisecond)
	// Retries stay 0.6 s apart and the idle exit waits longer than that
	// on a loaded machine: a probe backing off past --idle-exit would
	// find no collector (the test failed so under go test ./...).
	var said lockedBuffer
	second := startCollectorTee(t, &said, bin, cfg, out, "--idle-exit", "5s", "--write-every", "200ms")
	waitTimeout(t, p, 2*time.Minute)
	waitTimeout(t, second, 2*time.Minute)
	// The restarted collector says which PDUs of its summary came from
	// before it (restored from the state folder), and a probe it knows from
	// there is "restored", not "connected" (both read as new traffic).
	// (the count is the first collector's: "1 PDU" when SIGTERM came
	// after its first, counted nouns since pkt.Nouns; CI failed so once)
	if s := said.String(); !regexp.MustCompile(`and [1-9][0-9]* PDUs? before this process started: restored from its state folder\)`).MatchString(s) || strings.Contains(s, "probe connected") {
		t.Errorf("restarted collector said:\n%s", s)
	}
	missing := csvQuery(t, out, "select count(distinct flow_id) n from flow_counters where flow_id not in (select flow_id from flows)")
	if missing != "n\n0\n" {
		t.Errorf("flows with counters but no definition: %q", missing)
	}
	flows := csvQuery(t, out, "select count(*) n, count(distinct flow_id) d from flows")
	restarts := csvQuery(t, out, "select count(*) n from events where kind = 'collector_restart'")
	if flows != "n,d\n16,16\n" || restarts != "n\n0\n" {
		t.Errorf("flows rows and distinct ids %q (tshark: 16 one-way 5-tuples, each once), collector_restart events %q (the state was kept: none)", flows, restarts)
	}
}

// readmeOneway is what the README shows for `tmonbench query --format csv
// --wide oneway` after the separate-process recipe (and the in-process replay
// with samples/oneway-lab.yaml): the lab truth is 4941 delivered, 59 lost.
const readmeOneway = `class,flow,from_hop,to_hop,from_hop_index,to_hop_index,interval_start,sent,delivered,lost,missed,dropped,duplicates,loss_pct,min_us,p50_us,p90_us,p99_us,max_us,mean_us
telemetry,*>198.51.100.10:9000,A,B,0,1,2026-11-29T14:57:00.000000000Z,3769,3723,46,0,0,0,1.22,5,59.1,92274.7,159383.6,176644,25288.5
telemetry,*>198.51.100.10:9000,A,B,0,1,2026-11-29T14:57:10.000000000Z,1231,1218,13,0,0,0,1.056,5,59.1,75497.5,107479,109706,17702.7
`

// TestREADMERecipeQueryWhileRunning runs the README's separate-process
// recipe with samples/dist.yaml (its address moved to a free port, the
// probes at 4x): a collector process and probes A and B over UDP on
// 127.0.0.1. Every table exists as soon as the collector starts; once
// the probes have ended, their one-way results, flows and pdu_stats are
// there at once while the collector still runs (no SIGTERM needed, its
// --write-every 1h never due): the collector writes a probe's rows when
// its final report arrives, before acknowledging it, and a probe ends
// once acknowledged. The first query gives the README's numbers and says
// the run is still going.
func TestREADMERecipeQueryWhileRunning(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := filepath.Join(samples(t), "lab", "oneway-udp")
	tmp := t.TempDir()
	text, err := os.ReadFile(filepath.Join("..", "..", "samples", "dist.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(tmp, "dist.yaml")
	os.WriteFile(cfg, []byte(strings.Replace(string(text), "127.0.0.1:4739", freeUDPPort(t), 1)), 0o644)
	out := filepath.Join(tmp, "tmon-out")
	coll := startCollector(t, bin, cfg, out, "--write-every", "1h")
	query := func(args ...string) (stdout, stderr string) {
		var o, e strings.Builder
		q := exec.Command(bin, append([]string{"query", "--out", out, "--format", "csv"}, args...)...)
		q.Stdout, q.Stderr = &o, &e
		if err := q.Run(); err != nil {
			t.Fatalf("query %v: %v\n%s", args, err, e.String())
		}
		return o.String(), e.String()
	}
	if got, _ := query("--sql", "select count(*) n from (select 1 from oneway_loss union all select 1 from pdu_stats union all select 1 from tcp_connections)"); got != "n\n0\n" {
		t.Errorf("tables before any probe: %q, want them all empty", got)
	}
	var probes []*exec.Cmd
	var lasts []*strings.Builder
	for _, n := range []string{"A", "B"} {
		p := exec.Command(bin, "probe", "--config", cfg, "--name", n, "--pcap", filepath.Join(dir, n+".pcap"), "--speed", "4x")
		var last strings.Builder
		p.Stdout, p.Stderr = &last, os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		probes, lasts = append(probes, p), append(lasts, &last)
	}
	for _, p := range probes {
		waitTimeout(t, p, 2*time.Minute)
	}
	docsProbeLines(t, lasts[0].String()+lasts[1].String())
	got, note := query("--wide", "oneway")
	if got != readmeOneway {
		t.Fatalf("query --wide oneway while the collector runs:\n%s\nwant (README):\n%s", got, readmeOneway)
	}
	if !strings.Contains(note, "still running") || !strings.Contains(note, "(a flow's row is written when it ends: idle, evicted or at the end of the run; its flow_counters rows as each interval closes)") {
		t.Errorf("the query did not say the collector is still running and when flows rows come: %q", note)
	}
	if got, _ := query("--sql", "select probe, sum(packets) p from flows where class = 'all' group by 1 order by 1"); got != "probe,p\nA,5000\nB,4941\n" {
		t.Errorf("flows of the finished probes: %q (capinfos: 5000 and 4941 packets)", got)
	}
	if got, _ := query("--sql", "select probe, pdus > 0 and overhead_pct < 1 ok from pdu_stats where pdu_type = 'packet_obs' order by 1"); got != "probe,ok\nA,true\nB,true\n" {
		t.Errorf("pdu_stats of the finished probes: %q (design 1.3: under 1 %% of the traffic)", got)
	}
	if coll.ProcessState != nil {
		t.Fatal("the collector stopped on its own")
	}
	coll.Process.Signal(syscall.SIGTERM)
	waitTimeout(t, coll, 2*time.Minute)
	if _, note := query("oneway"); strings.Contains(note, "still running") {
		t.Errorf("after SIGTERM the query still says running: %q", note)
	}
}

// TestQueryRunningReplay: a replay at real speed writes its tables as it
// goes (every 5 s of capture time, into a staging folder inside --out);
// `tmonbench query` during the run reads the counters written so far and
// says the replay is still running; afterwards the output holds the whole
// run and the note is gone.
func TestQueryRunningReplay(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "tmon-out")
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap") // 10.9 s of capture, 6436 packets (capinfos)
	// at real speed (it was 2x): the tables are first written 5 s of
	// capture time in, and the replay ends at 10.9 s: a window of 3 s of
	// wall time at 2x, which a loaded machine's query process (start,
	// DuckDB) could miss
	r := exec.Command(bin, "replay", "-q", "--out", out, "--interval", "1", "--speed", "realtime", capture)
	r.Stdout, r.Stderr = os.Stdout, os.Stderr
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Process.Kill(); r.Wait() })
	query := func(sql string) (stdout, stderr string, err error) {
		var o, e strings.Builder
		q := exec.Command(bin, "query", "--out", out, "--format", "csv", "--sql", sql)
		q.Stdout, q.Stderr = &o, &e
		err = q.Run()
		return o.String(), e.String(), err
	}
	seen := false
	var got, note string
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !seen; time.Sleep(200 * time.Millisecond) {
		got, note, err = query("select count(*) > 0 any_rows from flow_counters")
		seen = err == nil && got == "any_rows\ntrue\n" && strings.HasPrefix(note, "tmonbench query: the replay writing") && strings.Contains(note, "still running")
	}
	if !seen {
		t.Fatalf("no counters readable, with the running note, while the replay ran: last %q %q %v", got, note, err)
	}
	waitTimeout(t, r, 2*time.Minute)
	got, note, err = query("select sum(packets) p from flows where class = 'all'")
	if err != nil || got != "p\n6436\n" || strings.Contains(note, "running") {
		t.Errorf("after the replay: %q %q %v; want the 6436 packets and no running note", got, note, err)
	}
}

// TestProbeWarnsConfigFaults: a collector's faults in the config (loss,
// dup, reorder, corrupt, outages) act on tmonbench replay's in-process
// link only; a probe process sent over UDP without them and without a
// word (a trial: faults {dup: 0.5} gave "0 duplicates" at the collector,
// {loss: 0.5} 0 retransmissions). The probe now says so on stderr, once
// per such collector, and not for one without faults.
func TestProbeWarnsConfigFaults(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "f.yaml")
	os.WriteFile(cfg, []byte("probes: [{name: A}]\ncollectors:\n  - {name: c, address: \""+freeUDPPort(t)+"\", faults: {dup: 0.5, seed: 3}}\n  - {name: d, address: \""+freeUDPPort(t)+"\"}\n"), 0o644)
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	_, _, stderr := tmon(t, "probe", "--config", cfg, "--name", "A", "--pcap", wiki, "--speed", "full", "--linger", "100ms", "--state-dir", "")
	want := "tmonbench probe: warning: collector c: its faults (loss 0, dup 0.5, reorder 0, corrupt 0, 0 outages) are injected only on tmonbench replay's in-process link: this probe sends to it over UDP without them"
	if n := strings.Count(stderr, "its faults ("); n != 1 || !strings.Contains(stderr, want) {
		t.Errorf("probe stderr (%d fault warnings):\n%s\nwant once: %s", n, stderr, want)
	}
}

// TestCollectorDefaultOutAfterReplay: a newcomer's `tmonbench replay FILE`
// then `tmonbench collector --config C`, both without --out, in the same
// folder: the collector starts (its default folder is its own,
// ./tmon-collector) instead of refusing the replay's ./tmon-out, which
// stays the replay's.
func TestCollectorDefaultOutAfterReplay(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	tmp := t.TempDir()
	pcap, err := filepath.Abs(filepath.Join("..", "..", "samples", "zeek_ntp.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := filepath.Abs(filepath.Join("..", "..", "samples", "dist.yaml"))
	rep := exec.Command(bin, "replay", "-q", pcap)
	rep.Dir = tmp
	if b, err := rep.CombinedOutput(); err != nil {
		t.Fatalf("replay: %v\n%s", err, b)
	}
	coll := exec.Command(bin, "collector", "--config", cfg, "--listen", freeUDPPort(t))
	coll.Dir = tmp
	var errs lockedBuffer
	coll.Stderr = &errs
	stdout, err := coll.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := coll.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coll.Process.Kill(); coll.Wait() })
	r := bufio.NewReader(stdout)
	line, _ := r.ReadString('\n')
	if want := filepath.Join(tmp, "tmon-collector"); !strings.Contains(line, "listening on") || !strings.Contains(line, "writing to "+want) {
		t.Fatalf("collector after a replay, both on their default --out: %q (stderr %q); want it listening and writing to %s", line, errs.String(), want)
	}
	// A SIGTERM sent as soon as the listening line is read ends the run
	// cleanly (its handler is set before the line: it once was after, and
	// such a signal killed the collector without its summary).
	coll.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(r)
	if err := coll.Wait(); err != nil || !strings.Contains(string(rest), "frames received") {
		t.Errorf("collector stopped by SIGTERM right after its listening line: %v, stdout %q, stderr %q; want exit 0 and its summary", err, rest, errs.String())
	}
	for dir, mode := range map[string]string{"tmon-out": "replay", "tmon-collector": "collector"} {
		b, err := os.ReadFile(filepath.Join(tmp, dir, "run.json"))
		if err != nil || !strings.Contains(string(b), `"mode": "`+mode+`"`) {
			t.Errorf("%s/run.json: %v; want mode %s: %s", dir, err, mode, b)
		}
	}
}

// TestCollectorOldDefaultOutWarned: a collector's output in ./tmon-out (the
// collector's default --out before 2026-12-06) is not taken over silently by
// a collector started without --out, which writes ./tmon-collector: its
// stderr says where the old output is and how to go on appending there (a
// review: an upgrade would split the history without a word).
func TestCollectorOldDefaultOutWarned(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg, _ := filepath.Abs(filepath.Join("..", "..", "samples", "dist.yaml"))
	run := func(extra ...string) string {
		coll := exec.Command(bin, append([]string{"collector", "--config", cfg, "--listen", freeUDPPort(t)}, extra...)...)
		coll.Dir = tmp
		var errs lockedBuffer
		coll.Stderr = &errs
		stdout, err := coll.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := coll.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(stdout)
		if line, _ := r.ReadString('\n'); !strings.Contains(line, "listening on") {
			coll.Process.Kill()
			coll.Wait()
			t.Fatalf("collector %v did not start: %q, stderr %q", extra, line, errs.String())
		}
		coll.Process.Signal(syscall.SIGTERM)
		io.ReadAll(r)
		if err := coll.Wait(); err != nil {
			t.Fatalf("collector %v stopped by SIGTERM: %v, stderr %q", extra, err, errs.String())
		}
		return errs.String()
	}
	if errs := run("--out", "tmon-out"); strings.Contains(errs, "holds a collector's output") {
		t.Errorf("collector with --out tmon-out warned: %q", errs)
	}
	const want = "./tmon-out holds a collector's output (the default --out before 2026-12-06); this run writes ./tmon-collector: give --out ./tmon-out to append there"
	if errs := run(); !strings.Contains(errs, want) {
		t.Errorf("collector without --out beside an old collector's ./tmon-out: stderr %q; want %q", errs, want)
	}
}

// docsProbeLines: the probes' last lines (stdout) are docs/processes.md's,
// their wall time aside: the PDUs are built on capture time, the same at
// 4x as at realtime. The fifth trial's D3: the doc said 26 and 28 PDUs
// where the recipe gives 27 and 29 (as the collector's "PDUs accepted").
func docsProbeLines(t *testing.T, stdout string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "processes.md"))
	if err != nil {
		t.Fatal(err)
	}
	took := regexp.MustCompile(` in [0-9.]+ s;`)
	var doc []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "tmonbench probe A: ") || strings.HasPrefix(l, "tmonbench probe B: ") {
			doc = append(doc, took.ReplaceAllString(l, " in X s;"))
		}
	}
	got := strings.Split(took.ReplaceAllString(strings.TrimSpace(stdout), " in X s;"), "\n")
	if len(doc) != 2 || strings.Join(got, "\n") != strings.Join(doc, "\n") {
		t.Errorf("probes' last lines:\n%s\ndocs/processes.md's:\n%s", strings.Join(got, "\n"), strings.Join(doc, "\n"))
	}
}
