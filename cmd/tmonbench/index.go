package main

import (
	"path/filepath"
	"time"

	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// indexEveryPackets: the packet index notes a file offset every this many
// packets (and every second of capture time): about 100 bytes per thousand
// packets, at most replay.MaxIndexEntries rows per file, and at most this
// many packets (more once a long file is thinned) read past to reach a
// flow's first.
const indexEveryPackets = 1000

// fileIndex is the packet index of one capture file.
type fileIndex struct {
	ix *replay.Indexer
	// found: a folder or a quoted glob brought the file in
	// (pipeline.Capture.Found): one of rotated files, by the docs, which
	// captureOverlaps checks
	found bool
}

// newIndexer attaches to a capture file the packet indexer that notes,
// as the file is read, the packet index (time -> file offset) the TUI
// seeks to a flow's packets with; r is the file's route (its probe
// interface, or one per file interface). A file feeding several
// interfaces of its probe (a pcapng) has its rows once, with an empty
// interface (any of the probe's): copied per interface, a file of 9,000
// interfaces had 9,000 copies of every row.
func newIndexer(f *replay.File, path string, id probe.Identity, r pipeline.Input) fileIndex {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	name := ""
	if int(r.Iface) < len(id.Interfaces) {
		name = id.Interfaces[r.Iface]
	}
	for _, i := range r.Ifaces {
		if i != r.Iface {
			name = ""
			break
		}
	}
	return fileIndex{ix: replay.NewIndexer(f, id.Name, name, abs, indexEveryPackets, int64(time.Second))}
}

// writeIndex writes the packet index of every input as the packet_index
// table.
func writeIndex(run *store.Run, indexers []fileIndex) error {
	var all []replay.IndexEntry
	for _, x := range indexers {
		all = append(all, x.ix.Entries()...)
	}
	_, err := store.Append(run, replay.TablePacketIndex, all)
	return err
}
