package tcpconn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestExpiryListsOrder checks the expiry lists against their definition:
// after every segment, each list holds the followed connections of its
// state ordered by their latest segment, oldest first, and Expire ends
// the connections at the head of each list while their timeout passed,
// reported in ConnID order (a probe's workers' timers merge by it). 28 client ports of random segments (SYN, SYN-ACK, ACK,
// FIN, RST), a table of 24 connections (evictions take the head of the
// first list with one), 30,000 segments. Tracker.packet relinks a
// connection only when it is not at the tail of its list already: a
// wrong check leaves it behind connections that came after it.
func TestExpiryListsOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxConns, cfg.MaxPending = 24, 1<<20
	cfg.CloseDelayNs, cfg.HandshakeTimeoutNs, cfg.IdleTimeoutNs = 50e6, 300e6, 900e6
	tr := New(cfg)
	rng := rand.New(rand.NewPCG(1, 14))
	flags := []uint16{S, SA, A, A, A, FA, RA}
	last := map[uint64]int{} // conn id -> ordinal of its latest segment
	var ms int64
	for n := 1; n <= 30000; n++ {
		ms += int64(rng.IntN(8))
		s := seg{ms: ms, fromClient: rng.IntN(2) == 0, flags: flags[rng.IntN(len(flags))],
			seq: isnC + uint32(rng.IntN(4)), ack: isnS + 1, len: uint32(rng.IntN(2)), cport: 40000 + uint16(rng.IntN(28))}
		if s.flags == SA {
			s.fromClient = false
		}
		d := s.dissection()
		var h Hint
		tr.PacketHint(&d, "synthetic", false, &h)
		last[tr.conn(int32(h)-1).id] = n
		for l := uint8(0); l < nLists; l++ {
			if got, want := tr.listIDs(l), tr.modelIDs(l, last); !slices.Equal(got, want) {
				t.Fatalf("segment %d: list %d holds %v, want %v", n, l, got, want)
			}
		}
		if n%50 == 0 {
			now := d.Meta.TimeNs
			var want []uint64
			for l := uint8(0); l < nLists; l++ {
				for _, id := range tr.modelIDs(l, last) {
					if now-tr.byID(id).activeNs < tr.timeout(l) {
						break
					}
					want = append(want, id)
				}
			}
			slices.Sort(want)
			var got []uint64
			tr.drainPending(func(uint16, *observe.TCPConnection) {})
			tr.Expire(now, func(_ uint16, r *observe.TCPConnection) { got = append(got, r.ConnID) })
			if !slices.Equal(got, want) {
				t.Fatalf("segment %d: Expire ended %v, want %v", n, got, want)
			}
		}
	}
	if st := tr.Stats(); st.Evicted < 1000 || st.Expired < 100 || st.Closed < 100 || st.PortReuses < 1000 {
		t.Fatalf("not exercised: %+v", st)
	}
}

// listIDs returns the ids of list l's connections, head to tail.
func (t *Tracker) listIDs(l uint8) []uint64 {
	var ids []uint64
	for i := t.head[l]; i >= 0; i = t.conn(i).next {
		ids = append(ids, t.conn(i).id)
	}
	return ids
}

// modelIDs returns the ids of the followed connections whose state puts
// them in list l, ordered by their latest segment (last: id -> ordinal).
func (t *Tracker) modelIDs(l uint8, last map[uint64]int) []uint64 {
	var ids []uint64
	for i := range t.made {
		if c := t.conn(i); c.live && c.listOf() == l {
			ids = append(ids, c.id)
		}
	}
	slices.SortFunc(ids, func(a, b uint64) int { return last[a] - last[b] })
	return ids
}

// byID returns the followed connection with id id.
func (t *Tracker) byID(id uint64) *conn {
	for i := range t.made {
		if c := t.conn(i); c.live && c.id == id {
			return c
		}
	}
	return nil
}
