package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// TestSpoolOutage: 100,000 SYNs (as many flows) while two of three
// collectors are out of reach for 30 s, with MaxPermanentBytes 64 KiB: the
// flow definitions past it wait in the spool. Behind the default spool
// every flow arrives with its definition, as at the collector never cut
// off; behind a 256 KiB spool the oldest spooled definitions are
// destroyed, and exactly those flows lack their definition; the records
// destroyed are counted per type (pdu_stats) and in
// pdu_permanent_overflow events, which reach the output (issue 13.5).
func TestSpoolOutage(t *testing.T) {
	const n = 100_000
	cfg := config.Default()
	cfg.IntervalS = 1
	out := pdu.Faults{Outages: []pdu.Window{{StartNs: 0, EndNs: 30e9}}}
	spooled, small := pdu.DefaultSenderConfig(), pdu.DefaultSenderConfig()
	spooled.MaxPermanentBytes = 64 << 10
	small.MaxPermanentBytes, small.SpoolMaxBytes = 64<<10, 256<<10
	res, err := pipeline.Run(context.Background(), []pipeline.Input{{Source: newSYNFlood(n, 4, 100_000)}}, pipeline.Options{
		Config: cfg, Probes: []probe.Identity{{Name: "A"}}, Merge: merge,
		Collectors: []pipeline.Collector{
			{Name: "perfect", Sender: pdu.DefaultSenderConfig()},
			{Name: "spooled", Sender: spooled, Faults: out},
			{Name: "small", Sender: small, Faults: out},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	perfect, sp, sm := res.Batches[0], res.Batches[1], res.Batches[2]
	if len(perfect.Flows) != n {
		t.Fatalf("%d flows, want %d", len(perfect.Flows), n)
	}
	st := res.Senders[1]
	if st.Spooled == 0 || st.PermanentDestroyed != 0 || len(sp.Flows) != n {
		t.Fatalf("default spool: %d spooled, %d destroyed, %d flows", st.Spooled, st.PermanentDestroyed, len(sp.Flows))
	}
	for i := range perfect.Flows {
		if perfect.Flows[i] != sp.Flows[i] {
			t.Fatalf("flow %d: %+v behind the spool, %+v without outage", i, sp.Flows[i], perfect.Flows[i])
		}
	}
	st = res.Senders[2]
	defined := 0
	for _, f := range sm.Flows {
		if f.Protocol != 0 {
			defined++
		}
	}
	var counted uint64
	for _, e := range perfect.Events {
		if e.Kind == pdu.EventPermanentOverflow && strings.HasPrefix(e.Message, "collector small:") {
			counted += e.Count
		}
	}
	t.Logf("default spool: %d PDUs spooled (peak %d kB); 256 KiB spool: %d PDUs spooled, %d destroyed (%d definitions), %d flows defined, events count %d",
		res.Senders[1].Spooled, res.Senders[1].SpoolPeakBytes>>10, st.Spooled, st.PermanentDestroyed, st.DestroyedRecords[pdu.TypeFlowDef], defined, counted)
	if st.PermanentDestroyed == 0 || uint64(n-defined) != st.DestroyedRecords[pdu.TypeFlowDef] {
		t.Errorf("%d flows without definition, %d definitions destroyed", n-defined, st.DestroyedRecords[pdu.TypeFlowDef])
	}
	if counted != st.PermanentDestroyedRecords {
		t.Errorf("pdu_permanent_overflow events count %d records, the sender destroyed %d", counted, st.PermanentDestroyedRecords)
	}
}
