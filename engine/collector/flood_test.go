package collector

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// forged returns n frames of a flood against an unkeyed collector: 60 %
// well-formed frames (valid CRC, no tag) of random phantom probes, 20 %
// with a bad CRC, 10 % garbage, 10 % well-formed frames claiming probe
// id 1 with garbage payloads; each from a random source address.
func forged(n int, seed uint64) (frames [][]byte, from []netip.AddrPort) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for range n {
		payload := make([]byte, rng.IntN(60))
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		h := pdu.Header{Type: pdu.Type(1 + rng.IntN(17)), ProbeID: uint16(2 + rng.IntN(65534)), Epoch: rng.Int64(), ID: rng.Uint32(), BuildTimeNs: rng.Int64()}
		if h.Type == pdu.TypeAck || h.Type == pdu.TypeHeartbeat {
			h.Type = pdu.TypeCounters
		}
		var f []byte
		switch k := rng.IntN(10); {
		case k < 6:
			f = pdu.AppendFrame(nil, h, payload)
		case k < 8:
			f = pdu.AppendFrame(nil, h, payload)
			f[len(f)-1] ^= 0x55
		case k < 9:
			f = payload
		default:
			h.ProbeID = 1
			f = pdu.AppendFrame(nil, h, payload)
		}
		frames = append(frames, f)
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], 0x7f000000|rng.Uint32()&0xffffff)
		from = append(from, netip.AddrPortFrom(netip.AddrFrom4(a), uint16(1024+rng.IntN(60000))))
	}
	return frames, from
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestForgedFloodUnkeyed: a flood of 500,000 forged frames against a
// collector without keys (issue 13.4). By default it accepts only the
// probes of its config: phantom probes, bad CRCs and garbage are refused,
// counted by cause and reported in one pdu_refused event per interval
// (never one per frame), frames claiming a configured probe but not
// decoding give one pdu_bad_records event per drain, acknowledgements to
// unknown addresses are rate-limited, and the heap grows by less than
// 8 MiB. Open to any probe (--any-probe), it follows at most MaxProbes
// phantom probes and stays under 48 MiB of growth.
func TestForgedFloodUnkeyed(t *testing.T) {
	const n, ticks = 500_000, 10
	frames, from := forged(n, 7)
	for _, open := range []bool{false, true} {
		c, err := New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !open {
			c.SetProbes([]uint16{1})
		}
		clock := time.Unix(1_800_000_000, 0)
		l, err := journal.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		tr := &ackRecorder{}
		srv := NewServer(c, tr, newMemSink(), ServerOptions{Journal: l, Now: func() time.Time { return clock }, Silence: time.Hour})
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		before := heapNow()
		var peak uint64
		var events []observe.Event
		for i := range frames {
			srv.handle(frames[i], from[i])
			if i%(n/ticks) == n/ticks-1 {
				clock = clock.Add(time.Second)
				d, _ := l.Sync()
				srv.dur.release(d, tr.SendAck)
				srv.mu.Lock()
				srv.coll.Liveness(clock.UnixNano(), int64(time.Hour))
				srv.mu.Unlock()
				srv.tick(clock, false)
				srv.mu.Lock()
				events = append(events, srv.coll.Drain().Events...)
				srv.mu.Unlock()
				peak = max(peak, heapNow())
			}
		}
		srv.mu.Lock()
		srv.reportRefused(clock.UnixNano(), true) // as Serve stops: the last interval's
		events = append(events, srv.coll.Drain().Events...)
		srv.mu.Unlock()
		growth := int64(peak) - int64(before)
		st := srv.Stats().Receiver
		kinds := map[string]int{}
		var refused uint64
		for _, e := range events {
			kinds[e.Kind]++
			if e.Kind == "pdu_refused" {
				refused += e.Count
			}
		}
		t.Logf("open=%v: heap growth %.1f MiB; receiver %+v; events %v; %d acks sent, %d limited", open, float64(growth)/(1<<20), st, kinds, tr.acks, srv.acks.limited)
		if refused != st.Refused() || kinds["pdu_refused"] > ticks || kinds["pdu_bad_records"] > ticks || kinds["probe_restart"] > ticks || len(events) > 5*ticks {
			t.Errorf("open=%v: %d frames refused in the events, %d counted; events %v", open, refused, st.Refused(), kinds)
		}
		if st.Bad < n/4 || (!open && st.Unknown < n/2) || (open && st.ProbesFull < n/2) {
			t.Errorf("open=%v: refusals not counted by cause: %+v", open, st)
		}
		if (open && srv.acks.limited == 0) || tr.acks > AckNewBurst+AckNewRate*ticks+10 {
			t.Errorf("open=%v: %d acks sent to forged sources, %d limited", open, tr.acks, srv.acks.limited)
		}
		limit := int64(8 << 20)
		if open {
			limit = 48 << 20
		}
		if growth > limit {
			t.Errorf("open=%v: heap grew by %.1f MiB under the flood, bound %d MiB", open, float64(growth)/(1<<20), limit>>20)
		}
	}
}
