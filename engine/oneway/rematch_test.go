package oneway

import "testing"

// TestLateUpstreamTakesItsMatch: the live lab of TRIAL-LIVE.md (h-live8:
// namespaces c -> r -> s, a 1 Mbit/s tbf queue adding ~206 ms, nft dropping
// 5 % on the router, probes A on c0 and B on s0, the collector restarted
// mid-run). Packets 0x5bd and 0x84b of the sender shared 16-bit signature
// 13750 (same size): 0x5bd left A at 0 and was dropped by nft (absent from
// tcpdump -w on s0), 0x84b left A 4,674,125 µs later and reached B after
// 206,542 µs (tcpdump on c0 and s0: 999.858972 and 1000.065514). After the
// collector's restart B's observation of 0x84b arrived before A's: it
// joined 0x5bd's record (the only one lacking B) and oneway_delays said
// 4,880,667 µs delivered for 0x5bd and lost for 0x84b, 23 times the tbf
// queue's 200 ms bound. When A's observation arrives, it must take B's
// back: it fits the flow's current delay (~206 ms, that of 0x84a matched
// just before it) where the first match missed it by 4.67 s.
func TestLateUpstreamTakesItsMatch(t *testing.T) {
	cfg := Config{Hops: []string{"A", "B"}, TimeoutS: 5, Records: true}
	for _, arrival := range []string{"B first", "A first"} {
		s := newSim(t, cfg, Limits{IntervalS: 10})
		s.obs(0, 1, -1e6, 1028) // an earlier packet: the flow's delay is 206 ms
		s.obs(1, 1, -1e6+206_000, 1028)
		s.obs(0, 13750, 0, 1028) // 0x5bd at A (lost)
		// B's PDU holds 0x84b and the packet 7 ms before it (0x84a), A's
		// PDU the same two, in capture order
		if arrival == "B first" {
			s.obs(1, 2, 4_873_660, 1028)     // 0x84a at B
			s.obs(1, 13750, 4_880_667, 1028) // 0x84b at B, before A's PDU
			s.obs(0, 2, 4_667_118, 1028)     // 0x84a at A
			s.obs(0, 13750, 4_674_125, 1028) // 0x84b at A
		} else {
			s.obs(0, 2, 4_667_118, 1028)
			s.obs(0, 13750, 4_674_125, 1028)
			s.obs(1, 2, 4_873_660, 1028)
			s.obs(1, 13750, 4_880_667, 1028)
		}
		s.reported()
		s.r.Flush()
		st := s.r.Stats()
		if st.Delivered != 3 || st.Lost != 1 {
			t.Fatalf("%s: stats %+v, want 3 delivered, 1 lost", arrival, st)
		}
		for _, p := range s.packets {
			switch p.LastNs[0] {
			case us(0):
				if p.Status != StatusLost {
					t.Errorf("%s: 0x5bd (A at 0) %v, B at %d µs; want lost (nft dropped it)", arrival, p.Status, (p.LastNs[1]-t0)/1e3)
				}
			case us(4_674_125):
				if d := p.LastNs[1] - p.LastNs[0]; p.Status != StatusDelivered || d != 206_542e3 {
					t.Errorf("%s: 0x84b %v, delay %d µs; want delivered after 206542 µs (tcpdump)", arrival, p.Status, d/1e3)
				}
			}
		}
	}
}
