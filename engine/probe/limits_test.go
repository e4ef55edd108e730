package probe

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// limitedInput is TestWorkersLimitedEvents's config and capture: 100 s
// intervals from capgen.Base (a multiple of 100 s), a reassembly timeout
// of 5 s. In the first interval, 60 IPv4 datagrams of which only the
// first fragment comes (512 of 1208 bytes: a UDP header and 1200 bytes),
// one a second from Base+1 s, each from its own address pair (10.0.0.x >
// 192.0.2.1: spread over the workers by their addresses), and 25
// fragments that would take their datagram beyond 65535 bytes (offset
// 65528, 16 bytes: 65544, the ping of death), 0.5 s after each of the
// first 25; in the second, 25 datagrams more from Base+101 s. Each
// datagram is given up by the fragment timer (once a second) at the
// packet 5 s after its first fragment, each at its own clock step; clock
// steps a second apart give up the last ones, so the end of the run gives
// up none.
func limitedInput(t *testing.T) (*config.Config, []workerOrderItem) {
	cfg, err := config.Parse([]byte(`
interval_s: 100
reassembly: {timeout_s: 5}
classes:
  - name: all
    filter: ""
    granularity: [ip_version, protocol, src_addr, dst_addr, src_port, dst_port]
    analyses: [counters]
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	server := netip.MustParseAddr("192.0.2.1")
	var items []workerOrderItem
	add := func(ns int64, data []byte) {
		items = append(items, workerOrderItem{data: data, m: pkt.Meta{TimeNs: ns, CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkEthernet}})
	}
	tick := func(ns int64) { items = append(items, workerOrderItem{m: pkt.Meta{TimeNs: ns}, tick: true}) }
	dg := func(src netip.Addr, id int) []byte {
		return capgen.UDP{Src: netip.AddrPortFrom(src, 5000), Dst: netip.AddrPortFrom(server, 9), Payload: make([]byte, 1200), IPID: uint16(id)}.Frame()
	}
	for iv, n := range []int{60, 25} {
		at := capgen.Base + int64(iv)*100e9 + 1e9
		for i := range n {
			id := 100*iv + i
			add(at, capgen.Fragment4(dg(limitedHost(0, id), id), 512)[0])
			if iv == 0 && i < 25 {
				add(at+0.5e9, capgen.Fragment4At(dg(limitedHost(1, i), 1000+i), 65528, 16, false))
			}
			at += 1e9
		}
		for range 6 {
			tick(at)
			at += 1e9
		}
	}
	return cfg, items
}

// limitedHost is the source address of the i-th datagram of group g.
func limitedHost(g, i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(g), byte(i / 200), byte(1 + i%200)})
}

// limitedEvents decodes the ip_reassembly_incomplete and
// ip_reassembly_oversize events of frames, in order, as "time kind
// count message", the time in ms from capgen.Base.
func limitedEvents(t *testing.T, frames [][]byte) []string {
	t.Helper()
	var out []string
	for _, f := range frames {
		h, payload, err := pdu.ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		if h.Type != pdu.TypeEvents {
			continue
		}
		d := pdu.Dec{B: payload}
		for !d.Done() {
			var ev pdu.Event
			ev.Decode(&d)
			if d.Err() != nil {
				t.Fatal(d.Err())
			}
			if strings.HasPrefix(ev.Kind, "ip_reassembly_") {
				out = append(out, fmt.Sprintf("%.1f %s %d %s", float64(ev.TimeNs-capgen.Base)/1e6, ev.Kind, ev.Count, ev.Message))
			}
		}
	}
	return out
}

// TestWorkersLimitedEvents: the limited events (events.go: the first
// maxFragEvents = 20 of a kind in an interval, one event each, then one
// event counting the rest at the interval's close) are a lone probe's
// with 1, 2 and 4 workers, frame for frame. By that rule, the first
// interval's 60 datagrams given up give 20 ip_reassembly_incomplete
// events (datagrams 0 to 19, at their fragment's time) and one "40 more"
// (count 40) at the interval's end (Base+100 s); its 25 oversize
// fragments 20 ip_reassembly_oversize events and one "5 more" (count 5);
// the second interval's 25 datagrams 20 events and one "5 more" at the
// end of the run (its last clock step, Base+131 s). Before, each worker kept its own first 20 of a kind and
// wrote its own summary: with 2 workers, 40 incomplete events of the
// first interval and two summaries (its share of 60 each, beyond 20).
func TestWorkersLimitedEvents(t *testing.T) {
	cfg, items := limitedInput(t)
	want := framesOf(t, cfg, items, 0)
	ev := limitedEvents(t, want)
	var exp []string
	for iv, n := range []int{60, 25} {
		for i := range min(n, maxFragEvents) {
			id := 100*iv + i
			exp = append(exp, fmt.Sprintf("%d.0 ip_reassembly_incomplete 1 IPv4 datagram %s > 192.0.2.1 proto 17 id %d: timeout after 1 fragments, 512 bytes (first fragment seen true, last false)",
				iv*100e3+1e3+i*1e3, limitedHost(0, id), id))
		}
	}
	var got []string
	var summaries []string
	for _, e := range ev {
		if strings.Contains(e, " more ") {
			summaries = append(summaries, e)
		} else if strings.Contains(e, "incomplete") {
			got = append(got, e)
		}
	}
	if !slices.Equal(got, exp) {
		t.Errorf("a lone probe's ip_reassembly_incomplete events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	oversize := 0
	for _, e := range ev {
		if strings.Contains(e, "ip_reassembly_oversize 1 frame ") {
			oversize++
		}
	}
	if oversize != maxFragEvents {
		t.Errorf("a lone probe wrote %d ip_reassembly_oversize events, want %d", oversize, maxFragEvents)
	}
	wantSum := []string{
		"100000.0 ip_reassembly_incomplete 40 40 more ip_reassembly_incomplete events in the interval",
		"100000.0 ip_reassembly_oversize 5 5 more ip_reassembly_oversize events in the interval",
		"131000.0 ip_reassembly_incomplete 5 5 more ip_reassembly_incomplete events in the interval",
	}
	sameLimited(t, cfg, items, want, ev, summaries, wantSum)
}

// TestWorkersGiveUpOrder: datagrams of every worker given up at one clock
// step, and at the end of the run, are given up in a lone probe's order
// with 1, 2 and 4 workers (giveup.go), frame for frame, so the 20
// ip_reassembly_incomplete events kept in an interval (limitedEvent) are
// a lone probe's. 30 IPv4 datagrams from 30 address pairs 1 ms apart from
// Base+1 s, of which only one fragment comes: the first (512 of 1208
// bytes) for even ones, the second (held for a first that never comes:
// its flow is made when the datagram is given up) for odd ones; a clock
// step at Base+7 s gives them up at once (reassembly timeout 5 s); 30 more
// from Base+101 s, given up by the end of the run. A lone probe gives up
// the oldest first (the reassembler's order for one IP version: its
// contexts in order of their first fragment), so by the rule of
// limitedEvent each interval has the events of datagrams 0 to 19 and one
// "10 more" (count 10). Before, the merge replayed one worker's after the
// other's: with 2 workers, other datagrams among the 20 kept.
func TestWorkersGiveUpOrder(t *testing.T) {
	cfg, _ := limitedInput(t)
	server := netip.MustParseAddr("192.0.2.1")
	var items []workerOrderItem
	var exp []string
	for iv := range 2 {
		at := capgen.Base + int64(iv)*100e9 + 1e9
		for i := range 30 {
			id := 100*iv + i
			dg := capgen.UDP{Src: netip.AddrPortFrom(limitedHost(2, id), 5000), Dst: netip.AddrPortFrom(server, 9), Payload: make([]byte, 1200), IPID: uint16(id)}.Frame()
			f := capgen.Fragment4(dg, 512)[i%2]
			ns := at + int64(i)*1e6
			items = append(items, workerOrderItem{data: f, m: pkt.Meta{TimeNs: ns, CapLen: uint32(len(f)), WireLen: uint32(len(f)), LinkType: pkt.LinkEthernet}})
			if i < maxFragEvents {
				exp = append(exp, fmt.Sprintf("%.1f ip_reassembly_incomplete 1 IPv4 datagram %s > 192.0.2.1 proto 17 id %d: %s after 1 fragments, 512 bytes (first fragment seen %v, last false)",
					float64(ns-capgen.Base)/1e6, limitedHost(2, id), id, []string{"timeout", "flush"}[iv], i%2 == 0))
			}
		}
		if iv == 0 {
			items = append(items, workerOrderItem{m: pkt.Meta{TimeNs: at + 6e9}, tick: true})
		}
	}
	want := framesOf(t, cfg, items, 0)
	ev := limitedEvents(t, want)
	var got, summaries []string
	for _, e := range ev {
		if strings.Contains(e, " more ") {
			summaries = append(summaries, e)
		} else {
			got = append(got, e)
		}
	}
	if !slices.Equal(got, exp) {
		t.Errorf("a lone probe's ip_reassembly_incomplete events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	wantSum := []string{
		"100000.0 ip_reassembly_incomplete 10 10 more ip_reassembly_incomplete events in the interval",
		"101029.0 ip_reassembly_incomplete 10 10 more ip_reassembly_incomplete events in the interval",
	}
	sameLimited(t, cfg, items, want, ev, summaries, wantSum)
}

// sameLimited checks a lone probe's summary events (summaries, of its
// frames want and limited events ev) against wantSum, then that 1, 2 and
// 4 workers write its limited events and frames from items.
func sameLimited(t *testing.T, cfg *config.Config, items []workerOrderItem, want [][]byte, ev, summaries, wantSum []string) {
	t.Helper()
	if !slices.Equal(summaries, wantSum) {
		t.Errorf("a lone probe's summaries:\n%s\nwant:\n%s", strings.Join(summaries, "\n"), strings.Join(wantSum, "\n"))
	}
	for _, n := range []int{1, 2, 4} {
		frames := framesOf(t, cfg, items, n)
		if got := limitedEvents(t, frames); !slices.Equal(got, ev) {
			t.Errorf("%d workers: %d limited events:\n%s\na lone probe's %d:\n%s", n, len(got), strings.Join(got, "\n"), len(ev), strings.Join(ev, "\n"))
		}
		sameFrames(t, n, frames, want)
	}
}

// TestGiveUpKey: a datagram given up is keyed by the ordinal of the
// fragment that made its entry; one whose entry is gone, by a hash of its
// key (FNV-1a) with the top bit set: after every ordinal, the same in every
// worker and from run to run, another for another datagram.
func TestGiveUpKey(t *testing.T) {
	a := fragKey{iface: 1, proto: 17, id: 7, src: netip.MustParseAddr("10.0.0.1"), dst: netip.MustParseAddr("192.0.2.1")}
	b := a
	b.id = 8
	frags := map[fragKey]fragInfo{a: {ord: 42}}
	if k := giveUpKey(frags, a); k != 42 {
		t.Errorf("key of a datagram with an entry: %d, want its ordinal 42", k)
	}
	ka, kb := giveUpKey(nil, a), giveUpKey(nil, b)
	if ka>>63 != 1 || kb>>63 != 1 || ka == kb || ka != giveUpKey(map[fragKey]fragInfo{b: {}}, a) {
		t.Errorf("keys without an entry: %#x and %#x, want the top bit set, distinct, the same each time", ka, kb)
	}
}
