package probe_test

import (
	"context"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
)

// steady is a pkt.Source of n packets, each moving a fake wall clock on
// by gapNs: a steady transfer.
type steady struct {
	n, gapNs int64
	wallNs   *int64
	data     []byte
}

func (s *steady) Next() ([]byte, pkt.Meta, error) {
	if s.n == 0 {
		return nil, pkt.Meta{}, io.EOF
	}
	s.n--
	*s.wallNs += s.gapNs
	return s.data, pkt.Meta{TimeNs: *s.wallNs}, nil
}

func (s *steady) Close() error { return nil }

// TestLoopPeriodicOnTime: with a wall clock, Periodic comes on time, not
// only every Every packets, so the snapshots are published once a second
// (within PeriodNs) with the packets counted up to then: at 1,500
// packets/s each one is about 1,500 more than the last. Before, they came
// every 2048 packets (1.37 s) and the count moved in steps of 1024.
// Fake clock: no wall-time assertion.
func TestLoopPeriodicOnTime(t *testing.T) {
	wallNs := int64(1_700_000_000e9)
	var latest observe.Latest
	sn := probe.Snapshots{To: &latest, Wall: func() int64 { return wallNs }, Inputs: probe.InputsOf("p", "if0")}
	var counts []uint64
	var times []int64
	l := probe.Loop{Wall: sn.Wall, Every: 1024}
	l.Periodic = func() error {
		if sn.Due(0) {
			sn.Publish(false, func(*observe.Snapshot) {})
			s := latest.Snapshot()
			counts, times = append(counts, s.Inputs[0].Packets), append(times, s.WallNs)
		}
		return nil
	}
	src := &steady{n: 20_000, gapNs: 666_667, wallNs: &wallNs, data: make([]byte, 60)}
	if err := l.Run(context.Background(), src, func(data []byte, m pkt.Meta) { sn.Count(0, len(data)) }); err != nil {
		t.Fatal(err)
	}
	if len(counts) < 8 {
		t.Fatalf("%d snapshots in 10 s of packets: %v", len(counts), counts)
	}
	for i := 1; i < len(counts); i++ {
		dt := times[i] - times[i-1]
		pps := float64(counts[i]-counts[i-1]) / (float64(dt) / 1e9)
		if dt < 1e9 || dt > 1.11e9 || pps < 1490 || pps > 1510 {
			t.Errorf("snapshot %d: %d packets (previous %d) %d ns after the last: %.0f packets/s, want one a second at 1500", i, counts[i], counts[i-1], dt, pps)
		}
	}
}

// TestLoopPeriodicEvery: without a wall clock Periodic comes after every
// Every packets (counted since the Loop's first packet, across Runs),
// whether the loop counts them with a division or a countdown.
func TestLoopPeriodicEvery(t *testing.T) {
	wallNs := int64(0)
	var at []uint64
	l := probe.Loop{Every: 7}
	l.Periodic = func() error { at = append(at, l.Packets); return nil }
	for _, n := range []int64{100, 12} { // the second Run goes on from packet 100
		src := &steady{n: n, gapNs: 1, wallNs: &wallNs, data: make([]byte, 60)}
		if err := l.Run(context.Background(), src, func([]byte, pkt.Meta) {}); err != nil {
			t.Fatal(err)
		}
	}
	var want []uint64
	for p := uint64(7); p <= 112; p += 7 {
		want = append(want, p)
	}
	if len(at) != len(want) {
		t.Fatalf("Periodic after packets %v, want %v", at, want)
	}
	for i := range at {
		if at[i] != want[i] {
			t.Fatalf("Periodic after packets %v, want %v", at, want)
		}
	}
}
