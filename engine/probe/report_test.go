package probe

import (
	"bytes"
	"testing"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// recordPub keeps the bytes of each record published to it.
type recordPub struct {
	enc     pdu.Enc
	records [][]byte
}

func (r *recordPub) Begin(pdu.Type, int64) *pdu.Enc { r.enc.B = r.enc.B[:0]; return &r.enc }
func (r *recordPub) End(pdu.Type, int64)            { r.records = append(r.records, bytes.Clone(r.enc.B)) }
func (r *recordPub) Tick(int64)                     {}
func (r *recordPub) Flush(int64)                    {}
func (r *recordPub) FlushType(pdu.Type, int64)      {}

// TestReportSameRecords: appendCounters writes, from the flow's integer
// counters, the Counters record the probe wrote from each fixed metric's
// stat.Stat (flow.Flow.Metric) and its run-time metrics through
// pdu.Counters.Append: one packet, many with varied TTL and DSCP, every
// count, run-time metrics (an ICMP count, a float one), a flow without
// transport payload.
func TestReportSameRecords(t *testing.T) {
	check := func(name string, f *flow.Flow) {
		t.Helper()
		pub := &recordPub{}
		p := &Probe{out: pub, nowNs: 1_700_000_060_000_000_000}
		p.counters.IntervalStartNs, p.counters.IntervalNs, p.counters.FlowID = 1_700_000_000_000_000_000, 60e9, 4242
		p.appendCounters(f)
		want := pdu.Counters{IntervalStartNs: p.counters.IntervalStartNs, IntervalNs: 60e9, FlowID: 4242}
		for id := range flow.NumFixed {
			if st := f.Metric(id); st.N > 0 {
				want.Metrics = append(want.Metrics, pdu.Metric{ID: uint32(id), Stat: st})
			}
		}
		for _, x := range f.Extras() {
			want.Metrics = append(want.Metrics, pdu.Metric{ID: x.ID, Stat: x.Stat})
		}
		var e pdu.Enc
		want.Append(&e)
		if len(pub.records) != 1 || !bytes.Equal(pub.records[0], e.B) {
			t.Errorf("%s: records % x, want % x", name, pub.records, e.B)
		}
	}
	var f flow.Flow
	f.AddPacket(60, 64, 0)
	f.AddL4Payload(20)
	f.Count(flow.MTCPSyn)
	check("one packet", &f)
	for i := range 500 {
		f.AddPacket(uint32(40+i*3), uint8(60+i%5), uint8(i%3))
		f.AddL4Payload(uint32(i))
	}
	for id := flow.MFragments; id < flow.NumFixed; id++ {
		f.Count(id)
	}
	f.Extra(sharedICMP | 3<<8).Count()
	f.Extra(sharedMetricID("rtt_unanswered_dns")).Add(0.25)
	check("varied, every count, run-time metrics", &f)
	f.ResetInterval()
	f.AddPacket(1500, 255, 46)
	check("next interval, no transport", &f)
}
