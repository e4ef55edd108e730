package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	cmd := exec.Command(bin, "probe", "-i", "lo", "--config", cfg, "--name", "sw", "--linger", "5s")
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if line := <-lines; !strings.Contains(line, "capturing on") {
		t.Fatalf("probe did not start: %q\n%s", line, stderr.String())
	}
	validFrom := switchUnderTraffic(cfg, version)
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
	waitTimeout(t, coll, 30*time.Second)
	db := openOut(t, out)
	checkSwitchBoundary(t, db, validFrom)
	for k, want := range map[string]int64{"config_rejected": 1, "config_accepted": 1, "config_switch_stop": 1, "config_switch_start": 1, "probe_start": 2, "capture_stop": 1} {
		if n := queryInt(t, db, `SELECT count(*) FROM events WHERE kind = ? AND source LIKE '%sw%'`, k); n != want {
			t.Errorf("%d %s events, want %d", n, k, want)
		}
	}
	checkSwitchLines(t, "probe", stderr.String(), cfg)
}

// switchVersions writes, 0.5 s apart after the first, an invalid version
// of the config file (rejected) then version("b", "9102", valid_from)
// with valid_from 2 s ahead, and returns once 1 s past valid_from. The
// gaps leave the watcher (100 ms settling) time to read each version even
// on a loaded machine.
func switchVersions(cfg string, version func(class, port, validFrom string) string) time.Time {
	time.Sleep(500 * time.Millisecond)
	os.WriteFile(cfg, []byte("interval_s: 100000\nclasses: []\n"), 0o644) // invalid (over a day): rejected
	time.Sleep(time.Second)
	validFrom := time.Now().Add(2 * time.Second).UTC()
	os.WriteFile(cfg, []byte(version("b", "9102", validFrom.Format(time.RFC3339Nano))), 0o644)
	time.Sleep(3 * time.Second)
	return validFrom
}

// switchUnderTraffic runs switchVersions while a goroutine sends a UDP
// datagram to 127.0.0.1:9101 (class a) and one to 9102 (class b) every
// 20 ms, and returns valid_from once the traffic has stopped.
func switchUnderTraffic(cfg string, version func(class, port, validFrom string) string) time.Time {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		a, _ := net.Dial("udp", "127.0.0.1:9101")
		b, _ := net.Dial("udp", "127.0.0.1:9102")
		defer a.Close()
		defer b.Close()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				a.Write([]byte("class a"))
				b.Write([]byte("class b"))
			}
		}
	}()
	validFrom := switchVersions(cfg, version)
	close(stop)
	<-done
	return validFrom
}

// checkSwitchBoundary: class a (the first configuration version) saw no
// packet from valid_from on, and class b (the second) none before it.
func checkSwitchBoundary(t *testing.T, db *sql.DB, validFrom time.Time) {
	t.Helper()
	vf := validFrom.UnixNano()
	var aLast, bFirst int64
	if err := db.QueryRow(`SELECT epoch_ns(max(last_seen)) FROM flows WHERE class = 'a'`).Scan(&aLast); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT epoch_ns(min(first_seen)) FROM flows WHERE class = 'b'`).Scan(&bFirst); err != nil {
		t.Fatal(err)
	}
	if aLast >= vf || bFirst < vf {
		t.Errorf("class a last seen %d, class b first seen %d, valid_from %d", aLast, bFirst, vf)
	}
}
