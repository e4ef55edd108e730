package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// The setups several tests of this package share.
//
// Parallel tests. A test calls t.Parallel only when it shares nothing
// another test changes: no t.Setenv or t.Chdir (which t.Parallel forbids),
// no package variable it sets (clock, openTTY), no capture on lo (it would
// see other tests' collectors on 127.0.0.1), no signal sent to the test
// process; its outputs are in its own t.TempDir, its labs in namespaces and
// veth names of its own (netlab), its collectors on ports the kernel gave
// (freeUDPPort). What they do share is read-only (the binary TestMain's
// testout builds, the samples) or per probe name and monotonic (the epoch
// file under XDG_STATE_HOME: any run's epoch is above the previous one's,
// whichever test ran it). Go runs them only after every sequential test of
// the package has ended, so the tests that capture on lo or set a package
// variable never run beside them. Most wait on child processes, timers and
// sockets, so two at a time (-parallel: GOMAXPROCS) overlap well: with 68
// of them parallel, a run under a load average of 17 took 690 s where its
// tests' times add up to 967 s (the parallel ones 573 s in 294 s).

// startKilled starts cmd; it is killed and waited for when the test ends.
func startKilled(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

// loopbackCapture opens live's capture on lo as `tmonbench live -i lo`
// does; it is closed when the test ends.
func loopbackCapture(t *testing.T) (*live.Source, []live.Info) {
	t.Helper()
	var cf captureFlags
	fs := pflag.NewFlagSet("live", pflag.ContinueOnError)
	cf.register(fs)
	if err := fs.Parse([]string{"-i", "lo"}); err != nil {
		t.Fatal(err)
	}
	lc, _, err := cf.liveConfig(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	src, infos, err := openCapture("live", lc, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src, infos
}

// switchingRun is live's run of probe sw on lo (src and infos:
// loopbackCapture) with its versions switched by sw; the capture stops
// 1.5 s after it returns (as --duration does). sink holds the run's
// events, said its standard error and log.
func switchingRun(t *testing.T, src *live.Source, infos []live.Info, sw *switcher) (lr *liveRun, sink *eventSink, said *lockedBuffer) {
	t.Helper()
	sink = &eventSink{}
	tick := time.NewTicker(100 * time.Millisecond)
	t.Cleanup(tick.Stop)
	said = new(lockedBuffer)
	h := &health{src: src, periodNs: 1e9, links: newLinkWatch("live", src, infos, said)}
	t.Cleanup(h.links.close)
	lr = &liveRun{name: "sw", ifNames: []string{"lo"}, src: src, infos: infos, sink: sink, tick: tick.C, h: h,
		stderr: said, log: slog.New(slog.NewTextHandler(said, nil))}
	lr.ss = &switchSource{Source: src, sw: sw, wallNs: wallNs}
	stopped := time.AfterFunc(1500*time.Millisecond, src.Stop) // as --duration does
	t.Cleanup(func() { stopped.Stop() })
	return lr, sink, said
}

// scanLines sends the lines of r on a channel of capacity n, closed at
// r's end.
func scanLines(r io.Reader, n int) <-chan string {
	lines := make(chan string, n)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	return lines
}

// sendWorkersMix sends the workers tests' traffic over the lab: its mix
// from A (pings echo requests, 20 UDP datagrams of 100 bytes, a TCP
// connection of 256 KiB, a DNS exchange), then from each address srcs[i]
// 10+i datagrams of 80 bytes to port 9000, and returns what was sent.
func sendWorkersMix(t *testing.T, lab *netlab.Lab, pings int, srcs []string) netlab.Truth {
	t.Helper()
	truth, err := lab.Send(netlab.Mix{Pings: pings, UDP: 20, UDPSize: 100, UDPGap: time.Millisecond, TCPBytes: 256 << 10, DNS: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range srcs {
		f, err := lab.UDPFrom(netip.MustParseAddr(a), 10+i, 80, 0, 9000)
		if err != nil {
			t.Fatal(err)
		}
		truth.Flows = append(truth.Flows, f)
	}
	return truth
}

// tableFiles is what run.json and bench --json say of a table: its part
// files, rows and bytes.
type tableFiles struct{ Files, Rows, Bytes int64 }

// replayAndBench replays files into a new output, then benches them, and
// returns the output and the tables of its run.json and of bench --json.
func replayAndBench(t *testing.T, files ...string) (out string, replayed, benched map[string]tableFiles) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "o")
	if code, _, stderr := tmon(t, append([]string{"replay", "-q", "--out", out}, files...)...); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
	var run, bench struct {
		Tables map[string]tableFiles `json:"tables"`
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatalf("run.json: %v", err)
	}
	code, stdout, stderr := tmon(t, append([]string{"bench", "-q", "--json", "--stages=false", "--tmp", t.TempDir()}, files...)...)
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &bench); err != nil {
		t.Fatalf("bench --json: %v", err)
	}
	return out, run.Tables, bench.Tables
}
