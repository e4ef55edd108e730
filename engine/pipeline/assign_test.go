package pipeline_test

import (
	"fmt"
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
	ids, routes := pipeline.Assign([]pipeline.Capture{{Path: "a", Probe: "P", Ifaces: a}, {Path: "b", Probe: "P", Ifaces: b}})
	got := ids[0].Interfaces
	if len(ids) != 1 || len(got) != 65536 || got[32767] != "eth32767" || got[32768] != "if32768" || got[65534] != "if65534" || got[65535] != "if65535" {
		t.Fatalf("%d probes, %d interfaces (%q ... %q)", len(ids), len(got), got[:2], got[len(got)-2:])
	}
	rb := routes[1].Ifaces
	if len(rb) != 11 || rb[0] != 0 || rb[9] != 9 || rb[10] != 65535 || routes[1].Iface != 0 {
		t.Errorf("file b's route %+v, want interfaces 0..9 and 65535", routes[1])
	}
}
