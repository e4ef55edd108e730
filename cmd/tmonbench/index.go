package main

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// indexEveryPackets: the packet index notes a file offset every this many
// packets (and every second of capture time): about 40 bytes per thousand
// packets, and at most this many packets read past to reach a flow's first.
const indexEveryPackets = 1000

// fileIndex is the packet index of one capture file and the probe
// interfaces the file feeds (several for a multi-interface pcapng).
type fileIndex struct {
	ix     *replay.Indexer
	ifaces []string
}

// newIndexer wraps a capture file so that replaying it notes the packet
// index (time -> file offset) the TUI seeks to a flow's packets with; r is
// the file's route (its probe interface, or one per file interface).
func newIndexer(f *replay.File, path string, id probe.Identity, r pipeline.Input) fileIndex {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	var names []string
	for _, i := range append([]uint16{r.Iface}, r.Ifaces...) {
		if int(i) < len(id.Interfaces) && !slices.Contains(names, id.Interfaces[i]) {
			names = append(names, id.Interfaces[i])
		}
	}
	first := ""
	if len(names) > 0 {
		first = names[0]
	}
	return fileIndex{replay.NewIndexer(f, id.Name, first, abs, indexEveryPackets, int64(time.Second)), names}
}

// writeIndex writes the packet index of every input as the packet_index
// table: a file feeding several interfaces of its probe has its entries
// once per interface, so a flow of any of them finds the file.
func writeIndex(run *store.Run, indexers []fileIndex) error {
	var all []replay.IndexEntry
	for _, x := range indexers {
		es := x.ix.Entries()
		all = append(all, es...)
		for _, name := range x.ifaces[min(1, len(x.ifaces)):] {
			for _, e := range es {
				e.Interface = name
				all = append(all, e)
			}
		}
	}
	_, err := store.Append(run, replay.TablePacketIndex, all)
	return err
}
