//go:build linux

package main

import (
	"bufio"
	"database/sql"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/live"
	"github.com/tmonbench/tmonbench/queries"
)

// liveProc is a `tmonbench live` process started in a namespace whose
// whole stdout is kept.
type liveProc struct {
	cmd    *exec.Cmd
	stderr strings.Builder
	lines  chan string
	stdout []string
}

// startLiveProc starts `tmonbench live args` in ns and waits for its
// "capturing on" line.
func startLiveProc(t *testing.T, ns *netlab.NS, args ...string) *liveProc {
	t.Helper()
	p := &liveProc{cmd: ns.Command(testout.Binary(t), append([]string{"live"}, args...)...), lines: make(chan string, 1024)}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	for line := range p.lines {
		p.stdout = append(p.stdout, line)
		if strings.Contains(line, "capturing on") {
			return p
		}
	}
	t.Fatalf("live did not start: %q\n%s", p.stdout, p.stderr.String())
	return nil
}

// wait waits for the process to end by itself, checks its exit status is
// 0 and returns its stdout lines.
func (p *liveProc) wait(t *testing.T) []string {
	t.Helper()
	for line := range p.lines {
		p.stdout = append(p.stdout, line)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("live: %v\n%s", err, p.stderr.String())
	}
	return p.stdout
}

// TestLiveDropsEvent floods a 2 MiB ring (two blocks, room for about
// 9,400 of the 20,000 frames at snap length 128) while `tmonbench
// live` is stopped (SIGSTOP: nobody reads the ring, so the kernel drops
// what does not fit, however fast the machine), then lets it go on
// (SIGCONT). The events table then holds capture_drops (severity error,
// the interface, the drops and the advice), whose drops, in the message
// and in the count column, add up to those of capture_stop, and, after
// the first, capture_recovered once a period
// passes without drops; and every flooded datagram is either in the flows table or
// counted as dropped by the kernel (the kernel filter --filter 'udp dst
// port 9' keeps stray packets out of the ring and its counts).
func TestLiveDropsEvent(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	out := filepath.Join(dir, "out")
	p := startLiveProc(t, lab.B, "-i", lab.IfB, "--config", cfg, "--out", out, "--name", "drops", "--ring-mb", "2", "--snaplen", "128", "--filter", "udp dst port 9", "--write-every", "200ms")
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	flood, err := lab.Flood(n, 100, 9)
	p.cmd.Process.Signal(syscall.SIGCONT)
	if err != nil {
		t.Fatal(err)
	}
	// The events are written within a period or two; wait for the second.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if db, err := queries.Open(out); err == nil {
			var k int64
			err := db.QueryRow(`SELECT count(*) FROM events WHERE kind = 'capture_recovered'`).Scan(&k)
			db.Close()
			if err == nil && k > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no capture_recovered event after 60 s\n%s", p.stderr.String())
		}
	}
	stopLive(t, p.cmd, &p.stderr)
	db := openOut(t, out)
	re := regexp.MustCompile(`^` + lab.IfB + `: (\d+) of (\d+) packets dropped by the kernel, ring full (\d+) times? \((\d+) dropped in all\): the probe cannot keep up \(bigger --ring-mb, a --filter, or fewer classes\)$`)
	events, drops, counted, firstDrop, total, stopMsg := dropEvents(t, db, re)
	if events == 0 || drops != total || counted != total || total == 0 {
		t.Errorf("%d capture_drops events with %d drops (count column: %d); capture_stop: %q", events, drops, counted, stopMsg)
	}
	var recovered int64
	if err := db.QueryRow(`SELECT max(epoch_ns(time)) FROM events WHERE kind = 'capture_recovered' AND severity = 'info' AND message = 'no kernel drop and no full ring in the last period'`).Scan(&recovered); err != nil || recovered <= firstDrop {
		t.Errorf("capture_recovered at %v (%v), first capture_drops at %v", recovered, err, firstDrop)
	}
	got := queryInt(t, db, `SELECT sum(packets) FROM flows WHERE class = 'lab' AND protocol = 17 AND src_port = 40000 AND dst_port = 9`)
	t.Logf("%d flooded, %d analysed, %d dropped by the kernel; %s", n, got, total, stopMsg)
	if uint64(got+total) != flood.Packets {
		t.Errorf("%d flooded datagrams: %d analysed + %d dropped by the kernel", flood.Packets, got, total)
	}
}

