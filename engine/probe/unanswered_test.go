package probe

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestUnansweredInTheirInterval: an unanswered request is counted
// (rtt_unanswered_<kind>) in the interval its timeout passed in, for a
// lone probe and for 2 and 4 workers alike. The trackers scan for expired
// requests at most every tenth of the timeout, at times that depend on
// the requests each holds; a request whose timeout passed shortly before
// an interval's end was counted in the next interval or not depending on
// the other requests of its tracker: the workers, each holding its own,
// counted some in other intervals than a lone probe (the 5 M corpus with
// 4 workers: 2226 in the first interval, 2210 for a lone probe). Here ICMP
// echo requests without answer to 40 hosts, 0 to 120 ms apart, for 30 s
// of 1 s intervals, timeout 1 s: the counts per interval are compared,
// and each request's timeout is checked to have passed in the interval
// it is counted in (arithmetic on the capture's times).
func TestUnansweredInTheirInterval(t *testing.T) {
	cfg, err := config.Parse([]byte(`
interval_s: 1
classes:
  - name: all
    filter: ""
    granularity: [ip_version, protocol, src_addr, dst_addr]
    analyses: [counters, rtt]
    rtt: {kinds: [icmp_echo], timeout_s: 1}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 14))
	client := netip.MustParseAddr("192.0.2.1")
	var frames [][]byte
	var metas []pkt.Meta
	want := map[int64]uint64{} // interval start (s) -> requests whose timeout passed in it
	ns := capgen.Ms(0)
	for n := 0; ns < capgen.Ms(30000); n++ {
		ns += int64(rng.IntN(121)) * 1e6
		data := capgen.ICMPEcho{Src: client, Dst: netip.AddrFrom4([4]byte{198, 51, 100, byte(rng.IntN(40))}), ID: 7, Seq: uint16(n)}.Frame()
		frames = append(frames, data)
		metas = append(metas, pkt.Meta{TimeNs: ns, CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkEthernet})
		if due := ns + 1e9; due < capgen.Ms(30000) { // past the timeout (strictly), before the last packet
			want[(due+1)/1e9]++
		}
	}
	last := metas[len(metas)-1].TimeNs
	for k := range want {
		if k*1e9+1e9 > last { // the last interval's, and those after: counted at the end of the run
			delete(want, k)
		}
	}
	count := func(workers int) map[int64]uint64 {
		got := map[int64]uint64{}
		l := &keptLink{}
		ch := []Channel{{Link: l, Config: pdu.DefaultSenderConfig()}}
		id := Identity{Name: "p", Interfaces: []string{"if0"}}
		var e Engine
		if workers == 0 {
			e, err = New(id, cfg, ch, nil)
		} else {
			e, err = NewWorkers(id, cfg, ch, nil, workers)
		}
		if err != nil {
			t.Fatal(err)
		}
		l.s = e.Senders()[0]
		for i := range frames {
			e.Packet(frames[i], metas[i])
		}
		e.Close()
		unanswered := map[uint32]bool{}
		for _, fr := range l.frames {
			h, pl, err := pdu.ParseFrame(fr)
			if err != nil {
				t.Fatal(err)
			}
			d := pdu.Dec{B: pl, A: &pdu.Arena{}}
			for !d.Done() {
				switch h.Type {
				case pdu.TypeMetricDef:
					var m pdu.MetricDef
					m.Decode(&d)
					unanswered[m.ID] = m.Name == "rtt_unanswered_icmp_echo"
				case pdu.TypeCounters:
					var c pdu.Counters
					c.Decode(&d)
					for _, m := range c.Metrics {
						if unanswered[m.ID] {
							got[c.IntervalStartNs/1e9] += m.Stat.N
						}
					}
				default:
					d.B = nil // the other records: not read
				}
				if d.Err() != nil {
					t.Fatal(d.Err())
				}
			}
		}
		return got
	}
	lone := count(0)
	for k, n := range want {
		if lone[k] != n {
			t.Errorf("a lone probe: %d unanswered in the interval at %d s, want %d (their timeouts passed in it)", lone[k], k-capgen.Ms(0)/1e9, n)
		}
	}
	for _, n := range []int{2, 4} {
		if got := count(n); fmt.Sprint(got) != fmt.Sprint(lone) {
			t.Errorf("%d workers: unanswered per interval %v, a lone probe's %v", n, got, lone)
		}
	}
}
