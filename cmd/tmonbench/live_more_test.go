package main

import (
	"bufio"
	"database/sql"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/live"
)

// TestLivePair runs `tmonbench live --pair IN,OUT` on a passive tap of the
// veth link between A and B (netlab.Tap: IN sees what B receives, OUT
// what B sends, each one direction; design 1.14.1) while the generator
// sends its mix from A. The engines get the two directions merged in
// capture-time order, as one probe interface (IN+OUT), so: every flow of
// the generator has exactly the packets and IP bytes it sent;
// the TCP connection is complete (conn_state SF, the handshake's RTT
// measured) with its 262144 payload bytes; and every echo has its RTT
// sample (request before reply), the DNS query too.
func TestLivePair(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	in, outIf := lab.Tap(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	out := filepath.Join(dir, "out")
	watch := watchNet(t, lab.B, in, outIf) // before live: it sees a frame after live's rings
	cmd, stderr := startLive(t, lab.B, bin, "--pair", in+","+outIf, "--config", cfg, "--out", out, "--name", "tap")
	const pings = 10
	truth, err := lab.Send(netlab.Mix{Pings: pings, UDP: 30, UDPSize: 200, UDPGap: time.Millisecond, TCPBytes: 256 << 10, DNS: true})
	if err != nil {
		t.Fatal(err)
	}
	// The tap's copies are asynchronous (tc mirred: another veth's
	// receive queue): stop once they have all reached the rings.
	watch.waitFor(t, "the generator's packets on the tap", func(pkts []watched) bool { return flowsSeen(truth.Flows, pkts) })
	stopLive(t, cmd, stderr)
	db := openOut(t, out)
	for _, f := range truth.Flows {
		if f.Packets == 0 {
			continue
		}
		wantIf := in + "+" + outIf // one link: one probe interface
		var pk, by sql.NullInt64
		var iface sql.NullString
		if err := db.QueryRow(`SELECT sum(packets), sum(bytes), min(interface) FROM flows WHERE class = 'lab' AND protocol = ? AND src_addr = ? AND dst_addr = ? AND src_port = ? AND dst_port = ?`,
			f.Proto, f.Src.Addr().String(), f.Dst.Addr().String(), f.Src.Port(), f.Dst.Port()).Scan(&pk, &by, &iface); err != nil {
			t.Fatal(err)
		}
		if uint64(pk.Int64) != f.Packets || uint64(by.Int64) != f.IPBytes || iface.String != wantIf {
			t.Errorf("flow %v > %v (%d): %d packets %d bytes on %s; the generator sent %d packets %d bytes, on %s", f.Src, f.Dst, f.Proto, pk.Int64, by.Int64, iface.String, f.Packets, f.IPBytes, wantIf)
		}
	}
	var payload int64
	var state string
	var hs sql.NullFloat64
	if err := db.QueryRow(`SELECT client_payload_bytes, conn_state, handshake_rtt_ms FROM tcp_connections WHERE class = 'lab'`).Scan(&payload, &state, &hs); err != nil {
		t.Fatal(err)
	}
	if payload != 256<<10 || state != "SF" || !hs.Valid {
		t.Errorf("TCP connection: client payload %d, state %s, handshake RTT %v; want 262144, SF, measured", payload, state, hs)
	}
	echo := queryInt(t, db, `SELECT count(*) FROM rtt_samples WHERE kind = 'icmp_echo' AND rtt_ms > 0`)
	dns := queryInt(t, db, `SELECT count(*) FROM rtt_samples WHERE kind = 'dns' AND rtt_ms > 0`)
	if echo != pings || dns != 1 {
		t.Errorf("%d echo RTT samples (want %d), %d DNS (want 1)", echo, pings, dns)
	}
}

// TestLiveWorkers runs `tmonbench live --workers 2` (the analysis sharded
// by address pair, probe.Workers) on B's end of the veth link while the
// generator sends its mix from A and datagrams from 8 more of A's
// addresses (9 address pairs to shard). The tables are
// those one engine would write: every flow with exactly the packets and
// IP bytes sent, the TCP connection complete with its 262144 payload
// bytes, an RTT sample per echo.
func TestLiveWorkers(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	srcs := lab.AddAddrs(t, 8)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	out := filepath.Join(dir, "out")
	cmd, stderr := startLive(t, lab.B, bin, "-i", lab.IfB, "--workers", "2", "--config", cfg, "--out", out, "--name", "w2")
	const pings = 5
	truth := sendWorkersMix(t, lab, pings, srcs)
	stopLive(t, cmd, stderr)
	db := openOut(t, out)
	for _, f := range truth.Flows {
		if f.Packets == 0 {
			continue
		}
		var pk, by sql.NullInt64
		if err := db.QueryRow(`SELECT sum(packets), sum(bytes) FROM flows WHERE class = 'lab' AND protocol = ? AND src_addr = ? AND dst_addr = ? AND src_port = ? AND dst_port = ?`,
			f.Proto, f.Src.Addr().String(), f.Dst.Addr().String(), f.Src.Port(), f.Dst.Port()).Scan(&pk, &by); err != nil {
			t.Fatal(err)
		}
		if uint64(pk.Int64) != f.Packets || uint64(by.Int64) != f.IPBytes {
			t.Errorf("flow %v > %v (%d): %d packets %d bytes; the generator sent %d packets %d bytes", f.Src, f.Dst, f.Proto, pk.Int64, by.Int64, f.Packets, f.IPBytes)
		}
	}
	var payload int64
	var state string
	if err := db.QueryRow(`SELECT client_payload_bytes, conn_state FROM tcp_connections WHERE class = 'lab'`).Scan(&payload, &state); err != nil {
		t.Fatal(err)
	}
	if payload != 256<<10 || state != "SF" {
		t.Errorf("TCP connection: client payload %d, state %s; want 262144, SF", payload, state)
	}
	if echo := queryInt(t, db, `SELECT count(*) FROM rtt_samples WHERE kind = 'icmp_echo' AND rtt_ms > 0`); echo != pings {
		t.Errorf("%d echo RTT samples, want %d", echo, pings)
	}
}

// TestLiveAbortExit130: a second SIGINT while live drains the kernel's
// ring after the first (a block timeout of 1 s: 2 s of draining; the
// datagrams still flowing are no longer taken) aborts the run: it says
// so, run.json says "interrupted": true and the exit status is 130, as
// replay's, and its run_interrupted event names the live capture (source
// probe:NAME; it said "replay interrupted", source replay). It exited 0,
// as a complete run does, and run.json said nothing; then, once the
// capture took nothing after the first signal, the engines saw the abort
// only at the next packet: never.
func TestLiveAbortExit130(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	bin := testout.Binary(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := lab.B.Command(bin, "live", "-i", lab.IfB, "--out", out, "--name", "ab", "--block-timeout", "1s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	startKilled(t, cmd)
	lines := scanLines(stderr, 64)
	var said []string
	waitFor := func(part string) {
		t.Helper()
		for line := range lines {
			said = append(said, line)
			if strings.Contains(line, part) {
				return
			}
		}
		t.Fatalf("live never said %q:\n%s", part, strings.Join(said, "\n"))
	}
	// signals are handled once it says it is capturing
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("live did not start: %q %v", line, err)
		}
		if strings.Contains(line, "capturing on") {
			break
		}
	}
	go r.WriteTo(discard{})
	go lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), 2000, 100, 2*time.Millisecond, 9000) // 4 s: past the drain
	cmd.Process.Signal(syscall.SIGINT)
	waitFor("a second signal aborts")
	// a signal within live.SignalEcho of the first is its echo (coreutils'
	// timeout sends two): the first was taken before the line was said
	time.Sleep(live.SignalEcho)
	cmd.Process.Signal(syscall.SIGINT)
	waitFor("aborted by a second signal")
	for line := range lines {
		said = append(said, line)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("live aborted: %v, want exit status 130\n%s", err, strings.Join(said, "\n"))
	}
	if m, err := store.ReadManifest(out); err != nil || !m.Interrupted || m.State != "" {
		t.Errorf("run.json after the abort: %+v %v, want interrupted and no state", m, err)
	}
	// The event says what was interrupted, from the live probe (a trial
	// read "replay interrupted", source replay, after a live run's abort).
	got := csvQuery(t, out, "select source, message from events where kind = 'run_interrupted'")
	want := "probe:ab,live capture on " + lab.IfB + " interrupted after "
	if lines := strings.Split(strings.TrimSpace(got), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], want) {
		t.Errorf("run_interrupted events:\n%s\nwant one starting %q", got, want)
	}
}

