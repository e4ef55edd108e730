package pipeline_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// TestAssignManyInterfaces: a probe of 65,536 interfaces (the most a
// pcapng may describe here) is assigned in one pass: Assign looked each
// name up in the probe's list (slices.Index), 2^31 string comparisons
// that took 20 s of a 40,000-interface capture's 22 s (the trial's
// measurement) and 55 s for 65,536; a map now. The names: file A has
// eth0..eth32767 and 32,767 interfaces without if_name (if32768...,
// numbered in order of appearance within the probe); file B, of the same
// probe, repeats eth0..eth9 (the same interfaces) and adds one unnamed
// (if65535, the probe's 65,536th).
func TestAssignManyInterfaces(t *testing.T) {
	a := make([]string, 65535)
	for i := range 32768 {
		a[i] = fmt.Sprintf("eth%d", i)
	}
	b := append(append([]string(nil), a[:10]...), "")
	ids, routes, err := pipeline.Assign([]pipeline.Capture{{Path: "a", Probe: "P", Ifaces: a}, {Path: "b", Probe: "P", Ifaces: b}})
	if err != nil {
		t.Fatalf("65,536 interfaces, the most a probe has: %v", err)
	}
	got := ids[0].Interfaces
	if len(ids) != 1 || len(got) != 65536 || got[32767] != "eth32767" || got[32768] != "if32768" || got[65534] != "if65534" || got[65535] != "if65535" {
		t.Fatalf("%d probes, %d interfaces (%q ... %q)", len(ids), len(got), got[:2], got[len(got)-2:])
	}
	rb := routes[1].Ifaces
	if len(rb) != 11 || rb[0] != 0 || rb[9] != 9 || rb[10] != 65535 || routes[1].Iface != 0 {
		t.Errorf("file b's route %+v, want interfaces 0..9 and 65535", routes[1])
	}
}

// TestAssignTooManyInterfaces: captures of one probe whose interfaces add
// up to more than 65,536 (pkt.MaxIfaces: pkt.Meta.Iface is 16 bits, so
// index 0..65535) are refused, naming the probe and its count. Assign
// numbered them modulo 2^16: interface 65,536 got number 0, the packets
// of two interfaces merged under the first one's name. Three ways to get
// there: two pcapngs of one probe (65,535 + 2 unnamed interfaces:
// if0..if65536), a pcapng and one more named interface (--probe
// P/IFACE=FILE), and 65,537 NAME/IFACE=FILE specs. A probe beside it with
// one interface is not the one named; the same names again in another
// file are the same interfaces, not more (65,536: accepted).
func TestAssignTooManyInterfaces(t *testing.T) {
	unnamed := func(n int) []string { return make([]string, n) }
	named := make([]pipeline.Capture, 65537)
	for i := range named {
		named[i] = pipeline.Capture{Path: "f", Probe: "P", Iface: fmt.Sprintf("e%d", i)}
	}
	for _, tc := range []struct {
		name string
		caps []pipeline.Capture
		n    int // the probe P's interfaces
	}{
		{"two pcapngs", []pipeline.Capture{{Path: "q", Probe: "Q"}, {Path: "a", Probe: "P", Ifaces: unnamed(65535)}, {Path: "b", Probe: "P", Ifaces: unnamed(2)}}, 65537},
		{"a pcapng and an interface", []pipeline.Capture{{Path: "a", Probe: "P", Ifaces: unnamed(65536)}, {Path: "b", Probe: "P", Iface: "eth9"}}, 65537},
		{"three pcapngs", []pipeline.Capture{{Path: "a", Probe: "P", Ifaces: unnamed(40000)}, {Path: "b", Probe: "P", Ifaces: unnamed(40000)}, {Path: "c", Probe: "P", Ifaces: unnamed(1)}}, 80001},
		{"specs", named, 65537},
	} {
		ids, routes, err := pipeline.Assign(tc.caps)
		want := fmt.Sprintf("probe P: its captures describe %d interfaces, at most 65536 (numbered 0 to 65535)", tc.n)
		if !errors.Is(err, pipeline.ErrTooManyIfaces) || !strings.Contains(err.Error(), want) || ids != nil || routes != nil {
			var last any
			if len(routes) > 0 {
				last = routes[len(routes)-1] // without the bound: interface 65,536 numbered 0
			}
			t.Errorf("%s: Assign = %d probes, last route %+v, error %v; want ErrTooManyIfaces, %q", tc.name, len(ids), last, err, want)
		}
	}
	same := make([]string, 65536)
	for i := range same {
		same[i] = fmt.Sprintf("eth%d", i)
	}
	ids, routes, err := pipeline.Assign([]pipeline.Capture{{Path: "a", Probe: "P", Ifaces: same}, {Path: "b", Probe: "P", Ifaces: same[65530:]}, {Path: "c", Probe: "P", Iface: "eth65535"}})
	if err != nil {
		t.Fatalf("the same 65,536 names in three files: %v", err)
	}
	if len(ids[0].Interfaces) != 65536 || routes[1].Ifaces[5] != 65535 || routes[2].Iface != 65535 {
		t.Errorf("the same 65,536 names in three files: %d interfaces, routes %+v %+v", len(ids[0].Interfaces), routes[1], routes[2])
	}
}
