package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestReplayPcapngInterfaces (issue 15.11): `replay --probe P=FILE` gives
// probe P every interface of a pcapng, named from if_name (ifN without
// one), so that two interfaces of one file are the two hops of a one-way
// class. The file is engine/pipeline/testdata/two-hops.pcapng (generated
// by that package's TestPcapngInterfaces, capgen): 10 UDP packets seen on
// eth0 then on eth1 2.321 µs later, over two sections, plus one packet on
// an unnamed third interface (if2). The right values are the generator's:
// 10/10/1 packets per interface, 10 delivered at 2.321 µs (the file is
// stamped in ns, so the delay is exact). The packet index lists the file
// once (21 packets: one row), with an empty interface (it feeds several: the TUI
// finds a flow of any of them by it).
func TestReplayPcapngInterfaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(`classes:
  - name: path
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [counters, oneway]
    oneway:
      hops: [P/eth0, P/eth1]
      records: true
`), 0o644)
	out := filepath.Join(dir, "o")
	capture := filepath.Join("..", "..", "engine", "pipeline", "testdata", "two-hops.pcapng")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, "--probe", "P="+capture); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr)
	}
	for _, c := range []struct{ sql, want string }{
		{"select interface, sum(packets) p from flows where class = 'all' group by 1 order by 1",
			"interface,p\neth0,10\neth1,10\nif2,1\n"},
		{"select count(*) n, min(delay_us) lo, max(delay_us) hi from oneway_delays where status = 'delivered' and from_hop = 'P/eth0' and to_hop = 'P/eth1'",
			"n,lo,hi\n10,2.321,2.321\n"},
		{"select interface, count(*) n, min(min_time) = min(time) lo from packet_index group by 1 order by 1",
			"interface,n,lo\n,1,true\n"},
	} {
		code, stdout, stderr := tmon(t, "query", "--out", out, "--format", "csv", "--sql", c.sql)
		if code != 0 || stdout != c.want {
			t.Errorf("%s:\n%s(exit %d %s), want\n%s", c.sql, stdout, code, stderr, c.want)
		}
	}
}

// TestProbePcapngInterfaces (issue 15.11): `tmonbench probe --pcap FILE`
// without --iface gives the probe every interface of the file as well: a
// probe process and a collector process over UDP on 127.0.0.1 find the
// same 10 deliveries at 2.321 µs as TestReplayPcapngInterfaces.
func TestProbePcapngInterfaces(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`probes: [{name: P}]
collectors:
  - {name: central, address: "%s"}
classes:
  - name: path
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [counters, oneway]
    oneway:
      hops: [P/eth0, P/eth1]
      records: true
`, freeUDPPort(t))), 0o644)
	out := filepath.Join(dir, "o")
	coll := startCollector(t, bin, cfg, out, "--idle-exit", "2s")
	capture := filepath.Join("..", "..", "engine", "pipeline", "testdata", "two-hops.pcapng")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "P", "--pcap", capture)
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, 2*time.Minute)
	waitTimeout(t, coll, 2*time.Minute)
	if got := csvQuery(t, out, "select interface, sum(packets) p from flows where class = 'all' group by 1 order by 1"); got != "interface,p\neth0,10\neth1,10\nif2,1\n" {
		t.Errorf("packets per interface:\n%s", got)
	}
	if got := csvQuery(t, out, "select count(*) n, min(delay_us) lo, max(delay_us) hi from oneway_delays where status = 'delivered'"); got != "n,lo,hi\n10,2.321,2.321\n" {
		t.Errorf("deliveries:\n%s", got)
	}
}
