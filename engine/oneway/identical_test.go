package oneway

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestIdenticalPacketsFirstInFirstOut: four identical UDP datagrams (same
// payload, IP id 0, so one signature and one size) leave A 1 ms apart and
// each reaches B 3 ms later (captures generated here:
// testdata/identical-a.pcap, testdata/identical-b.pcap; TTL 64 at A, 63
// at B). A path keeps the order of a flow's packets unless something
// reorders them, and identical packets cannot show that it did, so the
// k-th copy at A is the k-th at B: 4 delivered, every delay 3000 µs (the
// generator's truth; RFC 7679 §3.4: the delay of each packet). The design's
// "closest reference time" (4.3) taken alone paired B's first copy with
// A's last one: 0, 2, 4 and 6 ms (A's PDU first) when the flow's delay
// exceeds the packets' spacing. Both orders of the probes' PDUs at the
// collector must give the truth.
func TestIdenticalPacketsFirstInFirstOut(t *testing.T) {
	src, dst := capgen.AP("192.0.2.10:40000"), capgen.AP("198.51.100.90:9000")
	payload := make([]byte, 100)
	var fa, fb []capgen.Frame
	for i := range 4 {
		fa = append(fa, capgen.Frame{TimeNs: capgen.Ms(float64(i)), Data: capgen.UDP{Src: src, Dst: dst, Payload: payload, TTL: 64}.Frame()})
		fb = append(fb, capgen.Frame{TimeNs: capgen.Ms(float64(i) + 3), Data: capgen.UDP{Src: src, Dst: dst, Payload: payload, TTL: 63}.Frame()})
	}
	pick := func(d *dissect.Dissection) bool { return d.Has(dissect.HasUDP) }
	pa := loadPoint(t, capgen.Golden(t, "testdata/identical-a.pcap", capgen.PCAP(fa, true)), pick)
	pb := loadPoint(t, capgen.Golden(t, "testdata/identical-b.pcap", capgen.PCAP(fb, true)), pick)
	order := func(c *capPkt) int64 { return c.d.Meta.TimeNs }
	cfg := Config{Hops: []string{"A", "B"}, SignatureBits: 32, TimeoutS: 5, Records: true}
	for _, bFirst := range []bool{false, true} {
		a := runProbe(t, 0, pa, 32, 0, order)
		b := runProbe(t, 1, pb, 32, 0, order)
		if bFirst {
			b.pdus = slices.Clone(b.pdus)
			for i := range b.pdus {
				b.pdus[i].buildNs = a.pdus[0].buildNs - 1
			}
		}
		c := runCollector(t, cfg, Limits{IntervalS: 10}, a, b)
		if c.stats.Delivered != 4 {
			t.Fatalf("B's PDU first %v: stats %+v, want 4 delivered", bFirst, c.stats)
		}
		for _, p := range c.packets {
			if d := p.LastNs[1] - p.LastNs[0]; d != 3e6 {
				t.Errorf("B's PDU first %v: A at %d µs matched B at %d µs: delay %d µs, want 3000", bFirst,
					(p.LastNs[0]-capgen.Base)/1e3, (p.LastNs[1]-capgen.Base)/1e3, d/1e3)
			}
		}
	}
}
