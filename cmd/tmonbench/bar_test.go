package main

import (
	"strings"
	"testing"
	"time"
)

// TestBarMeter drives the bar with a fake clock: the share is the bytes
// read over the input size (not lagging a redraw), packets/s is taken over
// the sliding window and follows a stall down to 0, the ETA appears only
// once it can be estimated, and the last line is 100%, or, on a run
// interrupted, the share read with the word (it used to say 100%).
func TestBarMeter(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	p := &progress{}
	var read int64
	b := &bar{w: &strings.Builder{}, p: p, m: meter{total: 1000}, read: func() int64 { return read }, started: t0}
	at := func(ms int, packets uint64, bytes int64) string {
		p.packets.Store(packets)
		read = bytes
		b.draw(t0.Add(time.Duration(ms) * time.Millisecond))
		return b.m.line(p, false)
	}
	steps := []struct {
		ms      int
		packets uint64
		bytes   int64
		want    string
	}{
		{0, 0, 0, "replay   0% |                              | 0 pkts - pkt/s"},
		{250, 443, 46, "replay   5% |█                             | 443 pkts 1772 pkt/s"},
		{500, 1000, 100, "replay  10% |███                           | 1000 pkts 2000 pkt/s"},
		{1000, 2000, 200, "replay  20% |██████                        | 2000 pkts 2000 pkt/s ETA 4s"},
		{2000, 4000, 400, "replay  40% |████████████                  | 4000 pkts 2000 pkt/s ETA 3s"},
		{3000, 7000, 700, "replay  70% |█████████████████████         | 7000 pkts 2500 pkt/s ETA 1s"},
		{4000, 7000, 700, "replay  70% |█████████████████████         | 7000 pkts 1500 pkt/s ETA 2s"},
		{5000, 7000, 700, "replay  70% |█████████████████████         | 7000 pkts 0 pkt/s"},
		{5250, 7300, 730, "replay  73% |█████████████████████         | 7300 pkts 133 pkt/s ETA 20s"},
	}
	for _, s := range steps {
		if got := at(s.ms, s.packets, s.bytes); got != s.want {
			t.Errorf("at %d ms:\n got %q\nwant %q", s.ms, got, s.want)
		}
	}
	if got, want := b.final(t0.Add(8*time.Second), 7799), "replay 100% |██████████████████████████████| 7799 pkts 975 pkt/s in 8.0 s"; got != want {
		t.Errorf("final line %q, want %q", got, want)
	}
	read = 420
	b.m.add(t0.Add(6*time.Second), 7400, read)
	if got, want := b.m.stopped(6*time.Second), "replay  42% |████████████                  | 7400 pkts, interrupted after 6.0 s"; got != want {
		t.Errorf("interrupted: last line %q, want %q", got, want)
	}
}

// TestBarOnePacket: a replay of one packet (a pcap of one frame, as
// `tcpdump -c 1 -w` writes) read "| 1 pkts"; the bar counts its packets
// as English does, one "pkt", any other number "pkts" (pkt.Nouns, the
// counted nouns of every other message).
func TestBarOnePacket(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	p := &progress{}
	read := int64(0)
	b := &bar{w: &strings.Builder{}, p: p, m: meter{total: 100}, read: func() int64 { return read }, started: t0}
	p.packets.Store(1)
	read = 50
	b.draw(t0.Add(100 * time.Millisecond))
	for _, c := range []struct{ what, got, want string }{
		{"line", b.m.line(p, false), "replay  50% |███████████████               | 1 pkt - pkt/s"},
		{"final", b.final(t0.Add(time.Second), 1), "replay 100% |██████████████████████████████| 1 pkt 1 pkt/s in 1.0 s"},
		{"interrupted", b.m.stopped(time.Second), "replay  50% |███████████████               | 1 pkt, interrupted after 1.0 s"},
		{"none", b.final(t0.Add(time.Second), 0), "replay 100% |██████████████████████████████| 0 pkts 0 pkt/s in 1.0 s"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
}
