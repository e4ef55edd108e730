package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// The setups many tests of this package share: open a capture, parse a
// configuration, replay one capture as the probes pipeline.Assign names.

// udpCounters is a configuration that counts the UDP packets.
const udpCounters = "classes:\n  - {name: u, filter: udp, analyses: [counters]}\n"

// openCapture opens the capture at path; it is closed when the test ends.
func openCapture(t testing.TB, path string) *replay.File {
	t.Helper()
	f, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// parseConfig parses a configuration, failing the test on an error.
func parseConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// assign is pipeline.Assign, failing the test on an error.
func assign(t testing.TB, caps ...pipeline.Capture) ([]probe.Identity, []pipeline.Input) {
	t.Helper()
	ids, routes, err := pipeline.Assign(caps)
	if err != nil {
		t.Fatal(err)
	}
	return ids, routes
}

// runRouted replays the capture at path as the input route (one of
// assign's) of the probes ids, with the default sender.
func runRouted(t testing.TB, path string, cfg *config.Config, ids []probe.Identity, route pipeline.Input) *pipeline.Result {
	t.Helper()
	f := openCapture(t, path)
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: f, Probe: route.Probe, Iface: route.Iface, Ifaces: route.Ifaces}},
		pipeline.Options{Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(), Merge: merge})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// probeInputs opens the captures at paths as one probe each, named by the
// capture's folder and file ("tcp-mix-A.pcap" for lab/tcp-mix/A.pcap),
// with the one interface if0; wrap, when not nil, wraps each file. The
// caller closes the files with closeAll.
func probeInputs(t testing.TB, wrap func(*replay.File) pkt.Source, paths ...string) (inputs []pipeline.Input, ids []probe.Identity, closeAll func()) {
	t.Helper()
	var files []*replay.File
	closeAll = func() {
		for _, f := range files {
			f.Close()
		}
	}
	for i, p := range paths {
		f, err := replay.Open(p)
		if err != nil {
			closeAll()
			t.Fatal(err)
		}
		files = append(files, f)
		var src pkt.Source = f
		if wrap != nil {
			src = wrap(f)
		}
		inputs = append(inputs, pipeline.Input{Source: src, Probe: i})
		ids = append(ids, probe.Identity{Name: filepath.Base(filepath.Dir(p)) + "-" + filepath.Base(p), Interfaces: []string{"if0"}})
	}
	return inputs, ids, closeAll
}

// runToCollectors runs src as the one input of probe A, sending to colls.
func runToCollectors(t testing.TB, src pkt.Source, cfg *config.Config, colls ...pipeline.Collector) *pipeline.Result {
	t.Helper()
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: src}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "A"}}, Merge: merge, Collectors: colls,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
