package pipeline_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestHelloManyInterfaces: a probe with 2,700 interfaces named
// "mirror-port-capture-NNNNN" (25 bytes, 26 with its length) has a Hello
// record of 70,204 bytes, past a frame's 16-bit payload length: the frame
// went out corrupt, the collector never acknowledged it, every row came
// out under the placeholder probe-N with interfaces "0", "1", ... after
// 49 long-retry cycles, and pdu_undelivered said an error. Now the Hello
// carries the names that fit pdu.MaxRecordBytes (65,457 bytes: 2 for the
// probe name "P", 2 for the count, 26 per name: (65457-4)/26 = 2517
// names), the rest are named "if" and their number (as pipeline.Assign
// names an interface without a name; they were named by the bare number,
// "2699", before), a hello_interfaces_unnamed
// warning counts them (183), and every PDU is acknowledged. The capture
// (built here with capgen.PCAPNG) has one UDP packet on interface 0 and
// one on interface 2699.
func TestHelloManyInterfaces(t *testing.T) {
	const n = 2700
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("mirror-port-capture-%05d", i)
	}
	d := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("x")}.Frame()
	path := filepath.Join(t.TempDir(), "many.pcapng")
	if err := os.WriteFile(path, capgen.PCAPNG([][]string{names}, []capgen.Frame{{TimeNs: capgen.Base, Iface: 0, Data: d}, {TimeNs: capgen.Base + 1e6, Iface: n - 1, Data: d}}), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, routes := assign(t, pipeline.Capture{Path: path, Probe: "P", Ifaces: names})
	res := runRouted(t, path, parseConfig(t, udpCounters), ids, routes[0])
	got := map[string]bool{}
	for _, fl := range res.Batch.Flows {
		if fl.Probe != "P" {
			t.Errorf("flow of probe %q, want P", fl.Probe)
		}
		got[fl.Interface] = true
	}
	if !got[names[0]] || !got["if2699"] || len(got) != 2 {
		t.Errorf("flow interfaces %v, want %s and if2699", got, names[0])
	}
	var unnamed uint64
	for _, e := range res.Batch.Events {
		switch {
		case e.Kind == "hello_interfaces_unnamed":
			unnamed += e.Count
			if !strings.Contains(e.Message, "2517 to 2699") {
				t.Errorf("message %q, want interfaces 2517 to 2699", e.Message)
			}
		case e.Severity == observe.SevError || e.Kind == "pdu_long_retry_enter":
			t.Errorf("event %s: %s", e.Kind, e.Message)
		}
	}
	if unnamed != n-2517 {
		t.Errorf("hello_interfaces_unnamed count %d, want %d", unnamed, n-2517)
	}
}

// TestHelloUnnamedInterfacesNoWarning: names left out of the Hello that
// are already the ifN the collector gives (interfaces the capture does not
// name: pipeline.Assign) change no name in the tables, and were warned
// about anyway (a trial's in-process replay). Of 2700 interfaces, 2600
// named "mirror-port-capture-NNNNN" and 100 unnamed, the Hello holds
// 2517 names (TestHelloManyInterfaces' arithmetic): 183 are left out, of
// which 83 (2517 to 2599) are named and the 100 unnamed ones are if2600
// to if2699 either way: the warning counts 83.
func TestHelloUnnamedInterfacesNoWarning(t *testing.T) {
	const n, named = 2700, 2600
	names := make([]string, n)
	for i := range named {
		names[i] = fmt.Sprintf("mirror-port-capture-%05d", i)
	}
	d := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:9"), Payload: []byte("x")}.Frame()
	path := filepath.Join(t.TempDir(), "mixed.pcapng")
	if err := os.WriteFile(path, capgen.PCAPNG([][]string{names}, []capgen.Frame{{TimeNs: capgen.Base, Iface: 2550, Data: d}, {TimeNs: capgen.Base + 1e6, Iface: n - 1, Data: d}}), 0o644); err != nil {
		t.Fatal(err)
	}
	ids, routes := assign(t, pipeline.Capture{Path: path, Probe: "P", Ifaces: names})
	res := runRouted(t, path, parseConfig(t, udpCounters), ids, routes[0])
	got := map[string]bool{}
	for _, fl := range res.Batch.Flows {
		got[fl.Interface] = true
	}
	if !got["if2550"] || !got["if2699"] || len(got) != 2 {
		t.Errorf("flow interfaces %v, want if2550 (named, left out) and if2699 (unnamed)", got)
	}
	var unnamed uint64
	for _, e := range res.Batch.Events {
		if e.Kind == "hello_interfaces_unnamed" {
			unnamed += e.Count
			if !strings.Contains(e.Message, "the names of 83 of the probe's 2700 interfaces") || !strings.Contains(e.Message, "2517 to 2599") {
				t.Errorf("message %q, want 83 of 2700, interfaces 2517 to 2599", e.Message)
			}
		}
	}
	if unnamed != 83 {
		t.Errorf("hello_interfaces_unnamed count %d, want 83 (the named interfaces left out)", unnamed)
	}
}
