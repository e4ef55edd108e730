package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// fullDiskConfig: probe C on the TCP mix, retries 0.2 s apart, long retry
// mode after 3 unanswered transmissions, and a final timeout far beyond
// the test (nothing destroyed: every observation must arrive).
const fullDiskConfig = `interval_s: 1
probes: [{name: C}]
collectors:
  - {name: central, address: %q, min_gap_ms: 1, initial_timeout_s: 0.2, timeout_increment_s: 0.1, timeout_multiplier: 1.2, max_retries: 3, final_timeout_s: 3600, max_build_s: 0.2}
classes:
  - name: tcp
    filter: "tcp"
    granularity: [src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, sizes, tcp, rtt]
`

// mountTmpfs mounts a tmpfs of size bytes on a new folder (root only) and
// unmounts it at the end of the test.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	testenv.Root(t)
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Fatalf("mount a %d-byte tmpfs: %v", size, err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes zeros into path until the filesystem is full (ENOSPC).
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := f.Write(buf)
		n += int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCollectorDiskFull: the collector's output is on a small tmpfs that
// fills up while a probe process sends to it (issue 13.2). The collector
// stops acknowledging, says why and exits non-zero; the probe keeps
// retrying (long retry mode) while no collector runs; once space is freed
// and the collector restarted from its output, the probe delivers
// everything and exits 0, and every table is row for row that of a run
// whose disk never filled.
func TestCollectorDiskFull(t *testing.T) {
	t.Parallel()
	disk := mountTmpfs(t, 64<<20)
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(fullDiskConfig, freeUDPPort(t))), 0o644)
	capture := filepath.Join(samples(t), "lab", "tcp-mix", "A.pcap") // 10.9 s
	// the second probe's stderr
	var probeSaid lockedBuffer
	probeCmd := func(stderr io.Writer) *exec.Cmd {
		c := exec.Command(bin, "probe", "--config", cfg, "--name", "C", "--pcap", capture, "--speed", "2x", "--linger", "90s")
		c.Stdout, c.Stderr = os.Stdout, stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		return c
	}
	collectorArgs := []string{"--write-every", "100ms", "--silence", "1h"}

	ref := filepath.Join(tmp, "ref")
	coll := startCollector(t, bin, cfg, ref, append(collectorArgs, "--idle-exit", "2s")...)
	waitTimeout(t, probeCmd(os.Stderr), 90*time.Second)
	waitTimeout(t, coll, 2*time.Minute)
	want := tableRows(t, ref)

	out := filepath.Join(disk, "out")
	cmd := exec.Command(bin, append([]string{"collector", "--config", cfg, "--out", out}, collectorArgs...)...)
	var stderr bytes.Buffer
	var said lockedBuffer
	cmd.Stdout, cmd.Stderr = &said, &stderr
	startKilled(t, cmd)
	waitSaid(t, []*lockedBuffer{&said}, "listening on") // was a fixed 300 ms
	p := probeCmd(io.MultiWriter(os.Stderr, &probeSaid))
	probeDone := make(chan error, 1)
	go func() { probeDone <- p.Wait() }()
	time.Sleep(1500 * time.Millisecond) // about 3 s of the capture acknowledged
	filler := filepath.Join(disk, "filler")
	n := fill(t, filler)
	collDone := make(chan error, 1)
	go func() { collDone <- cmd.Wait() }()
	select {
	case err := <-collDone:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("collector on a full disk: %v, want a non-zero exit", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("collector still running 2 minutes after its disk filled (%d bytes of filler); stderr:\n%s", n, stderr.String())
	}
	// Long retry mode left while the collector ran (its enter line reads
	// ": long retry mode, ", its leave line "in long retry mode: nominal
	// mode"): none is left once it is down, no acknowledgement comes.
	left := strings.Count(probeSaid.String(), "in long retry mode: nominal mode")
	if msg := stderr.String(); !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, "acknowledgements stopped") {
		t.Errorf("collector's stderr does not say why it stopped:\n%s", msg)
	}
	// no collector: the probe retries, then enters long retry mode (it
	// says so: engine/probe logLifecycle) unless it is in it already:
	// entered once more than left. A fixed 3 s, the probe's retries under
	// a loaded machine's timers, did not say it had; waiting for one more
	// enter line than before failed when the probe had entered while the
	// collector ran (its acknowledgements stalled by the filling disk, on
	// a machine at load 20) and stayed in it: a minute, then a failure.
	waitSaidN(t, []*lockedBuffer{&probeSaid}, ": long retry mode, ", left+1)
	select {
	case err := <-probeDone:
		t.Fatalf("the probe ended while its collector was down: %v", err)
	default:
	}
	t.Logf("collector stopped on the full disk:\n%s", stderr.String())
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	last := startCollector(t, bin, cfg, out, append(collectorArgs, "--idle-exit", "2s")...)
	select {
	case err := <-probeDone:
		if err != nil {
			t.Fatalf("probe: %v (not every PDU acknowledged after the collector came back)", err)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("probe did not end within 90 s of the collector's restart")
	}
	waitTimeout(t, last, 2*time.Minute)
	got := tableRows(t, out)
	for tab, w := range want {
		if g := got[tab]; g != w {
			t.Errorf("%s: %d rows, want %d (first difference near %q)", tab, strings.Count(g, "\n")-1, strings.Count(w, "\n")-1, firstDiff(g, w))
		}
	}
	if n := csvQuery(t, out, "select count(*) n from events where kind = 'pdu_long_retry_enter'"); n == "n\n0\n" {
		t.Error("no pdu_long_retry_enter event: the probe did not enter long retry mode while the collector was down")
	}
	// The failure and the restart are events: the first written in the
	// space the collector reserved for it, the second by the restart.
	const q = "select kind, count(*) n, bool_and(message like '%no space left on device%') why from events where kind in ('collector_write_failed', 'collector_recovered') group by 1 order by 1"
	if got := csvQuery(t, out, q); got != "kind,n,why\ncollector_recovered,1,false\ncollector_write_failed,1,true\n" {
		t.Errorf("failure and restart events:\n%s", got)
	}
}

// TestReplayDiskFullOneLine: a replay whose output fills the disk says so
// in one line (the first write that failed and how many more did), exit
// status 1; it printed every failed part's error, some twice, ~30 lines
// with "store: " inside.
func TestReplayDiskFullOneLine(t *testing.T) {
	disk := mountTmpfs(t, 80<<10) // the output takes ~110 KiB
	lab := filepath.Join(samples(t), "lab")
	code, _, stderr := tmon(t, "replay", "-q", "--out", filepath.Join(disk, "out"),
		"--probe", "A="+filepath.Join(lab, "oneway-udp", "A.pcap"), "--probe", "B="+filepath.Join(lab, "oneway-udp", "B.pcap"),
		"--probe", "T="+filepath.Join(lab, "tcp-mix", "A.pcap"))
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "tmonbench replay: write ") ||
		!strings.Contains(stderr, "no space left on device (and ") || strings.Contains(stderr, "store: ") {
		t.Errorf("replay onto a full disk: exit %d, stderr:\n%s\nwant exit 1 and one line", code, stderr)
	}
}
