package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	want := `tmonbench probe: probe "X" is not in the probes list of ` + cfg + ` (A, B): a collector on this config accepts only the probes it lists (unless run with --any-probe) and would refuse all its observations; run it under a listed name (probe --name NAME) or list it (--unlisted runs it for a collector with --any-probe)` + "\n"
	if code != 2 || stderr != want || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}
	if !strings.Contains(stderr, "probe --name NAME") || strings.Contains(stderr, "replay --probe") {
		t.Errorf("the message names another command than probe: %q", stderr)
	}
}

// TestProbeUnlistedAnyProbe: the refusal above must not break a collector
// run with --any-probe (a review: the name it accepts was refused at the
// probe's start, exit 2): probe --unlisted X runs, and the collector's
// tables hold X's packets, 604 as tcpdump counts lab dns-snmp-ntp/A.pcap
// (`tcpdump -r A.pcap | wc -l`).
func TestProbeUnlistedAnyProbe(t *testing.T) {
	t.Parallel()
	capture := testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap")
	bin := buildBinary(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("interval_s: 1\nprobes: [{name: A}]\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1}\n", freeUDPPort(t))), 0o644)
	out := filepath.Join(tmp, "out")
	coll := startCollector(t, bin, cfg, out, "--any-probe", "--idle-exit", "3s", "--write-every", "200ms")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "X", "--unlisted", "--pcap", capture, "--speed", "full")
	var stderr bytes.Buffer
	p.Stdout, p.Stderr = os.Stdout, &stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, 2*time.Minute)
	if code := p.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("probe --unlisted X: exit %d: %s", code, stderr.String())
	}
	waitTimeout(t, coll, 2*time.Minute)
	if got := csvQuery(t, out, "select probe, sum(packets) packets from flows where class = 'all' group by 1"); got != "probe,packets\nX,604\n" {
		t.Errorf("the collector's flows: %q, want X's 604 packets", got)
	}
}

// TestProbeUnlistedNameNoWarning: a config whose classes leave out
// analyses the default runs (a warning at every load) and a --name its
// probes list leaves out: the refusal comes alone, exit 2, as every
// refused config's (docs/configuration.md: errors come alone). A trial's
// probe --config samples/dist.yaml --name C printed the "no class runs
// the tcp, rtt, ftp ..." warning before it.
func TestProbeUnlistedNameNoWarning(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "dist.yaml")
	os.WriteFile(cfg, []byte("probes: [{name: A}, {name: B}]\ncollectors: [{name: c, address: \"127.0.0.1:9\"}]\nclasses:\n  - {name: web, filter: \"tcp port 80\"}\n"), 0o644)
	pcap := testsamples.Path(t, "lab", "dns-snmp-ntp", "A.pcap")
	code, stdout, stderr := tmon(t, "probe", "--config", cfg, "--name", "C", "--pcap", pcap, "--speed", "full", "--linger", "100ms")
	want := `tmonbench probe: probe "C" is not in the probes list of ` + cfg + ` (A, B): `
	if code != 2 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line %q...", code, stdout, stderr, want)
	}
}
