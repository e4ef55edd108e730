package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVLANGranularityOuterTag: the vlan granularity field splits flows by
// the outermost tag only (docs/configuration.md): on samples/zeek_q-in-q.pcap,
// whose four IP packets carry an S-tag 13 and a C-tag 10 (tshark -T fields
// -e vlan.id: "13,10"), a class [vlan, protocol] names one flow "*>*/udp
// vlan 13" of 4 packets, the inner 10 not in it. The inner tag is reached
// by a filter, as in tcpdump, each vlan moving one tag inward: "vlan 13 and
// vlan 10" takes the 4 packets, "vlan 10" none (tcpdump -r
// zeek_q-in-q.pcap 'vlan 13 and vlan 10' prints 5 lines, the 4 and an ARP;
// 'vlan 10', 0).
func TestVLANGranularityOuterTag(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vlan.yaml")
	os.WriteFile(cfg, []byte(`classes:
  - {name: outer, granularity: [vlan, protocol]}
  - {name: inner, filter: "vlan 13 and vlan 10", granularity: [vlan, protocol]}
  - {name: outer10, filter: "vlan 10", granularity: [vlan, protocol]}
`), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, filepath.Join("..", "..", "samples", "zeek_q-in-q.pcap")); code != 0 {
		t.Fatalf("replay: exit %d\n%s", code, stderr)
	}
	got := csvQuery(t, out, "select class, name, packets from flows where class <> 'all' order by class")
	if want := "class,name,packets\ninner,*>*/udp vlan 13,4\nouter,*>*/udp vlan 13,4\n"; got != want {
		t.Errorf("flows of the Q-in-Q capture:\n%s\nwant:\n%s", got, want)
	}
}
