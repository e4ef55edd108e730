package oneway

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// BenchmarkSign signs the oneway-udp packets at A (NAT mask), one packet
// per op: go test ./engine/oneway -bench Sign -benchmem
func BenchmarkSign(b *testing.B) {
	pts, _ := loadUDP(b)
	pk := pts["A"]
	s, _ := NewSigner(32, mustMask(b, natMaskUDP...))
	var bytes int
	for _, c := range pk {
		bytes += int(c.d.IPLen)
	}
	b.SetBytes(int64(bytes / len(pk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := &pk[i%len(pk)]
		s.Sign(&c.d, c.data)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/pkt")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkEncode adds the oneway-udp observations at B to an Encoder and
// flushes full PDUs, one observation per op.
func BenchmarkEncode(b *testing.B) {
	pts, _ := loadUDP(b)
	pk := pts["B"]
	s, _ := NewSigner(16, mustMask(b, natMaskUDP...))
	obs := make([]Obs, len(pk))
	for i := range pk {
		sig, _ := s.Sign(&pk[i].d, pk[i].data)
		obs[i] = Obs{FlowID: 1, Signature: sig, TimeNs: pk[i].d.Meta.TimeNs, SizeBytes: pk[i].d.IPLen}
	}
	span := obs[len(obs)-1].TimeNs - obs[0].TimeNs + 1e9
	enc, _ := NewEncoder(EncoderConfig{SignatureBits: 16})
	var e pdu.Enc
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		o := obs[i%len(obs)]
		o.TimeNs += int64(i/len(obs)) * span
		if enc.Add(&o) {
			e.B = e.B[:0]
			enc.Flush(&e, 0)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/obs")
}

// BenchmarkReconcile feeds the decoded oneway-udp observations of A and B
// (interleaved in PDU build order, hops advanced per PDU) to a Reconciler
// with records off, one observation per op; times shift on every pass so
// the state stays steady.
func BenchmarkReconcile(b *testing.B) {
	pts, _ := loadUDP(b)
	mask := mustMask(b, natMaskUDP...)
	seq := func(c *capPkt) int64 { return seqOf(c) }
	runs := []probeRun{runProbe(b, 0, pts["A"], 32, mask, seq), runProbe(b, 1, pts["B"], 32, mask, seq)}
	type hopObs struct {
		hop     int
		o       Obs
		advance int64 // > 0: advance hop to it after this observation
	}
	var all []hopObs
	var pdus []pduOut
	for _, r := range runs {
		pdus = append(pdus, r.pdus...)
	}
	sortPDUs(pdus)
	for _, p := range pdus {
		if err := Decode(p.payload, func(o *Obs) { all = append(all, hopObs{hop: p.hop, o: *o}) }); err != nil {
			b.Fatal(err)
		}
		all[len(all)-1].advance = p.buildNs
	}
	span := all[len(all)-1].o.TimeNs - all[0].o.TimeNs + 10e9
	r, err := New("bench", Config{Hops: []string{"A", "B"}, Mask: natMaskUDP}, Limits{IntervalS: 10}, Output{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x := all[i%len(all)]
		shift := int64(i/len(all)) * span
		x.o.TimeNs += shift
		x.o.FirstNs += shift
		r.Observe(x.hop, 1, &x.o)
		if x.advance > 0 {
			r.Advance(x.hop, x.advance+shift)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/obs")
}
