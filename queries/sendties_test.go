package queries

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// burstDelays is a flow sent in two bursts of three packets, each burst
// stamped with one send time at A (a microsecond pcap at line rate: on a
// capture of a 5 MB HTTP download taken on both sides of a router, 1857 of
// the 3583 server segments at A shared their microsecond with the one
// before), delivered in the order they were sent through a FIFO path,
// 100, 110 and 120 µs after their burst. The signatures run against that
// order, as hashes do.
func burstDelays() []observe.OnewayDelay {
	var rows []observe.OnewayDelay
	for burst := int64(0); burst < 2; burst++ {
		send := int64(1700000000000000000) + burst*1_000_000
		for i := int64(0); i < 3; i++ {
			us := 100 + 10*float64(i)
			rows = append(rows, observe.OnewayDelay{Class: "bulk", FlowID: 3, Flow: "10.77.1.1:8000>10.77.2.2:53094", FromHop: "A", ToHop: "B",
				SendTime: ptr(send), RecvTime: ptr(send + int64(us*1e3)), DelayUs: ptr(us), SizeBytes: 1500,
				Status: "delivered", Signature: uint64(100 - 10*(3*burst+i))})
		}
	}
	return rows
}

// TestSendTimeTies: packets with the same send time at from_hop have no
// send order of their own; the loss-pattern and ipdv queries take their
// arrival order for it, so packets that went through a FIFO path in order
// are not reordered (RFC 4737 §3.3: reordered means a packet sent later
// arrived first, which equal send times cannot show) and their IPDV (RFC
// 3393 §2.4) is D(i) − D(i−1) in that order: +10, +10, then −20 across
// the bursts (100 after 120), +10, +10: 5 pairs, mean 4, min −20, max 10,
// |IPDV| p50 10, p99 20. Ordered by signature among ties, 4 of the 6 were
// counted reordered and the IPDV signs flipped (min −10, max 20).
func TestSendTimeTies(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tmon-out")
	r, err := store.BeginRun(out, store.Manifest{Version: "test", Command: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	loss := []observe.OnewayLoss{{OnewayKey: observe.OnewayKey{Class: "bulk", FlowID: 3, Flow: "10.77.1.1:8000>10.77.2.2:53094", FromHop: "A", ToHop: "B",
		IntervalStart: 1700000000000000000, IntervalS: 10}, Sent: 6, Delivered: 6}}
	for _, err := range []error{
		appendErr(store.Append(r, observe.TableOnewayLoss, loss)),
		appendErr(store.Append(r, observe.TableOnewayDelays, burstDelays())),
		r.Finish(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ query, cols, want string }{
		{"loss-pattern", "sent, delivered, lost, loss_periods, reordered, reordered_pct", "[[6 6 0 0 0 0]]"},
		{"ipdv", "pairs, ipdv_mean_us, ipdv_min_us, ipdv_max_us, ipdv_abs_p50_us, ipdv_abs_p99_us", "[[5 4 -20 10 10 20]]"},
	} {
		q, err := Get(c.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(run(t, db, "SELECT "+c.cols+" FROM ("+q.Wide+")").Rows); got != c.want {
			t.Errorf("%s: %s = %s, want %s", c.query, c.cols, got, c.want)
		}
	}
}
