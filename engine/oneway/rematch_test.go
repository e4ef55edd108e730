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

// TestLateUpstreamCrossedPair: the same lab, probe B killed and restarted,
// the collector stopped and restarted, nft dropping 20 % of the PDUs.
// Packets P1 and P2 shared signature 37047 and were both delivered: P1
// left A at 0 and reached B 201,773 µs later, P2 left A 1,285,687 µs after
// P1 and took 208,161 µs (tcpdump -w on c0 and s0: 757.887508 -> 758.089281,
// 759.173195 -> 759.381356). B's PDU holding P1 was dropped and
// retransmitted: B's P2 reached the collector first and joined P1's record
// (1,493,848 µs), B's P1, just after it, started a record (the flow's delay
// was then P2's wrong 1.49 s), which A's P2 joined for want of a causal
// candidate (-1,083,914 µs): both delays wrong, one negative on a path with
// one clock. A's P2 must take B's P2 back rather than join B's P1
// backwards, and A's P1, displaced, join B's P1.
func TestLateUpstreamCrossedPair(t *testing.T) {
	cfg := Config{Hops: []string{"A", "B"}, TimeoutS: 5, Records: true}
	s := newSim(t, cfg, Limits{IntervalS: 10})
	s.obs(0, 1, -1e6, 1028) // an earlier packet: the flow's delay is ~200 ms
	s.obs(1, 1, -1e6+200_000, 1028)
	s.obs(0, 37047, 0, 1028)         // P1 at A
	s.obs(1, 37047, 1_493_848, 1028) // P2 at B, its PDU first
	s.obs(1, 37047, 201_773, 1028)   // P1 at B, retransmitted just after
	s.obs(1, 2, 1_400_000, 1028)     // another packet's B before its A
	s.obs(0, 2, 1_200_000, 1028)     // (sets the flow's delay back to 200 ms)
	s.obs(0, 37047, 1_285_687, 1028) // P2 at A
	s.reported()
	s.r.Flush()
	if st := s.r.Stats(); st.Delivered != 4 || st.Lost != 0 || st.Missed != 0 || st.NegativeDelays != 0 {
		t.Fatalf("stats %+v, want 4 delivered, no negative delay", st)
	}
	want := map[int64]int64{us(0): 201_773e3, us(1_285_687): 208_161e3}
	for _, p := range s.packets {
		if w, ok := want[p.LastNs[0]]; ok {
			if d := p.LastNs[1] - p.LastNs[0]; d != w {
				t.Errorf("A at %d µs: delay %d µs, want %d (tcpdump)", (p.LastNs[0]-t0)/1e3, d/1e3, w/1e3)
			}
		}
	}
}