// TestLiveSwitchAtOnce: a new version without valid_from, saved while
// `tmonbench live` captures under traffic (a trial's case), takes effect
// at once, and its events read in the order they happened
// (checkSwitchOrder): the acceptance, reported before, not by the run the
// version starts, then the stop of the old version and its probe, the
// start of the new probe and version.
func TestLiveSwitchAtOnce(t *testing.T) {
	netlab.Need(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "live.yaml")
	version := func(class, port string) string {
		return "interval_s: 1\nclasses:\n  - name: " + class + "\n    filter: \"udp port " + port + "\"\n    granularity: [protocol, dst_port]\n    analyses: [counters]\n"
	}
	os.WriteFile(cfg, []byte(version("a", "9101")), 0o644)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "live", "-i", "lo", "--config", cfg, "--out", out, "--name", "once", "--write-every", "200ms")
	stdout, _ := cmd.StdoutPipe()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	startKilled(t, cmd)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.Contains(line, "capturing on") {
		t.Fatalf("live did not start: %q %v %s", line, err, stderr.String())
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // a datagram to each class every 5 ms: packets in the ring as the version comes
		defer close(done)
		a, _ := net.Dial("udp", "127.0.0.1:9101")
		b, _ := net.Dial("udp", "127.0.0.1:9102")
		defer a.Close()
		defer b.Close()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				a.Write([]byte("class a"))
				b.Write([]byte("class b"))
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // traffic under version 1 (not a timed assertion: only some packets)
	os.WriteFile(cfg, []byte(version("b", "9102")), 0o644)
	waitSaid(t, []*lockedBuffer{&stderr}, " in effect (at once: no valid_from)")
	time.Sleep(300 * time.Millisecond)
	close(stop)
	<-done
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	checkSwitchOrder(t, openOut(t, out), "probe:once")
}
