package main

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestProbeLiveSwitchOver runs `tmonbench probe -i lo` as its own process
// sending to a `tmonbench collector` process over UDP, with traffic to UDP
// ports 9101 and 9102 all along. The probe watches its --config: an
// invalid version is rejected (the running one goes on), a valid one with
// valid_from 2 s ahead and class b instead of class a takes effect at that
// time: class a's flows end before valid_from, class b's start at or after
// it, each event once, and the collector saw two runs of the probe (two
// probe_start events). SIGTERM then ends the probe with exit 0 and every
// PDU acknowledged, the capture's kernel totals in one capture_stop event
// (as live writes; probe -i sent none).
func TestProbeLiveSwitchOver(t *testing.T) {
	netlab.Need(t)
	bin := testout.Binary(t)
	dir := t.TempDir()
	addr := freeUDPPort(t)
	head := fmt.Sprintf("interval_s: 1\nprobes: [{name: sw}]\ncollectors: [{name: central, address: %q}]\n", addr)
	version := func(class, port, validFrom string) string {
		v := head
		if validFrom != "" {
			v += "valid_from: " + validFrom + "\n"
		}
		return v + "classes:\n  - name: " + class + "\n    filter: \"udp port " + port + "\"\n    granularity: [protocol, dst_port]\n    analyses: [counters]\n"
	}
	collCfg, cfg := filepath.Join(dir, "collector.yaml"), filepath.Join(dir, "probe.yaml")
	os.WriteFile(collCfg, []byte(version("a", "9101", "")), 0o644)
	os.WriteFile(cfg, []byte(version("a", "9101", "")), 0o644)
	out := filepath.Join(dir, "out")
	coll := startCollector(t, bin, collCfg, out, "--idle-exit", "2s")
	cmd := exec.Command(bin, "probe", "-i", "lo", "--config", cfg, "--name", "sw", "--linger", "1m")
	stdout, _ := cmd.StdoutPipe()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	startKilled(t, cmd)
	lines := scanLines(stdout, 16)
	if line := <-lines; !strings.Contains(line, "capturing on") {
		t.Fatalf("probe did not start: %q\n%s", line, stderr.String())
	}
	validFrom, _ := switchUnderTraffic(t, cfg, version, nil, &stderr)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("probe after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), ": terminated: capture stopped; sending the last observations (at most --linger ") {
		t.Errorf("probe after SIGTERM said:\n%s", stderr.String())
	}
	var summaries []string
	for l := range lines {
		summaries = append(summaries, l)
	}
	t.Logf("probe:\n%s", strings.Join(summaries, "\n"))
	if len(summaries) != 2 || !strings.Contains(summaries[1], " 0 unacknowledged") || !strings.Contains(summaries[1], ", 0 kernel drops in ") {
		t.Errorf("probe printed %q: want one summary per configuration version, with the kernel drops, all acknowledged", summaries)
	}
	waitTimeout(t, coll, 2*time.Minute)
	db := openOut(t, out)
	checkSwitchBoundary(t, db, validFrom)
	for k, want := range map[string]int64{"config_rejected": 2, "config_accepted": 1, "config_switch_stop": 1, "config_switch_start": 1, "probe_start": 2, "capture_stop": 1} {
		if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = ? AND source LIKE '%sw%'`, k); n != want {
			t.Errorf("%d %s events, want %d", n, k, want)
		}
	}
	checkSwitchOrder(t, db, "%sw%")
	checkSwitchLines(t, "probe", stderr.String(), cfg)
}

// switchVersions writes two invalid versions of the config file (an
// interval over a day; version("c", ...) with a class filter that does not
// parse), then version("b", "9102", valid_from) with valid_from 2 s ahead, and returns
// valid_from and when every process watching the file (said: their
// stderr) had said it switched. It waits for what the processes say, not
// for a time: the rejection of each invalid version before writing the
// next (a watcher that had not read one would only read the next), then
// the switch. A watcher that reads the second version
// after its valid_from (a loaded machine) switches at once:
// checkSwitchBoundary checks that case apart.
func switchVersions(t *testing.T, cfg string, version func(class, port, validFrom string) string, said []*lockedBuffer) (validFrom, switched time.Time) {
	t.Helper()
	os.WriteFile(cfg, []byte("interval_s: 100000\nclasses: []\n"), 0o644) // invalid (over a day): rejected
	waitSaidN(t, said, " rejected: ", 1)
	// Valid but for a class filter that does not parse: rejected as a
	// start refuses it, not accepted then fatal to the run (a trial's live
	// and probe -i exited 1 with no summary; its collector accepted it).
	bad := strings.Replace(version("c", "9101", ""), "udp port ", "udp portt ", 1)
	os.WriteFile(cfg, []byte(bad), 0o644)
	waitSaidN(t, said, `expected 'and' or 'or' before "portt" at offset 4: the running configuration goes on`, 1)
	validFrom = time.Now().Add(2 * time.Second).UTC()
	os.WriteFile(cfg, []byte(version("b", "9102", validFrom.Format(time.RFC3339Nano))), 0o644)
	return validFrom, waitSaid(t, said, " in effect (valid_from ")
}

// waitSaid waits until every one of said holds want and returns the time
// it saw them all. A minute only bounds a hang.
func waitSaid(t *testing.T, said []*lockedBuffer, want string) time.Time {
	t.Helper()
	return waitSaidN(t, said, want, 1)
}

// waitSaidN is waitSaid for n times want in each of said.
func waitSaidN(t *testing.T, said []*lockedBuffer, want string, n int) time.Time {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		all := true
		for _, s := range said {
			all = all && strings.Count(s.String(), want) >= n
		}
		if all {
			return time.Now()
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for i, s := range said {
				fmt.Fprintf(&b, "process %d said:\n%s\n", i, s.String())
			}
			t.Fatalf("not every process watching the config said %q %d times within a minute:\n%s", want, n, b.String())
		}
	}
}

// switchUnderTraffic runs switchVersions while a goroutine sends a UDP
// datagram to 127.0.0.1:9101 (class a) and one to 9102 (class b, its
// payload numbered: distinct one-way signatures) every 20 ms: 10 rounds
// before the first version is written, 2 more after every process has
// switched (class b packets: a run shorter than its first health check,
// TestLiveSwitchOver) and, when after is not nil, until after says so;
// it returns once the traffic has stopped.
func switchUnderTraffic(t *testing.T, cfg string, version func(class, port, validFrom string) string, after func(validFrom time.Time) bool, said ...*lockedBuffer) (validFrom, switched time.Time) {
	t.Helper()
	return switchUnderTrafficIn(t, nil, cfg, version, after, said...)
}

// switchUnderTrafficIn is switchUnderTraffic with the traffic sent in
// network namespace ns (nil: the test's own), to its loopback.
func switchUnderTrafficIn(t *testing.T, ns *netlab.NS, cfg string, version func(class, port, validFrom string) string, after func(validFrom time.Time) bool, said ...*lockedBuffer) (validFrom, switched time.Time) {
	t.Helper()
	stop := make(chan struct{})
	done := make(chan struct{})
	var rounds atomic.Int64
	go func() {
		defer close(done)
		var a, b net.Conn
		dial := func() error {
			a, _ = net.Dial("udp", "127.0.0.1:9101")
			b, _ = net.Dial("udp", "127.0.0.1:9102")
			return nil
		}
		if ns != nil {
			ns.Do(dial)
		} else {
			dial()
		}
		defer a.Close()
		defer b.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				a.Write([]byte("class a"))
				b.Write(fmt.Appendf(nil, "class b %d", i))
				rounds.Add(1)
			}
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()
	waitRounds := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); rounds.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the traffic goroutine sent %d rounds in a minute, want %d", rounds.Load(), n)
			}
		}
	}
	waitRounds(10)
	validFrom, switched = switchVersions(t, cfg, version, said)
	waitRounds(rounds.Load() + 2)
	for deadline := time.Now().Add(time.Minute); after != nil && !after(validFrom); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the traffic after the switch: what the test waits for did not come within a minute")
		}
	}
	return validFrom, switched
}

// checkSwitchBoundary: class a (the first configuration version) saw no
// packet from valid_from on, and class b (the second) none before it.
// A version accepted after its valid_from (its config_accepted event
// later than valid_from: a loaded machine's watcher read it late) takes
// effect at once, at a packet after valid_from: then class a's last
// packet comes before class b's first, which is not before valid_from.
func checkSwitchBoundary(t *testing.T, db *sql.DB, validFrom time.Time) {
	t.Helper()
	checkFlowIDsUnique(t, db)
	vf := validFrom.UnixNano()
	var aLast, bFirst, accepted int64
	if err := db.QueryRow(`SELECT epoch_ns(max(last_seen)) FROM flows WHERE class = 'a'`).Scan(&aLast); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT epoch_ns(min(first_seen)) FROM flows WHERE class = 'b'`).Scan(&bFirst); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT epoch_ns(max(time)) FROM events WHERE kind = 'config_accepted'`).Scan(&accepted); err != nil {
		t.Fatal(err)
	}
	if accepted >= vf {
		t.Logf("version accepted %d ns after its valid_from: in effect at once", accepted-vf)
		if aLast >= bFirst || bFirst < vf {
			t.Errorf("class a last seen %d, class b first seen %d, valid_from %d (accepted at %d)", aLast, bFirst, vf, accepted)
		}
		return
	}
	if aLast >= vf || bFirst < vf {
		t.Errorf("class a last seen %d, class b first seen %d, valid_from %d", aLast, bFirst, vf)
	}
}

// checkFlowIDsUnique: no (probe, flow_id) pair names two flows rows
// (docs/tables.md: flow_id is probe-unique, flow_counters name their flow
// by it). A trial's live run numbered each configuration version's flows
// from 1 again: after three switch-overs probe vm had four rows for each
// of flow ids 1 to 4, and the rollup merged counters of different flows.
func checkFlowIDsUnique(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT probe, flow_id, string_agg(class, ' ' ORDER BY class) FROM flows GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var probe, classes string
		var id uint64
		rows.Scan(&probe, &id, &classes)
		t.Errorf("probe %s flow_id %d names flows of classes %s: (probe, flow_id) is not unique", probe, id, classes)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
