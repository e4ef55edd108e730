package oneway

import (
	"bytes"
	"encoding/gob"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// stateOp is one call on a Reconciler in TestStateRoundTrip.
type stateOp struct {
	kind   int // 0 observe, 1 advance, 2 drop, 3 resume (a new run of hop's probe)
	hop    int
	flow   uint64
	sig    uint64
	atUs   float64
	size   uint32
	lastUs float64
}

func randomOps(seed uint64, n int) []stateOp {
	rng := rand.New(rand.NewPCG(seed, 1))
	var ops []stateOp
	clock := 0.0
	for range n {
		clock += rng.Float64() * 3e4 // up to 30 ms between calls
		switch k := rng.IntN(21); {
		case k < 15: // a packet along the path, each hop seeing it 85 % of the time
			flow, sig, size, at := uint64(1+rng.IntN(3)), uint64(rng.IntN(40)), uint32(100+50*rng.IntN(3)), clock-rng.Float64()*2e5
			for hop := range 3 {
				if rng.IntN(100) < 85 {
					ops = append(ops, stateOp{kind: 0, hop: hop, flow: flow, sig: sig, atUs: at, size: size})
				}
				at += rng.Float64() * 2e4
			}
		case k < 19:
			ops = append(ops, stateOp{kind: 1, hop: rng.IntN(3), atUs: clock})
		case k == 20: // a new run of a hop's probe, replaying its latest observations
			hop := rng.IntN(3)
			ops = append(ops, stateOp{kind: 3, hop: hop})
			var again []stateOp
			for i := len(ops) - 1; i >= 0 && len(again) < 10; i-- {
				if ops[i].kind == 0 && ops[i].hop == hop {
					again = append(again, ops[i])
				}
			}
			slices.Reverse(again)
			ops = append(ops, again...)
		default:
			ops = append(ops, stateOp{kind: 2, hop: rng.IntN(3), flow: uint64(1 + rng.IntN(3)), atUs: clock - 3e5, lastUs: clock - 1e5})
		}
	}
	return ops
}

// deepSim is newSim keeping deep copies of every output (the rows'
// pointers and the packets' slices point into the reconciler's scratch).
func deepSim(t *testing.T, cfg Config, lim Limits) *sim {
	s := newSim(t, cfg, lim)
	cp := func(p *int64) *int64 {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	s.r.out.Packet = func(p *Packet) {
		q := *p
		q.FirstNs, q.LastNs, q.Duplicates = slices.Clone(p.FirstNs), slices.Clone(p.LastNs), slices.Clone(p.Duplicates)
		s.packets = append(s.packets, q)
	}
	s.r.out.Delay = func(d *observe.OnewayDelay) {
		x := *d
		x.SendTime, x.RecvTime, x.SendFirstTime, x.RecvFirstTime = cp(d.SendTime), cp(d.RecvTime), cp(d.SendFirstTime), cp(d.RecvFirstTime)
		if d.DelayUs != nil {
			v := *d.DelayUs
			x.DelayUs = &v
		}
		s.delays = append(s.delays, x)
	}
	s.r.out.Latency = func(l *observe.OnewayLatency) {
		x := *l
		x.SliceCounts = slices.Clone(l.SliceCounts)
		s.latency = append(s.latency, x)
	}
	return s
}

func (s *sim) apply(ops []stateOp) {
	for _, o := range ops {
		switch o.kind {
		case 0:
			s.r.Observe(o.hop, o.flow, &Obs{Signature: o.sig, TimeNs: us(o.atUs), SizeBytes: o.size})
		case 1:
			s.r.Advance(o.hop, us(o.atUs))
		case 2:
			s.r.Drop(o.hop, o.flow, &Dropped{FlowID: o.flow, Count: 1, FirstNs: us(o.atUs), LastNs: us(o.lastUs)})
		case 3:
			s.r.Resume(s.r.cfg.Hops[o.hop])
		}
	}
}

// TestStateRoundTrip: a Reconciler saved at any point (through gob, as a
// collector checkpoint does) and restored into a new one goes on exactly
// as the original: the same packets, delay, latency and loss rows. The
// operations include new runs of a probe replaying its latest
// observations (identical packets close together), whose matching
// depends on the flows' current delays: a state without them matched one
// packet otherwise (1508 packets instead of 1507, seed 0). The replays
// are repeats: a state without the hops' latest observation and rerun
// times wrote one delay row more (cut 1777).
func TestStateRoundTrip(t *testing.T) {
	cfg := Config{Hops: []string{"a", "b", "c"}, TimeoutS: 0.5, Records: true, Latency: Latency{From: "a", To: "c", SlicesMs: []float64{1, 10, 100}}}
	lim := Limits{IntervalS: 1, MaxRecords: 64}
	for seed := range uint64(3) {
		ops := randomOps(seed, 2000)
		whole := deepSim(t, cfg, lim)
		whole.apply(ops)
		whole.r.Flush()
		for _, cut := range []int{0, 1, 500, 1777, 1999} {
			a := deepSim(t, cfg, lim)
			a.apply(ops[:cut])
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(a.r.SaveState()); err != nil {
				t.Fatal(err)
			}
			var st State
			if err := gob.NewDecoder(&buf).Decode(&st); err != nil {
				t.Fatal(err)
			}
			b := deepSim(t, cfg, lim)
			if err := b.r.RestoreState(st); err != nil {
				t.Fatal(err)
			}
			b.apply(ops[cut:])
			b.r.Flush()
			got := &sim{packets: append(a.packets, b.packets...), delays: append(a.delays, b.delays...),
				latency: append(a.latency, b.latency...), loss: append(a.loss, b.loss...)}
			firstDiff(t, "packet", got.packets, whole.packets)
			firstDiff(t, "delay", got.delays, whole.delays)
			firstDiff(t, "latency", got.latency, whole.latency)
			firstDiff(t, "loss", got.loss, whole.loss)
			if !reflect.DeepEqual(got.packets, whole.packets) || !reflect.DeepEqual(got.delays, whole.delays) ||
				!reflect.DeepEqual(got.latency, whole.latency) || !reflect.DeepEqual(got.loss, whole.loss) {
				t.Fatalf("seed %d cut %d: restored run differs: %d/%d packets, %d/%d delays, %d/%d latency, %d/%d loss rows",
					seed, cut, len(got.packets), len(whole.packets), len(got.delays), len(whole.delays), len(got.latency), len(whole.latency), len(got.loss), len(whole.loss))
			}
			if b.r.Stats() != whole.r.Stats() {
				t.Fatalf("seed %d cut %d: stats %+v, want %+v", seed, cut, b.r.Stats(), whole.r.Stats())
			}
		}
		if st := whole.r.Stats(); st.Delivered == 0 || st.Evicted == 0 || st.Dropped == 0 || st.Repeats == 0 || st.RepeatsClassified == 0 || len(whole.latency) == 0 {
			t.Fatalf("seed %d: the operations do not exercise the reconciler: %+v", seed, whole.r.Stats())
		}
	}
	other := newSim(t, Config{Hops: []string{"a", "b"}, TimeoutS: 1}, lim)
	if err := other.r.RestoreState(deepSim(t, cfg, lim).r.SaveState()); err == nil {
		t.Fatal("state of 3 hops restored into a 2-hop class")
	}
	// a flow's delay estimates of another size (a corrupt checkpoint):
	// refused, not a panic at the next match
	src := deepSim(t, cfg, lim)
	src.obs(0, 1, 0, 100)
	src.obs(1, 1, 100, 100) // matched: the flow has its estimates
	st := src.r.SaveState()
	if len(st.Flows) != 1 || st.Flows[0].Est == nil {
		t.Fatalf("saved flows %+v, want one with estimates", st.Flows)
	}
	for i := range st.Flows {
		if st.Flows[i].Est != nil {
			st.Flows[i].Est = st.Flows[i].Est[:1]
			break
		}
	}
	if err := deepSim(t, cfg, lim).r.RestoreState(st); !errors.Is(err, ErrConfig) {
		t.Fatalf("state with a short delay estimate restored: %v", err)
	}
}

func firstDiff[T any](t *testing.T, name string, a, b []T) {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Logf("%s %d: %+v vs %+v", name, i, a[i], b[i])
			return
		}
	}
}
