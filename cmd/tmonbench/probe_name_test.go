package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestProbeUnlistedName: probe --name X with a probes list without keys
// that leaves X out ran, and its collector refused every PDU (a trial
// lost its run); it is refused at start as the keyed case is, exit 2, one
// line naming the command in use (it said "replay --probe NAME=FILE, live
// --name NAME" to a user of probe).
func TestProbeUnlistedName(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "dist.yaml")
	os.WriteFile(cfg, []byte("probes: [{name: A}, {name: B}]\ncollectors: [{name: c, address: \"127.0.0.1:9\"}]\n"), 0o644)
	pcap := testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap")
	code, stdout, stderr := tmon(t, "probe", "--config", cfg, "--name", "X", "--pcap", pcap, "--speed", "full", "--linger", "100ms")
	want := `tmonbench probe: probe "X" is not in the probes list of ` + cfg + ` (A, B): a collector on this config accepts only the probes it lists and would refuse all its observations; run it under a listed name (probe --name NAME) or list it` + "\n"
	if code != 2 || stderr != want || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}
	if !strings.Contains(stderr, "probe --name NAME") || strings.Contains(stderr, "replay --probe") {
		t.Errorf("the message names another command than probe: %q", stderr)
	}
}
