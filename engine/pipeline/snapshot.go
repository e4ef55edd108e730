package pipeline

import (
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// startSnapshots names the inputs of the run's snapshots
// (Options.Snapshot) by their probe and interface.
func (r *run) startSnapshots() {
	opt := r.opt
	r.snap = probe.Snapshots{To: opt.Snapshot, Kernel: opt.Kernel, Wall: opt.Wall, State: opt.State}
	if r.snap.State == "" {
		r.snap.State = "replaying"
	}
	for _, in := range r.inputs {
		id := opt.Probes[in.Probe]
		name := ""
		if int(in.Iface) < len(id.Interfaces) {
			name = id.Interfaces[in.Iface]
		}
		r.snap.Inputs = append(r.snap.Inputs, probe.InputsOf(id.Name, name)...)
	}
}

// fillSnapshot adds the probes' and the collectors' counters to sn, from
// the probes' goroutine: a collector in its own goroutine is read from
// the copy its worker keeps.
func (r *run) fillSnapshot(sn *observe.Snapshot) {
	for _, p := range r.probes {
		p.AppendSnapshot(sn)
	}
	if r.recent != nil {
		sn.Recent, sn.RecentRows = r.recent.Rows()
	}
	for i, c := range r.collectors {
		var cc observe.CollectorCounters
		if w := r.workers[i]; w != nil && !w.stopped {
			cc = w.counters()
		} else {
			cc = c.Counters(r.colls[i].Name)
		}
		if i == 0 {
			cc.RowsWritten = r.written.Load()
		}
		sn.Collectors = append(sn.Collectors, cc)
	}
}
