package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// protoOut replays the lab FTP capture A (once per test binary) with a
// class "proto" of granularity [protocol] and only the sizes analysis (no
// counters, no addresses or ports), next to the class all every run
// keeps, and returns its output folder.
func protoOut(t *testing.T) string {
	t.Helper()
	const key = "class proto: " + ftpLab
	if o, ok := outs[key]; ok {
		return o
	}
	dir, err := os.MkdirTemp("", "tui-test-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "proto.yaml")
	if err := os.WriteFile(cfg, []byte("interval_s: 1\nclasses:\n  - name: proto\n    filter: \"\"\n    granularity: [protocol]\n    analyses: [sizes]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--config", cfg, "--out", out, capture(t, ftpLab))
	outs[key] = out
	return out
}

// openProtoFlow opens the flow page of class proto's one flow (*>*/tcp:
// select flow_id, name from flows where class = 'proto').
func openProtoFlow(t *testing.T) (*Model, func(...string), func(string, ...string)) {
	m, press, expect := screenModel(t, protoOut(t))
	press("2", "/")
	for _, r := range "where class = 'proto'" {
		press(string(r))
	}
	press("enter")
	expect("proto's flows", "row 1 of 1", "*>*/tcp")
	press("enter")
	expect("the flow page", "Counters over time", "IP size histogram")
	return m, press, expect
}

// TestFlowPageNoCounters: the flow page of a class without the counters
// analysis says so under "Counters over time" (it drew nothing there, or
// blank bars), as the size histogram section says it of sizes.
func TestFlowPageNoCounters(t *testing.T) {
	m, _, expect := openProtoFlow(t)
	expect("no counters", "(no packets or ip bytes per interval: the class has no `counters` analysis)")
	_, sec, _ := strings.Cut(plain(m), "Counters over time")
	sec, _, _ = strings.Cut(sec, "IP size histogram")
	if strings.Contains(sec, "per interval\n") || strings.Contains(sec, "(none)") {
		t.Errorf("the counters section of a flow without counters charts or tables nothing:\n%s", sec)
	}
}

// TestPacketsNoDirection: the Packets page of a flow whose class keeps no
// addresses or ports (*>*/tcp of granularity [protocol]) said "one
// direction (r: both)" while listing both directions: it lists the 7799
// TCP packets of the capture (tshark -r testdata/lab/ftp/A.pcap -Y tcp |
// wc -l; flows.packets of the flow), says "both directions", and r says
// why it changes nothing.
func TestPacketsNoDirection(t *testing.T) {
	m, press, expect := openProtoFlow(t)
	press("p")
	expect("packets", "7799 packets", "both directions")
	if s := plain(m); strings.Contains(s, "one direction") || strings.Contains(s, "(r: one)") {
		t.Errorf("a direction for a flow that has none:\n%s", s)
	}
	press("r")
	const want = "r: this flow's class keeps no addresses or ports: its packets are both directions already"
	if m.e.status != want {
		t.Fatalf("r: status %q, want %q", m.e.status, want)
	}
	expect("r", "7799 packets", want)
}
