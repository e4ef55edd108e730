package probe_test

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/testframes"
)

// TestWorkersSnapshotFlowIDs: the busiest flows of a live snapshot (the
// TUI's and --metrics') carry the ids of the tables, as a lone probe's
// do: 2 workers give the same flows, ids and counters, at every 100th
// packet of a capture of 11 hosts' SSH (zeek_ssh_ssh.pcap, SOURCES.md;
// 1 s intervals). Before, each flow
// carried its worker's own id (two workers' flows both numbered 1).
func TestWorkersSnapshotFlowIDs(t *testing.T) {
	frames, metas := testframes.Frames(t, "pcap/tcp-options/zeek_ssh_ssh.pcap")
	cfg := config.Default()
	cfg.IntervalS = 1
	l1, l2 := &ackLink{}, &ackLink{}
	lone, err := probe.New(probe.Identity{Name: "P"}, cfg, []probe.Channel{{Link: l1, Config: pdu.DefaultSenderConfig()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := probe.NewWorkers(probe.Identity{Name: "P"}, cfg, []probe.Channel{{Link: l2, Config: pdu.DefaultSenderConfig()}}, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	l1.s, l2.s = lone.Senders()[0], w.Senders()[0]
	defer w.Close()
	type row struct {
		id, bytes uint64
		start     int64
	}
	flows := func(e probe.Engine) []row {
		var s observe.Snapshot
		e.AppendSnapshot(&s)
		var out []row
		for _, f := range append(s.Flows, s.Current...) {
			out = append(out, row{f.FlowID, f.Bytes, f.IntervalStart})
		}
		return out
	}
	compared, apart := 0, 0
	for i := range frames {
		lone.Packet(frames[i], metas[i])
		w.Packet(frames[i], metas[i])
		if i%100 != 99 {
			continue
		}
		lone.Tick(metas[i].TimeNs) // the workers' batch handed over and merged
		w.Tick(metas[i].TimeNs)
		want, got := flows(lone), flows(w)
		if len(want) != len(got) {
			t.Fatalf("packet %d: %d flows, a lone probe's %d", i+1, len(got), len(want))
		}
		// busiest first: equal byte counts may come in another order
		seen := map[row]int{}
		for j := range want {
			seen[want[j]]++
			seen[got[j]]--
		}
		for r, n := range seen {
			if n != 0 {
				t.Errorf("packet %d: flow %+v %d times more in the lone probe's snapshot than in the workers'", i+1, r, n)
			}
		}
		for _, r := range want {
			if r.id > 2 {
				apart++
			}
		}
		compared += len(want)
	}
	if compared == 0 || apart == 0 {
		t.Fatalf("%d flows compared, %d with ids above 2: the test shows nothing", compared, apart)
	}
}
