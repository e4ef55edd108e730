package oneway

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"testing"
)

// TestLabUDPProbeRestartReplays: the new-user trial of docs/processes.md (
// samples/dist.yaml: hops A and B, 16-bit
// signatures, whole µs, 5 s timeout, 10 s intervals) with probe A killed
// after killS seconds of its realtime replay of oneway-udp/A.pcap (the PDU
// it was building is lost) and restarted on the same capture: a new run
// (Resume) that observes its first killS seconds again. Those are the same
// observations reported again, not packets: the oneway_loss rows still
// give, per 10 s interval of the send time at A, the datagrams of
// ground_truth.csv (sequence numbers seen at A, and at B or not: 3769 sent,
// 3723 delivered, 46 lost, then 1231, 1218, 13; the undisturbed run of the
// README gives the same), no duplicate, and every repeat is counted. With
// the kill at 5 s nothing was classified yet (the repeats find their
// records open); at 12 s the packets of the first 7 s were classified and
// written; at 17 s the first interval was emitted too. Before the fix the
// 5 s kill read 3791 sent, 68 lost (the repeats of packets lost before B
// made records of their own, a collision with the first report), and the
// later kills thousands more (every repeat of a classified packet a new
// lost one).
func TestLabUDPProbeRestartReplays(t *testing.T) {
	pts, gt := loadUDP(t)
	const intervalNs = 10e9
	type counts struct{ sent, delivered, lost uint64 }
	truth := map[int64]counts{}
	for _, g := range gt {
		k := g.a / intervalNs * intervalNs
		c := truth[k]
		c.sent++
		if g.b != 0 {
			c.delivered++
		} else {
			c.lost++
		}
		truth[k] = c
	}
	if len(truth) != 2 || truth[slices.Min(slices.Collect(maps.Keys(truth)))] != (counts{3769, 3723, 46}) {
		t.Fatalf("ground truth per interval %v, want 3769/3723/46 first", truth)
	}
	defer func() { timeUnitNs = 0 }()
	timeUnitNs = 1000
	mask := mustMask(t, natMaskUDP...)
	seq := func(c *capPkt) int64 { return seqOf(c) }
	a := runProbe(t, 0, pts["A"], 16, mask, seq)
	b := runProbe(t, 1, pts["B"], 16, mask, seq)
	cfg := Config{Hops: []string{"A", "B"}, SignatureBits: 16, Mask: natMaskUDP, TimeoutS: 5, Records: true}
	start := pts["A"][0].d.Meta.TimeNs
	calm := runCollector(t, cfg, Limits{IntervalS: 10}, a, b) // the undisturbed run
	for _, tc := range []struct{ killS, intervalS float64 }{{5, 10}, {8, 10}, {9, 1}, {15, 10}} {
		t.Run(fmt.Sprintf("kill at %g s, %g s intervals", tc.killS, tc.intervalS), func(t *testing.T) {
			kill := start + int64(tc.killS*1e9)
			// wall time: the replays are realtime from the capture start; A's new run
			// starts at the kill and replays from the start
			type at struct {
				wall int64
				p    pduOut
			}
			var ev []at
			for _, p := range b.pdus {
				ev = append(ev, at{p.buildNs, p})
			}
			inFlight := -1
			for i, p := range a.pdus {
				if p.buildNs <= kill {
					ev = append(ev, at{p.buildNs, p})
					inFlight = i
				}
			}
			ev = append(ev[:len(ev)-1], at{kill, pduOut{hop: 0, resume: "A"}}) // the kill loses A's last PDU
			repeats := 0
			for i, p := range a.pdus {
				ev = append(ev, at{kill + p.buildNs - start, p})
				if i < inFlight {
					n := 0
					if err := Decode(p.payload, func(*Obs) { n++ }); err != nil {
						t.Fatal(err)
					}
					repeats += n // reported by the first run
				}
			}
			slices.SortStableFunc(ev, func(x, y at) int { return cmp.Compare(x.wall, y.wall) })
			all := make([]pduOut, len(ev))
			for i := range ev {
				all[i] = ev[i].p
			}
			c := feedCollector(t, cfg, Limits{IntervalS: tc.intervalS}, all)
			got := map[int64]counts{}
			var dups uint64
			for _, l := range c.loss {
				k := l.IntervalStart / intervalNs * intervalNs
				g := got[k]
				got[k] = counts{g.sent + l.Sent, g.delivered + l.Delivered, g.lost + l.Lost}
				dups += l.Duplicates
			}
			for k, w := range truth {
				if got[k] != w {
					t.Errorf("interval %d: sent/delivered/lost %v, truth %v", k, got[k], w)
				}
			}
			st := c.stats
			if st.Delivered != 4941 || st.Lost != 59 || st.Missed != 0 || st.Duplicates != 0 || dups != 0 {
				t.Errorf("stats %+v, oneway_loss duplicates %d; want 4941 delivered, 59 lost, no duplicate", st, dups)
			}
			if n := st.Repeats + st.RepeatsClassified; n != uint64(repeats) {
				t.Errorf("repeats %d + %d, want the %d observations of the first run's delivered PDUs", st.Repeats, st.RepeatsClassified, repeats)
			}
			// everything else as in the undisturbed run
			want := calm.stats
			want.Observations, want.Repeats, want.RepeatsClassified, want.Intervals = st.Observations, st.Repeats, st.RepeatsClassified, st.Intervals
			if st != want {
				t.Errorf("stats %+v, undisturbed %+v", st, calm.stats)
			}
			t.Logf("stats %+v", st)
		})
	}
}

