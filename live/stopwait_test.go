//go:build linux

package live_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// TestStopWaitsForCounted: a Stop whose wait for the kernel's partly
// filled block (2×BlockTimeout + 20 ms) is over before the kernel hands
// the block over still delivers every packet the kernel counted into the
// ring before it. The kernel hands a partly filled block over from a
// timer, which a loaded machine's ksoftirqd runs late; here the reader's
// clock is moved past that wait as it first looks at the ring after Stop,
// with a BlockTimeout of 500 ms (the block's timer has most likely not
// run yet). The 20 datagrams A sent to B before Stop (B's socket read
// them all: they crossed the capture) are delivered, none left unread.
// Before, Next ended at once: the 20 in no table (the likely cause of
// cmd/tmonbench TestLiveWorkers' failure under load: it sends SIGTERM
// right after its last datagrams, and needs them all in the tables).
func TestStopWaitsForCounted(t *testing.T) {
	lab := netlab.New(t)
	cfg := live.DefaultConfig(lab.IfB)
	cfg.BlockTimeout = 500 * time.Millisecond
	var src *live.Source
	if err := lab.B.Do(func() error {
		srcs, _, err := live.Open(cfg)
		if err == nil {
			src = srcs[0]
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const port, sent = 9000, 20
	if _, err := lab.UDPFrom(netip.MustParseAddr(netlab.AddrA), sent, 100, 0, port); err != nil {
		t.Fatal(err)
	}
	src.Stop()
	moved := false
	live.OnClock(src, func() {
		if !moved {
			moved = true
			live.AdvanceClock(src, 2*cfg.BlockTimeout+20*time.Millisecond)
		}
	})
	got := 0
	if err := netlab.ReadAll(src, func(data []byte, _ pkt.Meta) {
		// Ethernet, IPv4 without options, UDP to port
		if len(data) >= 14+20+8 && binary.BigEndian.Uint16(data[12:]) == 0x0800 && data[14+9] == 17 && binary.BigEndian.Uint16(data[14+20+2:]) == port {
			got++
		}
	}); err != nil {
		t.Fatal(err)
	}
	st := src.Stats()[0]
	if got != sent || st.Unread() != 0 {
		t.Errorf("%d of the %d datagrams sent before Stop delivered, %d packets left unread (%+v)", got, sent, st.Unread(), st)
	}
}