// dropEvents reads the capture_drops events of a run: how many, the
// drops their messages (matching re) say and their count column adds up
// to, the time of the first; and the drops capture_stop says, with its
// message.
func dropEvents(t *testing.T, db *sql.DB, re *regexp.Regexp) (events, drops, counted, firstDrop, total int64, stopMsg string) {
	t.Helper()
	rows, err := db.Query(`SELECT severity, message, count, epoch_ns(time) FROM events WHERE kind = 'capture_drops' ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sev, msg string
		var n, at int64
		if err := rows.Scan(&sev, &msg, &n, &at); err != nil {
			t.Fatal(err)
		}
		m := re.FindStringSubmatch(msg)
		if sev != "error" || m == nil {
			t.Errorf("capture_drops event %s: %q", sev, msg)
			continue
		}
		if firstDrop == 0 {
			firstDrop = at
		}
		d, _ := strconv.ParseInt(m[1], 10, 64)
		if d != n {
			t.Errorf("capture_drops event with count %d: %q", n, msg)
		}
		drops, counted = drops+d, counted+n
		events++
	}
	rows.Close()
	var stopCount int64
	if err := db.QueryRow(`SELECT message, count FROM events WHERE kind = 'capture_stop' AND severity = 'warning'`).Scan(&stopMsg, &stopCount); err != nil {
		t.Fatalf("capture_stop with drops: %v", err)
	}
	m := regexp.MustCompile(`, (\d+) dropped by the kernel \(ring full (\d+) times?\)`).FindStringSubmatch(stopMsg)
	if m == nil {
		t.Fatalf("capture_stop: %q", stopMsg)
	}
	total, _ = strconv.ParseInt(m[1], 10, 64)
	// the count column holds them too (it stayed 0: the drops were in
	// the message only)
	if stopCount != total {
		t.Errorf("capture_stop count %d, its message says %d dropped", stopCount, total)
	}
	return
}

// TestLiveDropsShortRun: a run shorter than its interval (interval_s 60,
// flooded after its first health check, stopped by SIGTERM at once)
// still has its drops as
// capture_drops events with the drops in the count column (those of the
// last period at the end of the run), adding up to capture_stop's.
func TestLiveDropsShortRun(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(strings.Replace(liveLabConfig, "interval_s: 1", "interval_s: 60", 1)), 0o644)
	out := filepath.Join(dir, "out")
	p := startLiveProc(t, lab.B, "-i", lab.IfB, "--config", cfg, "--out", out, "--name", "short", "--ring-mb", "2", "--snaplen", "128", "--filter", "udp dst port 9", "--write-every", "200ms")
	// The flood comes once the run's first health check is past (the
	// probe_start event, written with it, is in the table) and stops
	// right after it is in the ring: its drops are the last period's.
	waitProbeStart(t, out, p.stderr.String)
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	flood, err := lab.Flood(20000, 100, 9)
	p.cmd.Process.Signal(syscall.SIGCONT)
	if err != nil {
		t.Fatal(err)
	}
	stopLive(t, p.cmd, &p.stderr)
	db := openOut(t, out)
	re := regexp.MustCompile(`^` + lab.IfB + `: (\d+) of (\d+) packets dropped by the kernel, ring full (\d+) times? \((\d+) dropped in all\): `)
	events, drops, counted, _, total, stopMsg := dropEvents(t, db, re)
	t.Logf("%d flooded; %d capture_drops events with %d drops; %s", flood.Packets, events, counted, stopMsg)
	if events == 0 || drops != total || counted != total || total == 0 {
		t.Errorf("%d capture_drops events with %d drops (count column: %d); capture_stop: %q", events, drops, counted, stopMsg)
	}
}

// TestLiveDurationOffloads runs `tmonbench live --duration` on B's end of
// the veth link, twice, without any signal: each run stops by itself,
// exits 0, prints its summary and leaves the tables. With the offloads on
// (netlab.SetOffloads, as ethtool -K would) stderr names each one that
// is on and the ethtool line that turns them off; the 30 datagrams sent
// during the first run are in its flows table. Once they are off, the
// second run warns of nothing.
func TestLiveDurationOffloads(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	if err := lab.B.SetOffloads(lab.IfB, true); err != nil {
		t.Fatal(err)
	}
	var on []string
	lab.B.Do(func() error {
		info, err := live.Inspect(lab.IfB)
		on = info.Offloads
		return err
	})
	if strings.Join(on, " ") != "gro gso tso rx-checksum tx-checksum" { // a veth has no LRO
		t.Fatalf("%s: offloads %v after SetOffloads", lab.IfB, on)
	}
	out := filepath.Join(dir, "out")
	p := startLiveProc(t, lab.B, "-i", lab.IfB, "--config", cfg, "--out", out, "--name", "dur", "--duration", "5s")
	f, err := lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), 30, 100, 0, 9000)
	if err != nil {
		t.Fatal(err)
	}
	lines := p.wait(t) // no signal: --duration stops it
	want := "tmonbench live: warning: " + lab.IfB + " has offloads on (gro, gso, tso, rx-checksum, tx-checksum): the probe sees merged segments and unchecked checksums, not the wire; turn them off with: ethtool -K " + lab.IfB + " gro off gso off tso off rx off tx off\n"
	if !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr with offloads %v:\n%s\nwant the line:\n%s", on, p.stderr.String(), want)
	}
	summary := regexp.MustCompile(`^tmonbench live dur: (\d+) packets?, \d+ bytes captured, (\d+) flows? of every class \(query summary counts class 'all' only\), 0 kernel drops in [\d.]+ s; tables in ` + regexp.QuoteMeta(out) + `$`)
	last := summary.FindStringSubmatch(lines[len(lines)-1])
	if last == nil {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	db := openOut(t, out)
	// The line's flows are the rows of the flows table, every class's
	// (the datagrams' flow is in class lab and in class all), which is
	// more than query summary's class 'all' (a trial read "38 flows"
	// there against 28 in query summary's total, tshark's one-way
	// 5-tuples).
	every, all := queryInt(t, db, `SELECT count(*) FROM flows`), queryInt(t, db, `SELECT count(*) FROM flows WHERE class = 'all'`)
	if last != nil && (last[2] != strconv.FormatInt(every, 10) || every <= all) {
		t.Errorf("last line says %s flows; flows table: %d rows, %d of class all", last[2], every, all)
	}
	if got := queryInt(t, db, `SELECT sum(packets) FROM flows WHERE class = 'lab' AND protocol = 17 AND dst_port = 9000`); uint64(got) != f.Packets {
		t.Errorf("%d datagrams in the flows table, sent %d", got, f.Packets)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = 'capture_stop'`); n != 1 {
		t.Errorf("%d capture_stop events", n)
	}
	if err := lab.B.SetOffloads(lab.IfB, false); err != nil {
		t.Fatal(err)
	}
	p = startLiveProc(t, lab.B, "-i", lab.IfB, "--config", cfg, "--out", filepath.Join(dir, "out2"), "--name", "dur", "--duration", "1s")
	p.wait(t)
	if s := p.stderr.String(); strings.Contains(s, "offloads") {
		t.Errorf("offloads off, stderr:\n%s", s)
	}
}

