package pipeline_test

import (
	"bytes"
	"flag"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

var _ = flag.Bool("update", false, "rewrite the generated captures under testdata/")

// twoHopCapture builds a pcapng of two sections, each describing eth0 and
// eth1 (the second also an interface without if_name): every one of 10
// UDP packets to port 9000 is captured on eth0, then on eth1 2.321 µs
// later (the two sides of one box), 5 in each section; one more packet is
// captured on the unnamed interface. Nanosecond timestamps.
func twoHopCapture() []byte {
	var fr []capgen.Frame
	for i := range 10 {
		t := capgen.Base + int64(i)*1e6
		d := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9000"), IPID: uint16(i), Payload: bytes.Repeat([]byte{byte(i)}, 100)}.Frame()
		base := 0 // file-wide index of the section's eth0
		if i >= 5 {
			base = 2
		}
		fr = append(fr, capgen.Frame{TimeNs: t, Iface: base, Data: d}, capgen.Frame{TimeNs: t + 2321, Iface: base + 1, Data: d})
	}
	fr = append(fr, capgen.Frame{TimeNs: capgen.Base + 20e6, Iface: 4,
		Data: capgen.UDP{Src: capgen.AP("192.0.2.2:4000"), Dst: capgen.AP("198.51.100.9:53"), Payload: []byte("x")}.Frame()})
	return capgen.PCAPNG([][]string{{"eth0", "eth1"}, {"eth0", "eth1", ""}}, fr)
}

// TestPcapngInterfaces (issue 15.11): each interface of a pcapng (per
// section) is an interface of its probe, named from if_name (or ifN):
// replaying the file as --probe P=FILE gives P the interfaces eth0, eth1
// and if2 (the interfaces of the second section named eth0 and eth1 are
// the same ones), and the two interfaces of the one file are the two hops
// of a one-way class: 10 packets delivered from P/eth0 to P/eth1.
// Before, every packet came out as if0.
func TestPcapngInterfaces(t *testing.T) {
	path, err := filepath.Abs(capgen.Golden(t, "testdata/two-hops.pcapng", twoHopCapture()))
	if err != nil {
		t.Fatal(err)
	}
	caps, err := pipeline.Captures(nil, []string{"P=" + path})
	if err != nil {
		t.Fatal(err)
	}
	ifs, err := replay.ScanInterfaces(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range ifs {
		caps[0].Ifaces = append(caps[0].Ifaces, it.Name)
	}
	ids, routes := assign(t, caps...)
	if got := ids[0].Interfaces; len(got) != 3 || got[0] != "eth0" || got[1] != "eth1" || got[2] != "if2" {
		t.Fatalf("probe interfaces %q, want [eth0 eth1 if2]", got)
	}
	cfg := parseConfig(t, `
classes:
  - name: path
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [counters, oneway]
    oneway:
      hops: [P/eth0, P/eth1]
      records: true
`)
	res := runRouted(t, path, cfg, ids, routes[0])
	perIface := map[string]uint64{}
	for _, fl := range res.Batch.Flows {
		if fl.Class == "all" {
			perIface[fl.Interface] += fl.Packets
		}
	}
	if perIface["eth0"] != 10 || perIface["eth1"] != 10 || perIface["if2"] != 1 {
		t.Errorf("packets per interface %v, want eth0 10, eth1 10, if2 1", perIface)
	}
	delivered := 0
	for _, d := range res.Batch.OnewayDelays {
		if d.Status == "delivered" && d.FromHop == "P/eth0" && d.ToHop == "P/eth1" {
			delivered++
			if d.DelayUs == nil || math.Abs(*d.DelayUs-2.321) > 1e-9 {
				t.Errorf("delay %v µs, want 2.321", fmtUs(d.DelayUs))
			}
		}
	}
	if delivered != 10 {
		t.Errorf("%d packets delivered P/eth0 -> P/eth1, want 10 (%d rows)", delivered, len(res.Batch.OnewayDelays))
	}
}

func fmtUs(v *float64) any {
	if v == nil {
		return "NULL"
	}
	return *v
}

// TestUnseenHops: a one-way hop that no capture point of the run is (a
// misspelt probe, a probe left out, an interface the probe has not) is
// warned about, naming the class, the hop and the run's probes: with
// hops [A, C] and probes A and B, every packet of A counted as lost at C
// (3769 sent, 3769 lost on the lab's one-way capture) without a word. A
// hop "P" is any interface of probe P; "P/I" only its interface I
// (oneway.HopIndex). The probes are named with their interfaces,
// probe/interface: a trial's live --name P on interface t36va with hops
// [P/eth0, P/eth1] read "(probes P)", which did not show why P/eth0 is
// not P's; it reads "(probes P/t36va)".
func TestUnseenHops(t *testing.T) {
	cfg, err := config.Parse([]byte(`
classes:
  - {name: ab, filter: udp, analyses: [oneway], oneway: {hops: [A, B/eth0]}}
  - {name: ac, filter: udp, analyses: [oneway], oneway: {hops: [A, C]}}
  - {name: ax, filter: udp, analyses: [oneway], oneway: {hops: [A/if0, B/eth9]}}
  - {name: t, filter: tcp, analyses: [tcp]}
`), "hops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	probes := []probe.Identity{{Name: "A", Interfaces: []string{"if0"}}, {Name: "B", Interfaces: []string{"eth0", "eth1"}}}
	got := pipeline.UnseenHops(cfg, probes)
	want := []string{
		`one-way class "ac": hop "C" is no probe (or probe/interface) of this run (probes A/if0, B/eth0, B/eth1): no packet is seen there, so every packet that should reach it counts as dropped on the pairs with it (not lost or missed)`,
		`one-way class "ax": hop "B/eth9" is no probe (or probe/interface) of this run (probes A/if0, B/eth0, B/eth1): no packet is seen there, so every packet that should reach it counts as dropped on the pairs with it (not lost or missed)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("UnseenHops:\n%q\nwant\n%q", got, want)
	}
	cfg, err = config.Parse([]byte("classes:\n  - {name: path, filter: udp, analyses: [oneway], oneway: {hops: [P/eth0, P/eth1]}}\n"), "live.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got = pipeline.UnseenHops(cfg, []probe.Identity{{Name: "P", Interfaces: []string{"t36va"}}})
	for i, hop := range []string{"P/eth0", "P/eth1"} {
		if want := `one-way class "path": hop "` + hop + `" is no probe (or probe/interface) of this run (probes P/t36va): no packet`; len(got) != 2 || !strings.HasPrefix(got[i], want) {
			t.Errorf("UnseenHops of live P on t36va: %q, want %d lines, line %d starting %q", got, 2, i+1, want)
		}
	}
}
