package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// trapListener starts an SNMP trap listener on a free port of 127.0.0.1
// and returns its address and the traps it receives, each as variable
// OID -> string value.
func trapListener(t *testing.T) (string, chan map[string]string) {
	t.Helper()
	tl := gosnmp.NewTrapListener()
	got := make(chan map[string]string, 64)
	tl.OnNewTrap = func(p *gosnmp.SnmpPacket, _ *net.UDPAddr) {
		v := map[string]string{}
		for _, x := range p.Variables {
			switch val := x.Value.(type) {
			case []byte:
				v[x.Name] = string(val)
			case string:
				v[x.Name] = val
			}
		}
		select {
		case got <- v:
		default: // the test reads what it needs; more traps are dropped
		}
	}
	addr := freeUDPPort(t)
	go tl.Listen(addr)
	t.Cleanup(tl.Close)
	select {
	case <-tl.Listening():
	case <-time.After(time.Minute):
		t.Fatal("trap listener did not start")
	}
	return addr, got
}

// TestCollectorSNMPTraps: a collector process with --snmp-trap sends the
// events its probes report as traps: a probe process replaying the FTP
// lab capture gives probe_start and probe_stop traps from source
// "probe:A", as `live --snmp-trap` does (design 1.8; TestLiveSNMPTraps).
// The collector's journaled writes go through WritePlan: the traps must
// be sent there too.
func TestCollectorSNMPTraps(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	addr, got := trapListener(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "dist.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("probes:\n  - {name: A}\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1}\n", freeUDPPort(t))), 0o644)
	coll := startCollector(t, bin, cfg, filepath.Join(tmp, "out"), "--idle-exit", "2s", "--write-every", "200ms", "--snmp-trap", addr)
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", filepath.Join(samples(t), "lab", "ftp", "A.pcap"), "--speed", "full")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, 2*time.Minute)
	waitTimeout(t, coll, 2*time.Minute)
	base := trapBase
	kinds := map[string]map[string]string{}
	for len(got) > 0 {
		v := <-got
		kinds[v[base+".1.1"]] = v
	}
	for _, k := range []string{"probe_start", "probe_stop"} {
		v, ok := kinds[k]
		if !ok || v[base+".1.3"] != "probe:A" || v[base+".1.2"] != "info" || v[base+".1.4"] == "" {
			t.Errorf("trap %s: %v (traps received: %d kinds)", k, v, len(kinds))
		}
	}
}

// TestCollectorSNMPTrapBadAddress: an unresolvable --snmp-trap manager is
// one clear line and exit status 2, before anything is written.
func TestCollectorSNMPTrapBadAddress(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "dist.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("probes:\n  - {name: A}\ncollectors:\n  - {name: central, address: %q}\n", freeUDPPort(t))), 0o644)
	out := filepath.Join(tmp, "out")
	code, _, stderr := tmon(t, "collector", "--config", cfg, "--out", out, "--snmp-trap", "127.0.0.1:notaport")
	if code != 2 || stderr != "tmonbench collector: --snmp-trap \"127.0.0.1:notaport\": bad port\n" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after a refused --snmp-trap (%v)", out, err)
	}
}