// TestLiveRefusedOutFirst: `tmonbench live` on an interface with offloads
// on and an --out it must refuse (a folder that is no tmonbench output, one
// a live run wrote) says only why it refuses, exit 1: a trial saw the
// offload warning first, as if the capture were going on.
func TestLiveRefusedOutFirst(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	if err := lab.B.SetOffloads(lab.IfB, true); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stray := filepath.Join(dir, "stray")
	os.MkdirAll(stray, 0o755)
	os.WriteFile(filepath.Join(stray, "notes.txt"), []byte("mine\n"), 0o644)
	prev := filepath.Join(dir, "prev")
	if b, err := lab.B.Command(testout.Binary(t), "live", "-i", lab.IfB, "--out", prev, "--duration", "1ms").CombinedOutput(); err != nil {
		t.Fatalf("first live run: %v\n%s", err, b)
	}
	for _, c := range []struct{ out, refusal string }{
		{stray, "tmonbench live: refusing to replace a folder that is not a tmonbench output: " + stray + " holds files but no run.json"},
		{prev, "tmonbench live: refusing to write into an existing tmonbench output: " + prev + " is the output of tmonbench live (observations no capture file stands behind); tmonbench live will not replace it"},
	} {
		var stdout, stderr strings.Builder
		cmd := lab.B.Command(testout.Binary(t), "live", "-i", lab.IfB, "--out", c.out, "--duration", "1s")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("--out %s: %v, want exit status 1", c.out, err)
		}
		if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], c.refusal) || stdout.Len() != 0 {
			t.Errorf("--out %s: stdout %q, stderr:\n%s\nwant only the line %q...", c.out, stdout.String(), stderr.String(), c.refusal)
		}
	}
}

