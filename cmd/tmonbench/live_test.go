//go:build linux

package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testdb"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// TestMain removes the tmonbench binary the live tests share
// (testout.Binary builds it once per test binary).
func TestMain(m *testing.M) {
	abandonChild() // a child process of TestReplayAbandonWhileWriting: never returns
	os.Exit(testout.Main(m))
}

// startLive starts `tmonbench live` (bin) inside ns and waits for its
// "capturing on" line.
func startLive(t *testing.T, ns *netlab.NS, bin string, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	return startBinIn(t, ns, bin, "capturing on", append([]string{"live"}, args...)...)
}

// stopLive sends SIGTERM and checks the exit status is 0 and that stderr
// said the capture stopped and what a second signal does, after the
// command's name ("tmonbench live NAME: terminated: ...", as its summary
// line, not "tmonbench: live NAME: ...").
func stopLive(t *testing.T, cmd *exec.Cmd, stderr *strings.Builder) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("live after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), ": terminated: capture stopped; writing what was captured: a second signal aborts") || strings.Contains(stderr.String(), "tmonbench: live") {
		t.Errorf("live after SIGTERM said:\n%s", stderr.String())
	}
}

func openOut(t *testing.T, out string) *sql.DB {
	t.Helper()
	return testdb.Open(t, out)
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

const liveLabConfig = `interval_s: 1
classes:
  - name: lab
    filter: "net 192.0.2.0/24"
    granularity: [protocol, src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, tcp, rtt]
`

// TestLiveNetns runs `tmonbench live` on B's end of a veth link while the
// generator sends its mix from A (ICMP echo, UDP at a fixed rate, a DNS
// query and answer, a 256 KiB TCP transfer). While the capture runs, the
// tables written so far already answer queries; then a last burst of
// datagrams is followed at once by SIGTERM: the command exits 0 and the
// tables hold, exactly, the packets and IP bytes of every flow the
// generator made (the burst included: nothing before the signal is
// lost), the TCP connection with its 262144 payload bytes, and an RTT
// sample per echo, for the DNS query and the handshake, each no larger
// than what the generator measured end to end.
func TestLiveNetns(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	out := filepath.Join(dir, "out")
	cmd, stderr := startLive(t, lab.B, bin, "-i", lab.IfB, "--config", cfg, "--out", out, "--name", "labB", "--write-every", "300ms", "--metrics", "127.0.0.1:9464")
	truth, err := lab.Send(netlab.Mix{Pings: 5, UDP: 50, UDPSize: 200, UDPGap: time.Millisecond, TCPBytes: 256 << 10, DNS: true})
	if err != nil {
		t.Fatal(err)
	}
	// Queryable while running: the first intervals are written.
	deadline := time.Now().Add(time.Minute) // generous: CI machines may be loaded
	for {
		if db, err := queries.Open(out); err == nil {
			var n int64
			err := db.QueryRow("SELECT count(*) FROM flow_counters").Scan(&n) // no such view until written
			db.Close()
			if err == nil && n > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no flow_counters rows while running\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Metrics scrape (inside B's namespace, where the server listens).
	var sent uint64
	for _, f := range truth.Flows {
		sent += f.Packets
	}
	// The engines' counters are copied once a second: scrape until they
	// show every generator packet (a minute bounds a hang).
	iface := `{interface="` + lab.IfB + `",probe="labB"}`
	var m map[string]float64
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		m = scrape(t, lab.B, "127.0.0.1:9464")
		if m[`tmonbench_probe_packets_total{probe="labB"}`] >= float64(sent) && m[`tmonbench_pdu_acked_total{collector="collector",probe="labB"}`] > 0 || time.Now().After(deadline) {
			break
		}
	}
	if m["tmonbench_capture_delivered_packets_total"+iface] < float64(sent) || m["tmonbench_capture_kernel_drops_total"+iface] != 0 ||
		m[`tmonbench_probe_packets_total{probe="labB"}`] < float64(sent) || m[`tmonbench_pdu_acked_total{collector="collector",probe="labB"}`] == 0 ||
		m[`tmonbench_pdu_long_retry{collector="collector",probe="labB"}`] != 0 {
		t.Errorf("metrics after %d generator packets:\n%v", sent, m)
	}
	// The channel's backlog gauges are exported (a quiet lab link: none;
	// the backlog itself is engine/pdu TestBacklogEvent's).
	for _, n := range []string{"tmonbench_pdu_queued", "tmonbench_pdu_backlog", "tmonbench_pdu_backlog_entries_total"} {
		if v, ok := m[n+`{collector="collector",probe="labB"}`]; !ok || v != 0 {
			t.Errorf("%s: %v %v, want 0", n, v, ok)
		}
	}
	// One-way records pending: reported (the lab class has no one-way
	// analysis: 0; the values are checked by engine/pipeline
	// TestObserveOnewayPending).
	if v, ok := m[`tmonbench_collector_oneway_pending_packets{collector="collector"}`]; !ok || v != 0 {
		t.Errorf("metrics after %d generator packets:\n%v", sent, m)
	}
	burst, err := lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), 40, 300, 0, 9001)
	if err != nil {
		t.Fatal(err)
	}
	stopLive(t, cmd, stderr)
	if m, err := store.ReadManifest(out); err != nil || m.Mode != store.ModeLive {
		t.Errorf("run.json mode %q (%v), want %q", m.Mode, err, store.ModeLive)
	}
	if _, err := os.Stat(filepath.Join(out, "_manifest.json")); err != nil { // live wrote none
		t.Errorf("no dataset manifest: %v", err)
	}
	db := openOut(t, out)
	for _, f := range append(truth.Flows, burst) {
		if f.Packets == 0 {
			continue
		}
		q := `SELECT sum(packets), sum(bytes) FROM flows WHERE class = 'lab' AND protocol = ? AND src_addr = ? AND dst_addr = ? AND src_port = ? AND dst_port = ?`
		var pk, by sql.NullInt64
		if err := db.QueryRow(q, f.Proto, f.Src.Addr().String(), f.Dst.Addr().String(), f.Src.Port(), f.Dst.Port()).Scan(&pk, &by); err != nil {
			t.Fatal(err)
		}
		if uint64(pk.Int64) != f.Packets || uint64(by.Int64) != f.IPBytes {
			t.Errorf("flow %v > %v (%d): %d packets %d bytes, generator sent %d packets %d bytes", f.Src, f.Dst, f.Proto, pk.Int64, by.Int64, f.Packets, f.IPBytes)
		}
	}
	var tcpSrc netip.AddrPort
	for _, f := range truth.Flows {
		if f.Proto == 6 && f.Payload > 0 {
			tcpSrc = f.Src
		}
	}
	var payload, srvPayload int64
	var state string
	if err := db.QueryRow(`SELECT client_payload_bytes, server_payload_bytes, conn_state FROM tcp_connections WHERE client_port = ?`, tcpSrc.Port()).Scan(&payload, &srvPayload, &state); err != nil {
		t.Fatalf("TCP connection from %v: %v", tcpSrc, err)
	}
	if payload != 256<<10 || srvPayload != 0 || state != "SF" {
		t.Errorf("TCP connection: client payload %d, server %d, state %s; want 262144, 0, SF", payload, srvPayload, state)
	}
	maxRTT := 0.0
	for _, r := range truth.PingRTTs {
		maxRTT = max(maxRTT, float64(r)/1e6)
	}
	rows, err := db.Query(`SELECT kind, rtt_ms FROM rtt_samples ORDER BY request_time`)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for rows.Next() {
		var k string
		var ms float64
		rows.Scan(&k, &ms)
		kinds[k]++
		if ms <= 0 || strings.Contains(k, "icmp") && ms > maxRTT {
			t.Errorf("rtt sample %s %.3f ms (the generator measured at most %.3f ms)", k, ms, maxRTT)
		}
	}
	rows.Close()
	t.Logf("rtt samples by kind: %v", kinds)
	if len(kinds) < 3 {
		t.Errorf("rtt samples %v: want echo, DNS and TCP handshake samples", kinds)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'capture_stop' AND message LIKE '%0 dropped by the kernel%'`); n != 1 {
		t.Errorf("%d capture_stop events without drops", n)
	}
}

// TestLiveOneWay runs `tmonbench live` on both interfaces of a router
// between A and C: every datagram from A to C is seen at R0 then R1, on
// the same clock, and the collector matches them into one-way delay rows,
// one per datagram, each with the times the capture itself gave the
// datagram at R0 and R1 (the test's own capture of the two interfaces:
// the kernel stamps a frame once for every packet socket) and their
// difference as its delay. The delay is the router's: its forwarding,
// which a loaded machine's ksoftirqd runs late, is what is measured, not
// the product (the bound of 20 ms this test had was the machine's load);
// so no bound on it, only the capture's own times, and none negative.
func TestLiveOneWay(t *testing.T) {
	t.Parallel()
	lab := netlab.NewRouted(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "oneway.yaml")
	os.WriteFile(cfg, []byte(`interval_s: 1
classes:
  - name: path
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [counters, oneway]
    oneway:
      hops: [labR/r0, labR/r1]
      signature_bits: 32
      timeout_s: 2
      records: true
`), 0o644)
	out := filepath.Join(dir, "out")
	watch := watchNet(t, lab.R, lab.R0, lab.R1) // before live: it sees a frame after live's rings
	cmd, stderr := startLive(t, lab.R, bin, "-i", lab.R0, "-i", lab.R1, "--config", cfg, "--out", out, "--name", "labR")
	const n = 30
	if _, err := netlab.UDP(lab.A, lab.C, lab.AddrA, lab.AddrC, 9000, n, 120, 2*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// datagram number -> its capture times at R0 and R1
	at := func(pkts []watched) map[uint32][2]int64 {
		m := map[uint32][2]int64{}
		for _, p := range pkts {
			if p.proto == 17 && p.dst.Port() == 9000 && p.iface < 2 {
				ts := m[p.head]
				ts[p.iface] = p.timeNs
				m[p.head] = ts
			}
		}
		return m
	}
	watch.waitFor(t, "the datagrams at R0 and R1", func(pkts []watched) bool {
		full := 0
		for _, ts := range at(pkts) {
			if ts[0] != 0 && ts[1] != 0 {
				full++
			}
		}
		return full == n
	})
	stopLive(t, cmd, stderr)
	want := map[[2]int64]bool{}
	for _, ts := range at(watch.seen()) {
		want[ts] = true
	}
	db := openOut(t, out)
	rows, err := db.Query(`SELECT epoch_ns(send_time), epoch_ns(recv_time), delay_us FROM oneway_delays WHERE status = 'delivered'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	matched, maxUs := 0, 0.0
	for rows.Next() {
		var ts [2]int64
		var us float64
		if err := rows.Scan(&ts[0], &ts[1], &us); err != nil {
			t.Fatal(err)
		}
		matched, maxUs = matched+1, max(maxUs, us)
		if !want[ts] || us < 0 || math.Abs(us-float64(ts[1]-ts[0])/1e3) > 1e-3 {
			t.Errorf("one-way record sent %d, received %d ns, delay %.3f µs: not a datagram's times at R0 and R1 as captured (or a negative delay)", ts[0], ts[1], us)
		}
		delete(want, ts)
	}
	t.Logf("%d one-way records, delays up to %.1f µs", matched, maxUs)
	if matched != n || len(want) != 0 {
		t.Errorf("%d delivered one-way records, want one per datagram (%d); %d datagrams without one\n%s", matched, n, len(want), stderr.String())
	}
}

// scrape reads the Prometheus text exposition at addr/metrics from inside
// ns: metric{labels} -> value.
func scrape(t *testing.T, ns *netlab.NS, addr string) map[string]float64 {
	t.Helper()
	var conn net.Conn
	if err := ns.Do(func() (err error) {
		conn, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

// TestLiveSNMPTraps runs `tmonbench live` on lo with --snmp-trap to a
// trap listener of the test: every event row (probe_start, probe_stop,
// capture_stop) also arrives as an SNMPv2c trap with its kind, severity,
// source and message.
func TestLiveSNMPTraps(t *testing.T) {
	netlab.Need(t)
	bin := testout.Binary(t)
	addr, got := trapListener(t)
	out := filepath.Join(t.TempDir(), "out")
	c := exec.Command(bin, "live", "-i", "lo", "--out", out, "--name", "traps", "--snmp-trap", addr)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var cerr strings.Builder
	c.Stderr = &cerr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	// Traffic on lo once it captures (however long the start takes under
	// load), so the probe starts; then SIGTERM.
	r := bufio.NewReader(stdout)
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "capturing on") {
		t.Fatalf("live did not start: %q %v\n%s", line, err, cerr.String())
	}
	go r.WriteTo(io.Discard)
	u, err := net.Dial("udp", "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		time.Sleep(50 * time.Millisecond)
		u.Write([]byte("tmonbench trap test"))
	}
	u.Close()
	c.Process.Signal(syscall.SIGTERM)
	if err := c.Wait(); err != nil {
		t.Fatalf("%v: %s", err, cerr.String())
	}
	base := trapBase
	kinds := map[string]map[string]string{}
	timeout := time.After(time.Minute) // sent before live exited: only bounds a hang
	have := func() bool {
		return kinds["probe_start"] != nil && kinds["probe_stop"] != nil && kinds["capture_stop"] != nil
	}
	for !have() {
		select {
		case v := <-got:
			kinds[v[base+".1.1"]] = v
		case <-timeout:
			t.Fatalf("traps received within a minute: %v, want probe_start, probe_stop and capture_stop", kinds)
		}
	}
	for _, k := range []string{"probe_start", "probe_stop", "capture_stop"} {
		v, ok := kinds[k]
		if !ok || v[base+".1.3"] != "probe:traps" || v[base+".1.2"] != "info" || v[base+".1.4"] == "" {
			t.Errorf("trap %s: %v", k, v)
		}
	}
}

// TestLiveSwitchOver edits the config of a running `tmonbench live`: an
// invalid version is rejected with an event and the running one goes on;
// a valid one with valid_from 2 s ahead takes effect then, in the
// probe and the collector together: class a (UDP port 9101) counts packets
// only before valid_from, class b (port 9102) only from it, and the events
// mark the glitch (config_accepted, config_switch_stop, config_switch_start),
// in the order they happened among probe_stop and probe_start; --interval 2
// holds for both versions (their interval_s: 1 overridden); run.json then
// holds version 2 (hash, text as it ran, since its switch).
func TestLiveSwitchOver(t *testing.T) {
	netlab.Need(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "live.yaml")
	version := func(class, port, validFrom string) string {
		v := "interval_s: 1\n"
		if validFrom != "" {
			v += "valid_from: " + validFrom + "\n"
		}
		return v + "classes:\n  - name: " + class + "\n    filter: \"udp port " + port + "\"\n    granularity: [protocol, dst_port]\n    analyses: [counters]\n"
	}
	os.WriteFile(cfg, []byte(version("a", "9101", "")), 0o644)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "live", "-i", "lo", "--config", cfg, "--out", out, "--name", "sw", "--write-every", "200ms", "--interval", "2")
	stdout, _ := cmd.StdoutPipe()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	startKilled(t, cmd)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.Contains(line, "capturing on") {
		t.Fatalf("live did not start: %q %v %s", line, err, stderr.String())
	}
	validFrom, _ := switchUnderTraffic(t, cfg, version, nil, &stderr)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	v2, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := openOut(t, out)
	checkSwitchBoundary(t, db, validFrom)
	for k, want := range map[string]int64{"config_rejected": 2, "config_accepted": 1, "config_switch_stop": 1, "config_switch_start": 1, "capture_stop": 1} {
		if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = ?`, k); n != want {
			t.Errorf("%d %s events, want %d", n, k, want)
		}
	}
	checkSwitchOrder(t, db, "probe:sw")
	// --interval 2 overrides interval_s: 1 of both versions
	if n := queryInt(t, db, `SELECT count(*) FROM flow_counters WHERE interval_s <> 2`); n != 0 || queryInt(t, db, `SELECT count(*) FROM flow_counters`) == 0 {
		t.Errorf("%d flow_counters rows with an interval_s other than --interval 2", n)
	}
	v2.SetIntervalS(2) // run.json: version 2 as it ran, --interval applied
	if m, err := store.ReadManifest(out); err != nil || m.ConfigHash != v2.Hash() || m.Config != string(pdu.EffectiveConfig(v2).RedactedYAML()) || m.ConfigSince.Before(validFrom) {
		t.Errorf("run.json after the switch (valid_from %v, version 2 %s): %v config %s since %v", validFrom, v2.Hash(), err, m.ConfigHash, m.ConfigSince)
	}
	checkSwitchLines(t, "live", stderr.String(), cfg)
}

// checkSwitchOrder: the events of one switch-over at source (a LIKE pattern), in the
// events table's order (queries/events.sql: by time, source, kind), read
// as they happened: the new version accepted, the old one stops, its
// probe stops, the new probe starts, the new version is in effect (a
// trial read probe_stop, probe_start, config_switch_stop,
// config_switch_start, config_accepted: the stop stamped with the wall
// clock at the end of the run, the start at the new probe's time,
// sorted before its probe_start by its kind, the acceptance reported by
// the second run).
func checkSwitchOrder(t *testing.T, db *sql.DB, source string) {
	t.Helper()
	rows, err := db.Query(`SELECT kind FROM events WHERE source LIKE ? AND kind IN ('config_accepted', 'config_switch_stop', 'probe_stop', 'probe_start', 'config_switch_start') ORDER BY time, source, kind, message`, source)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		got = append(got, k)
	}
	want := []string{"probe_start", "config_accepted", "config_switch_stop", "probe_stop", "probe_start", "config_switch_start", "probe_stop"}
	if !slices.Equal(got, want) {
		t.Errorf("events of %s by time:\n  %v\nwant\n  %v", source, got, want)
	}
}

// checkSwitchLines: stderr of a switch-over run (cmd live, probe or
// collector) says the two rejected versions (switchVersions) and the switch in one line each,
// in the house form, and holds no raw log line about them.
func checkSwitchLines(t *testing.T, cmd, stderr, cfg string) {
	t.Helper()
	rejected := regexp.MustCompile(`(?m)^tmonbench ` + cmd + `: warning: new version (of ` + regexp.QuoteMeta(cfg) + ` )?rejected: .+: the running configuration goes on$`)
	switched := regexp.MustCompile(`(?m)^tmonbench ` + cmd + `: configuration [0-9a-f]+ in effect \(valid_from "[^"]+"\), replacing [0-9a-f]+$`)
	t.Logf("%s stderr:\n%s", cmd, stderr)
	if n, m := len(rejected.FindAllString(stderr, -1)), len(switched.FindAllString(stderr, -1)); n != 2 || m != 1 {
		t.Errorf("%d rejected lines, %d switch lines (want 2 and 1: switchVersions) in stderr:\n%s", n, m, stderr)
	}
	if strings.Contains(stderr, "config_switch") || strings.Contains(stderr, "config_rejected") {
		t.Errorf("a raw log line about the switch-over in stderr:\n%s", stderr)
	}
}
