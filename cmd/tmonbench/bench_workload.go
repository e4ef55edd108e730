package main

import (
	"bytes"
	"time"

	"github.com/tmonbench/tmonbench/engine/bench"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// benchWorkload opens the captures of a bench full run as cmdReplay opens
// them, so that bench measures replay's workload and writes its rows
// (TestBenchRowsAreReplays): each pcapng's interfaces named, so that a
// multi-interface file is as many interfaces of its probe, the probes
// assigned as replay's (a folder is one probe), every file read through
// its packet indexer, and at the end replay's events about its inputs
// (capture_overlap included) and the packet index. The interfaces are
// those caps already name: benchPaths scanned each capture once for the
// whole invocation (a pcapng's scan reads the file to its end), not once
// a run. With --preload, data[i] is caps[i]'s bytes.
func benchWorkload(caps []pipeline.Capture) func(data [][]byte) (*bench.Workload, error) {
	return func(data [][]byte) (wl *bench.Workload, err error) {
		probes, routes, err := pipeline.Assign(caps)
		if err != nil {
			return nil, err
		}
		var files []*replay.File
		var indexers []fileIndex
		closeAll := func() {
			for _, f := range files {
				f.Close()
			}
		}
		defer func() {
			if err != nil {
				closeAll()
			}
		}()
		var inputs []pipeline.Input
		for i, c := range caps {
			f, err := benchFile(c.Path, data, i)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
			// the indexer notes f's packets as f reads them (replay's input)
			x := newIndexer(f, c.Path, probes[routes[i].Probe], routes[i])
			x.found = c.Found
			indexers = append(indexers, x)
			inputs = append(inputs, pipeline.Input{Source: f, Probe: routes[i].Probe, Iface: routes[i].Iface, Ifaces: routes[i].Ifaces})
		}
		began := time.Now() // the events' time if no packet gives one (replayTime)
		return &bench.Workload{
			Probes: probes, Inputs: inputs, Close: closeAll,
			Events: func(res *pipeline.Result) []observe.Event {
				at := replayTime(res, nil, began)
				return append(inputEvents(at, caps, files), captureOverlaps(indexers, at)...)
			},
			Write: func(run *store.Run) error { return writeIndex(run, indexers) },
		}, nil
	}
}

// benchFile opens capture i: from its preloaded bytes when data is not
// nil, else from path.
func benchFile(path string, data [][]byte, i int) (*replay.File, error) {
	if data != nil {
		return replay.NewReader(bytes.NewReader(data[i]), path, int64(len(data[i])))
	}
	return replay.Open(path)
}
