package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestBenchRowsAreReplays: bench's full runs are replay's workload, row
// for row: on a pcapng of two interfaces (gopacket's test202: frames on
// interface_id 0 and 1, `tshark -r F -T fields -e frame.interface_id`)
// replay finds 5 flows and 25 flow_counters rows (`tmonbench replay F`)
// where bench, which took the file for one interface, found 3 and 15; it
// also left out replay's packet index and its events about the inputs
// (pcapng blocks skipped, Simple Packet Blocks without a time). With and
// without --preload (the interfaces then read from memory), on two lab
// captures (two probes), and on a folder of rotated captures (one probe,
// as replay makes it: bench made a probe of each file). The file's
// packet_index has one row set whatever its interfaces (h-ifaces: 1 row).
func TestBenchRowsAreReplays(t *testing.T) {
	t.Parallel()
	multi := testsamples.Path(t, "pcap", "pcapng-multi-if", "gopacket_pcapgo_le_test202.pcapng")
	lab := []string{testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap"), testsamples.Path(t, "lab", "dns-snmp-ntp", "B.pcap")}
	rotated := t.TempDir() // the two lab captures in one folder: one probe
	for i, p := range lab {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(rotated, fmt.Sprintf("eth0-%d.pcap", i)), b, 0o644)
	}
	for _, c := range []struct {
		name    string
		files   []string
		preload bool
		want    map[string]int64 // rows written per table, as replay's summary gives them
	}{
		{"multi-if", []string{multi}, false, map[string]int64{"flows": 5, "flow_counters": 25, "packet_index": 1, "events": 14}},
		{"multi-if preloaded", []string{multi}, true, map[string]int64{"flows": 5, "flow_counters": 25, "packet_index": 1, "events": 14}},
		{"lab", lab, false, nil},
		{"folder", []string{rotated}, false, nil},
	} {
		out := filepath.Join(t.TempDir(), "o")
		code, stdout, stderr := tmon(t, append([]string{"replay", "--out", out}, c.files...)...)
		if code != 0 {
			t.Fatalf("%s: replay: exit %d: %s", c.name, code, stderr)
		}
		replayed := rowsWritten(t, stdout)
		args := []string{"bench", "-q", "--json", "--stages=false", "--tmp", t.TempDir()}
		if c.preload {
			args = append(args, "--preload")
		}
		code, stdout, stderr = tmon(t, append(args, c.files...)...)
		if code != 0 {
			t.Fatalf("%s: bench: exit %d: %s", c.name, code, stderr)
		}
		var rep struct {
			Tables map[string]struct{ Rows int64 } `json:"tables"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%s: bench --json: %v", c.name, err)
		}
		benched := map[string]int64{}
		for name, s := range rep.Tables {
			benched[name] = s.Rows
		}
		if fmt.Sprint(benched) != fmt.Sprint(replayed) {
			t.Errorf("%s: rows per table:\nbench  %v\nreplay %v", c.name, benched, replayed)
		}
		for name, n := range c.want {
			if replayed[name] != n {
				t.Errorf("%s: replay wrote %d %s rows, want %d", c.name, replayed[name], name, n)
			}
		}
	}
}

// rowsWritten reads the "rows written" line of replay's summary.
func rowsWritten(t *testing.T, summary string) map[string]int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  rows written +(.*)$`).FindStringSubmatch(summary)
	if m == nil {
		t.Fatalf("no rows written line in\n%s", summary)
	}
	rows := map[string]int64{}
	for _, f := range strings.Split(m[1], ", ") {
		var name string
		var n int64
		if _, err := fmt.Sscanf(f, "%s %d", &name, &n); err != nil {
			t.Fatalf("rows written %q: %v", f, err)
		}
		rows[name] = n
	}
	return rows
}

// TestReplayWallCoversOpening: replay's wall time covers opening the
// captures (scanning a pcapng's interfaces, opening each file), which it
// left out (a pcapng of one packet and 20 k interfaces: 7.1 s elapsed,
// "wall time 2.8 s"), and says how much of it that was. A fake clock
// ticks 1 ms per byte the process has read (rchar of /proc/self/io):
// opening a pcapng reads it whole (the interface scan), so the opening
// printed is at least the file's size in ms, and the wall time more.
func TestReplayWallCoversOpening(t *testing.T) {
	base := time.Now()
	clock = func() time.Time {
		io, err := os.ReadFile("/proc/self/io")
		if err != nil {
			t.Fatal(err)
		}
		var rchar int64
		fmt.Sscanf(string(io), "rchar: %d", &rchar)
		return base.Add(time.Duration(rchar) * time.Millisecond)
	}
	defer func() { clock = time.Now }()
	multi := testsamples.Path(t, "pcap", "pcapng-multi-if", "gopacket_pcapgo_le_test202.pcapng")
	st, err := os.Stat(multi)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := tmon(t, "replay", "--out", filepath.Join(t.TempDir(), "o"), multi)
	if code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`wall time +([0-9.]+) s  \([0-9]+ packets/s; opening the captures ([0-9.]+) s of it\)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no wall time line with the opening in\n%s", stdout)
	}
	wall, _ := strconv.ParseFloat(m[1], 64)
	opening, _ := strconv.ParseFloat(m[2], 64)
	if size := float64(st.Size()) / 1e3; opening < size || wall <= opening {
		t.Errorf("wall %.3f s, opening %.3f s: want opening >= %.3f (the file's %d bytes read, 1 ms each) and wall beyond it", wall, opening, size, st.Size())
	}
}