// TestRepeatIsNotADuplicate: at b a packet arrives twice, 50 µs apart (a
// duplicate: RFC 7679 §3.7, RFC 7680 counts it once, reported as a
// duplicate); then b's probe is restarted and replays both observations,
// and a's, restarted too, its first report. The repeats (a later run's,
// same hop, signature, size and time as an observation held) are counted
// in Stats.Repeats and change nothing: one packet sent and delivered, one
// duplicate at b.
func TestRepeatIsNotADuplicate(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 10})
	s.obs(0, 1, 0, 100)
	s.obs(1, 1, 100, 100)
	s.obs(1, 1, 150, 100) // the duplicate at b
	s.r.Resume("b")
	s.obs(1, 1, 100, 100) // b's new run replays its capture
	s.obs(1, 1, 150, 100)
	s.r.Resume("a")
	s.obs(0, 1, 0, 100) // a's new run too
	s.r.Flush()
	st := s.r.Stats()
	if st.Delivered != 1 || st.Duplicates != 1 || st.Repeats != 3 || st.Records != 2 || st.Lost != 0 || st.Collisions != 0 {
		t.Errorf("stats %+v, want 1 delivered, 1 duplicate, 3 repeats, 2 records (the packet, its copy)", st)
	}
	if len(s.loss) != 1 || s.loss[0].Sent != 1 || s.loss[0].Delivered != 1 || s.loss[0].Duplicates != 1 {
		t.Errorf("loss rows %+v, want sent 1, delivered 1, duplicates 1", s.loss)
	}
	if len(s.packets) != 1 || s.packets[0].LastNs[1] != us(100) || s.packets[0].Duplicates[1] != 1 {
		t.Errorf("packets %+v, want one, at b at 100 µs with 1 duplicate", s.packets)
	}
}

// TestRepeatAfterClassification: a's probe reported packets 1 (delivered)
// and 2 (lost), both classified and their interval written; then a new
// run of a replays them (past the timeout). Their records are gone, but
// the earlier run had reported a through 200 µs: the repeats are counted
// in Stats.RepeatsClassified and make no record (before, packet 1 came back
// as a second, lost packet, and packet 2 lost twice). The new run's own
// packet 3, after that time, is a packet (lost: b never sees it).
func TestRepeatAfterClassification(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 1})
	s.obs(0, 1, 100, 100)
	s.obs(0, 2, 200, 100)
	s.obs(1, 1, 300, 100)
	s.advanceAll(3e6) // both classified, interval [0, 1 s) written
	if len(s.loss) != 1 || s.loss[0].Sent != 2 || s.loss[0].Lost != 1 {
		t.Fatalf("first run: loss rows %+v", s.loss)
	}
	s.r.Resume("a")
	s.obs(0, 1, 100, 100)
	s.obs(0, 2, 200, 100)
	s.obs(0, 3, 250, 100) // 3 µs after the earlier run's latest: not reported by it
	s.r.Flush()
	st := s.r.Stats()
	if st.RepeatsClassified != 2 || st.Repeats != 0 || st.Records != 3 || st.Delivered != 1 || st.Lost != 2 || st.Late != 0 {
		t.Errorf("stats %+v, want 2 repeats of classified packets, 3 records, 1 delivered, 2 lost", st)
	}
	var sent, lost uint64
	for _, l := range s.loss {
		sent, lost = sent+l.Sent, lost+l.Lost
	}
	if sent != 3 || lost != 2 {
		t.Errorf("loss rows %+v: sent %d lost %d, want 3 and 2", s.loss, sent, lost)
	}
}

// TestRepeatsZeroAllocs: recognising a repeat, of an open observation or
// of a classified one, allocates nothing (the per-packet hot path).
func TestRepeatsZeroAllocs(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 1})
	s.obs(0, 1, 100, 100)
	s.obs(0, 2, 200, 100)
	s.advanceAll(3e6)
	s.obs(0, 3, 3_000_250, 100) // open when a's probe restarts
	s.r.Resume("a")
	open := &Obs{Signature: 3, TimeNs: us(3_000_250), SizeBytes: 100}
	classified := &Obs{Signature: 2, TimeNs: us(200), SizeBytes: 100}
	if n := testing.AllocsPerRun(100, func() { s.r.Observe(0, 1, open); s.r.Observe(0, 1, classified) }); n != 0 {
		t.Errorf("%v allocations per pair of repeats, want 0", n)
	}
	if st := s.r.Stats(); st.Repeats != 101 || st.RepeatsClassified != 101 {
		t.Errorf("stats %+v, want 101 repeats of each kind", st)
	}
}

// TestSameTimeCopyIsADuplicate: within one run of b's probe, a copy of a
// packet with b's very timestamp (a SPAN port mirroring both directions
// within a µs, time_unit_ns 1000) is a real copy: a duplicate (RFC 7679
// §3.7), not a repeat; the receiver drops a run's repeated PDUs, so only a
// later run (Resume) reports an observation again.
func TestSameTimeCopyIsADuplicate(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 10})
	s.obs(0, 1, 0, 100)
	s.obs(1, 1, 100, 100)
	s.obs(1, 1, 100, 100) // the copy, same µs
	s.r.Flush()
	st := s.r.Stats()
	if st.Delivered != 1 || st.Duplicates != 1 || st.Repeats != 0 {
		t.Errorf("stats %+v, want 1 delivered, 1 duplicate, 0 repeats", st)
	}
}
