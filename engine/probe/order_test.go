package probe

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// keptLink keeps a copy of every frame sent and acknowledges it at once.
type keptLink struct {
	s      *pdu.Sender
	frames [][]byte
	ack    []byte
}

func (l *keptLink) Send(frame []byte) {
	l.frames = append(l.frames, bytes.Clone(frame))
	h, _, err := pdu.ParseFrame(frame)
	if err != nil {
		panic(err)
	}
	l.ack = pdu.AppendAck(l.ack[:0], h.ProbeID, h.Epoch, h.ID)
	l.s.HandleAck(l.ack)
}

// TestWorkersSameFrames (issue 14: "--workers 1, 2 and 4 give
// byte-identical tables"): 2 and 4 workers send the frames a lone probe
// sends, byte for byte, when one packet or clock step makes every worker
// publish: 1 s intervals closed by packets and by clock steps, each
// close reporting active flows of every worker (activated in interleaved
// order, several by one packet: two classes) and idle flows of every
// worker with the same last sight (packets 0 or 1 ms apart), the round
// trips' histograms of every worker, ICMP echo requests left unanswered
// in several workers (the timer activates their flows in one step),
// TCP connections of every worker ended by the same timer (half-open,
// closed, and port reuses finished inside a packet, pending until the
// timer), and the end of the run. Before, 217 of the 238 frames differed
// with 2 workers, 202 with 4: the merge replayed one worker's records of
// such an item after the other's, where a lone probe interleaves them
// (the same records, packed otherwise into PDUs); each worker's round-trip
// tracker held back its histograms while one of its own handshakes was
// held, where a lone probe's held back every flow's; and a connection
// created by a packet that published nothing was numbered late, so two
// conn_ids were swapped (recorder.insertIDs).
func TestWorkersSameFrames(t *testing.T) {
	cfg, items := framesInput(t)
	run := func(workers int) [][]byte {
		f, _ := runFrames(t, cfg, items, workers, 0)
		return f
	}
	want := run(0)
	if len(want) < 100 {
		t.Fatalf("a lone probe sent %d frames, want more than 100", len(want))
	}
	for _, n := range []int{1, 2, 4} {
		got := run(n)
		sameFrames(t, n, got, want)
	}
}

// frameType names frame i's PDU type.
func frameType(frames [][]byte, i int) string {
	if i >= len(frames) {
		return "none"
	}
	h, _, err := pdu.ParseFrame(frames[i])
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(h.Type)
}

// frameItem is a packet or a clock step of framesInput.
type frameItem struct {
	data []byte
	m    pkt.Meta
	tick bool
}

// framesInput is TestWorkersSameFrames's config and capture.
func framesInput(t *testing.T) (*config.Config, []frameItem) {
	cfg, err := config.Parse([]byte(`
interval_s: 1
tcp_table: {idle_timeout_s: 3, handshake_timeout_s: 2, close_delay_s: 1}
classes:
  - name: all
    filter: ""
    granularity: [ip_version, protocol, src_addr, dst_addr, src_port, dst_port]
    idle_timeout_s: 2
    analyses: [counters, tcp, rtt]
    rtt: {kinds: [icmp_echo, tcp_handshake], slices_ms: [2, 10, 50], timeout_s: 1}
  - name: hosts
    filter: "udp or icmp"
    granularity: [src_addr, dst_addr]
    idle_timeout_s: 3
    analyses: [counters, rtt]
    rtt: {kinds: [icmp_echo], timeout_s: 1}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var items []frameItem
	rng := rand.New(rand.NewPCG(14, 2))
	host := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }
	client := netip.MustParseAddr("192.0.2.1")
	ns := capgen.Ms(0)
	seq := map[int]uint32{}
	for n := 0; n < 4000; n++ {
		ns += int64(rng.IntN(2)) * 3e6 // 0 or 3 ms: many packets share a time
		if n%700 == 699 {
			items = append(items, frameItem{m: pkt.Meta{TimeNs: ns + 1.4e9}, tick: true}) // a clock step closes an interval
			ns += 1.5e9
		}
		h := rng.IntN(24)
		port := uint16(1000 + rng.IntN(3))
		var data []byte
		switch rng.IntN(6) {
		case 0, 1:
			data = capgen.UDP{Src: netip.AddrPortFrom(client, 40000+port), Dst: netip.AddrPortFrom(host(h), 53)}.Frame()
		case 2:
			data = capgen.ICMPEcho{Src: client, Dst: host(h), ID: uint16(h), Seq: uint16(n)}.Frame()
		case 3:
			data = capgen.ICMPEcho{Src: host(h), Dst: client, Reply: true, ID: uint16(h), Seq: uint16(n - rng.IntN(3))}.Frame()
		case 4: // a SYN: a new connection, or a port reuse (another ISN)
			seq[h] += 1000
			data = capgen.TCP{Src: netip.AddrPortFrom(client, port), Dst: netip.AddrPortFrom(host(h), 80), Flags: "S", Seq: seq[h]}.Seg()
		case 5:
			flags := []string{"SA", "A", "FA", "RA"}[rng.IntN(4)]
			data = capgen.TCP{Src: netip.AddrPortFrom(host(h), 80), Dst: netip.AddrPortFrom(client, port), Flags: flags, Ack: seq[h] + 1}.Seg()
		}
		items = append(items, frameItem{data: data, m: pkt.Meta{TimeNs: ns, CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkEthernet}})
	}
	return cfg, items
}

// runFrames runs items through a lone probe (workers 0) or a Workers
// of workers with recorder bound bound (0: the default), and returns the
// frames sent and the Workers.
func runFrames(t *testing.T, cfg *config.Config, items []frameItem, workers, bound int) ([][]byte, *Workers) {
	l := &keptLink{}
	ch := []Channel{{Link: l, Config: pdu.DefaultSenderConfig()}}
	id := Identity{Name: "p", Interfaces: []string{"if0"}}
	var e Engine
	var ws *Workers
	if workers == 0 {
		p, err := New(id, cfg, ch, nil)
		if err != nil {
			t.Fatal(err)
		}
		e = p
	} else {
		w, err := NewWorkers(id, cfg, ch, nil, workers)
		if err != nil {
			t.Fatal(err)
		}
		if bound > 0 {
			w.setBound(bound)
		}
		e, ws = w, w
	}
	l.s = e.Senders()[0]
	for _, it := range items {
		if it.tick {
			e.Tick(it.m.TimeNs)
		} else {
			e.Packet(it.data, it.m)
		}
	}
	e.Close()
	return l.frames, ws
}

// sameFrames reports the frames of a run on n workers (got) that differ
// from a lone probe's (want): the first by its number and type, then how
// many.
func sameFrames(t *testing.T, n int, got, want [][]byte) {
	t.Helper()
	diff := 0
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || !bytes.Equal(got[i], want[i]) {
			if diff == 0 {
				t.Errorf("%d workers: frame %d of %d (a lone probe's: %d) differs: %s", n, i, len(got), len(want), frameType(got, i))
			}
			diff++
		}
	}
	if diff > 0 {
		t.Errorf("%d workers: %d frames differ", n, diff)
	}
}
