package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayOverlapWarned (trial8): the lab's ftp/A.pcap and ftp/RC.pcap
// are captures of one FTP run at two points of its path (testdata/lab:
// the client's link and the router's client side), so a folder of both,
// read as one interface, counts every packet twice and the copies look
// like TCP retransmissions; the replay said nothing. It warns now, on
// stderr and as a capture_overlap event, with the overlap capinfos gives:
// RC's first packet 1795964258.549036044, A's last 1795964265.974954210
// (RC's last, ...954210, is earlier than A's, ...955172), 7.425918166 s,
// 7.426s to the millisecond. Rotated files of one capture (A.pcap cut in
// 4, as tcpdump -C) follow each other in time: no warning; nor for files
// named one by one as one interface (--probe X/if0= each: maybe a tap's
// two directions), nor as two probes (what the warning says to do).
func TestReplayOverlapWarned(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	a := filepath.Join(samples(t), "lab", "ftp", "A.pcap")
	rc := filepath.Join(samples(t), "lab", "ftp", "RC.pcap")
	dir := filepath.Join(tmp, "points")
	os.MkdirAll(dir, 0o755)
	for _, p := range []string{a, rc} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644)
	}
	out := filepath.Join(tmp, "both")
	code, _, stderr := tmon(t, "replay", "-q", "--out", out, dir)
	if code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
	want := "read as interface if0 of probe points (a folder or glob is rotated files of one capture point, tcpdump -C/-G), overlap in capture time for 7.426s"
	if n := strings.Count(stderr, want); n != 1 || !strings.Contains(stderr, "(event capture_overlap)") {
		t.Errorf("stderr says %q %d times (want once, with its event):\n%s", want, n, stderr)
	}
	ev := csvRows(t, "--out", out, "--sql", "select severity, count, message from events where kind = 'capture_overlap'")
	if len(ev) != 2 || ev[1][0] != "warning" || ev[1][1] != "1" || !strings.Contains(ev[1][2], want) || !strings.Contains(ev[1][2], "--probe NAME=PCAP") {
		t.Errorf("capture_overlap events: %q, want one warning saying %q and what to do", ev, want)
	}

	for name, args := range map[string][]string{
		"named one by one": {"--probe", "X/if0=" + a, "--probe", "X/if0=" + rc},
		"two probes":       {"--probe", "A=" + a, "--probe", "RC=" + rc},
		"rotated":          {filepath.Join(tmp, "rot")},
	} {
		if name == "rotated" {
			splitPcap(t, a, filepath.Join(tmp, "rot"), 4)
		}
		code, _, stderr = tmon(t, append([]string{"replay", "-q", "--out", filepath.Join(tmp, "o")}, args...)...)
		if code != 0 || strings.Contains(stderr, "capture_overlap") {
			t.Errorf("%s: exit %d, stderr:\n%s", name, code, stderr)
		}
	}
}
