package oneway

import (
	"testing"
)

// TestHistogramsLetGoAfterBurst: a delay histogram (~24 KiB at timeout_s
// 5) of a written interval went back to a pool that was never trimmed, so
// the Reconciler kept, for its life, as many histograms as were ever open
// at once. 2,000 flows delivering one packet each in the interval [0, 1
// s), then one flow alone for 10 intervals: once the burst's interval is
// written the pool keeps no more than the open intervals' peak since the
// previous write (the lone flow's, 2), not 2,000 (49 MiB).
func TestHistogramsLetGoAfterBurst(t *testing.T) {
	r, err := New("c", Config{Hops: []string{"A", "B"}}, Limits{IntervalS: 1}, Output{})
	if err != nil {
		t.Fatal(err)
	}
	const s = int64(1e9)
	obs := func(flow uint64, at int64) {
		r.Observe(0, flow, &Obs{TimeNs: at, Signature: flow, SizeBytes: 100})
		r.Observe(1, flow, &Obs{TimeNs: at + 1e6, Signature: flow, SizeBytes: 100})
	}
	for f := range uint64(2000) {
		obs(f+1, int64(f)*1e5) // within [0, 0.2 s)
	}
	peak := 0
	for i := range int64(10) {
		at := (i + 1) * s
		obs(1, at+s/2)
		r.Advance(0, at+6*s)
		r.Advance(1, at+6*s)
		peak = max(peak, len(r.histPool)+r.histLive)
		if i == 0 && r.Stats().Delivered < 2000 {
			t.Fatalf("delivered %d, want the burst's 2000 at least", r.Stats().Delivered)
		}
	}
	if peak < 2000 {
		t.Fatalf("the burst held %d histograms at most, want 2000 (one a flow)", peak)
	}
	if n := len(r.histPool) + r.histLive; n > 2 {
		t.Errorf("after the burst's interval and 9 more were written: %d histograms held (pool %d, open %d), want at most 2", n, len(r.histPool), r.histLive)
	}
}