// TestLiveStats runs `tmonbench live --stats --duration 3s --filter 'udp
// dst port 9000'` while 2,000 such datagrams cross the link: stdout has a line per second and one for the
// last part of a second, each with the rate, its packets, the kernel
// drops (0), the CPU of both stages and the busiest; their packets add up
// to the packets of the summary.
func TestLiveStats(t *testing.T) {
	t.Parallel()
	lab := netlab.New(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(liveLabConfig), 0o644)
	p := startLiveProc(t, lab.B, "-i", lab.IfB, "--config", cfg, "--out", filepath.Join(dir, "out"), "--name", "st", "--stats", "--duration", "3s", "--filter", "udp dst port 9000")
	if _, err := lab.Flood(2000, 100, 9000); err != nil {
		t.Fatal(err)
	}
	lines := p.wait(t)
	re := regexp.MustCompile(`^\d\d:\d\d:\d\d capture (\d+) pkt/s \((\d+) packets? in ([\d.]+) s\) \| kernel drops 0 \(0 in all\) \| cpu probe \d+%, collector\+runtime \d+% \| busiest: (probe|collector\+runtime)$`)
	summary := regexp.MustCompile(`^tmonbench live st: (\d+) packets, `)
	var sum, total int64
	n := 0
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			pk, _ := strconv.ParseInt(m[2], 10, 64)
			sum += pk
			n++
		} else if m := summary.FindStringSubmatch(l); m != nil {
			total, _ = strconv.ParseInt(m[1], 10, 64)
		} else if !strings.Contains(l, "capturing on") {
			t.Errorf("unexpected line %q", l)
		}
	}
	t.Logf("%d stats lines, %d packets (summary %d)", n, sum, total)
	if n == 0 || sum != total || total != 2000 {
		t.Errorf("%d stats lines with %d packets; summary %d packets (2000 sent)\n%s", n, sum, total, strings.Join(lines, "\n"))
	}
}

// TestLiveExitOne: `tmonbench live` on an absent interface, on one that is
// down, and without CAP_NET_RAW (as user nobody) prints one line that
// says what to do and exits with status 1, leaving no output folder.
func TestLiveExitOne(t *testing.T) {
	lab := netlab.New(t)
	down, _ := lab.AddVeth(t, "d")
	if err := lab.A.Command("ip", "link", "set", down, "down").Run(); err != nil {
		t.Fatal(err)
	}
	// A copy of the binary that user nobody may run (the build folder and
	// t.TempDir's parent are 0700).
	dir, err := os.MkdirTemp("", "tmb-exit1-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "tmonbench")
	b, err := os.ReadFile(testout.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := exec.Command(bin, "live", "-i", "lo", "--out", filepath.Join(dir, "out-nobody"))
	nobody.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testenv.NobodyID, Gid: testenv.NobodyID}}
	for _, c := range []struct {
		cmd  *exec.Cmd
		out  string
		want string
	}{
		{exec.Command(bin, "live", "-i", "tmb-nonexistent0", "--out", filepath.Join(dir, "out-absent")), "out-absent",
			`tmonbench live: no interface "tmb-nonexistent0" here (ip link lists the interfaces)`},
		{lab.A.Command(bin, "live", "-i", down, "--out", filepath.Join(dir, "out-down")), "out-down",
			"tmonbench live: interface " + down + " is down (ip link set " + down + " up)"},
		{nobody, "out-nobody",
			"tmonbench live: capturing on lo needs CAP_NET_RAW: run as root, or once: sudo setcap cap_net_raw,cap_net_admin+ep $(command -v tmonbench)"},
	} {
		var stderr strings.Builder
		c.cmd.Stderr = &stderr
		err := c.cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || stderr.String() != c.want+"\n" {
			t.Errorf("%s: %v, stderr %q; want exit status 1 and %q", strings.Join(c.cmd.Args, " "), err, stderr.String(), c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, c.out)); !os.IsNotExist(err) {
			t.Errorf("%s: output folder %s created (%v)", strings.Join(c.cmd.Args, " "), c.out, err)
		}
	}
}
