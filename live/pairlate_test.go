//go:build linux

package live_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// etherLate is the EtherType of the frames of the late-packet tests
// (0x88B5, IEEE 802 local experimental): the kernel filter keeps only
// them, so no other frame of the lab (IPv6 router solicitations) lands
// in a ring.
const etherLate = 0x88b5

// lateRig is a Pair capture, in the lab's namespace B, of the lab's link
// (port 0: IfB) and a second veth (port 1), through rings of 4 KiB blocks
// that the kernel hands over only when full (block timeout 60 s): the
// test decides when each port's packets become visible to the reader.
type lateRig struct {
	lab   *netlab.Lab
	src   *live.Source
	out   [2]string // the interfaces in A whose frames reach port 0 and 1
	frame int
}

func newLateRig(t *testing.T) *lateRig {
	t.Helper()
	lab := netlab.New(t)
	a2, b2 := lab.AddVeth(t, "p")
	lab.A.WaitRunning(t, a2)
	lab.B.WaitRunning(t, b2)
	cfg := live.DefaultConfig(lab.IfB, b2)
	cfg.Pair = true
	cfg.SnapLen, cfg.BlockBytes, cfg.RingBytes = 256, 4096, 16*4096
	cfg.BlockTimeout = time.Minute
	cfg.ReorderWindow = time.Millisecond
	cfg.Filter = func(pkt.LinkType) []bpf.Instruction {
		return []bpf.Instruction{
			bpf.LoadAbsolute{Off: 12, Size: 2},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherLate, SkipFalse: 1},
			bpf.RetConstant{Val: 256},
			bpf.RetConstant{Val: 0},
		}
	}
	s := openInB(t, lab, cfg)[0]
	t.Cleanup(func() { s.Close() })
	return &lateRig{lab: lab, src: s, out: [2]string{lab.IfA, a2}}
}

// send injects n frames towards port i; frame k carries the rig's count
// of frames sent before it in its first payload byte.
func (r *lateRig) send(t *testing.T, i, n int) {
	t.Helper()
	var fs [][]byte
	for range n {
		f := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, etherLate >> 8, etherLate & 0xff}
		fs = append(fs, append(f, make([]byte, 46)...))
		fs[len(fs)-1][14] = byte(r.frame)
		r.frame++
	}
	if err := r.lab.A.Inject(r.out[i], fs); err != nil {
		t.Fatal(err)
	}
}

// fill sends frames towards port i until the kernel hands over the block
// being filled (a full block is handed over at once).
func (r *lateRig) fill(t *testing.T, i int) {
	t.Helper()
	for n := 0; !live.Handed(r.src, i); n++ {
		if n == 1000 {
			t.Fatalf("port %d: no block handed over after %d frames", i, 8*n)
		}
		r.send(t, i, 8)
	}
}

// read returns the packets Next delivers until it says idle.
func (r *lateRig) read(t *testing.T) []pkt.Meta {
	t.Helper()
	var ms []pkt.Meta
	for {
		_, m, err := r.src.Next()
		if errors.Is(err, pkt.ErrIdle) {
			return ms
		}
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
}

// TestPairLateCounted: a packet the kernel hands over after the hold of a
// later packet of the other port ran out (ReorderWindow) comes after it,
// counted in Stats.OutOfOrder of its interface, and only it. Port 1's
// first frame is captured first, but its block is handed over only once
// full, after port 0's later frames were delivered.
func TestPairLateCounted(t *testing.T) {
	r := newLateRig(t)
	r.send(t, 1, 1)
	r.fill(t, 0)
	first := r.read(t)
	if len(first) == 0 {
		t.Fatal("port 0's full block: nothing delivered")
	}
	r.fill(t, 1)
	second := r.read(t)
	if len(second) == 0 || second[0].Iface != 1 {
		t.Fatalf("after port 1's block was handed over: %d packets, the first %+v", len(second), second)
	}
	late := second[0]
	for _, m := range first {
		if m.Iface != 0 || m.TimeNs <= late.TimeNs {
			t.Errorf("first read: %+v; want port 0's frames, all stamped after port 1's first (%d)", m, late.TimeNs)
		}
	}
	st := r.src.Stats()
	if st[0].OutOfOrder != 0 || st[1].OutOfOrder != 1 {
		t.Errorf("out of order: port 0 %d, port 1 %d; want 0 and 1 (port 1's first frame)", st[0].OutOfOrder, st[1].OutOfOrder)
	}
	if n := outOfOrder(append(first, second...)); n != 1 {
		t.Errorf("%d packets delivered out of time order, want 1", n)
	}
}

// TestPairClockBeforePeek: a reader descheduled as it reads the clocks,
// while the kernel hands over port 1's block holding the oldest packet,
// still delivers that packet first. Next read the rings, then the clocks:
// port 0's packet, whose hold the late clock reading found over, went
// first, and the older one came after it, out of order.
func TestPairClockBeforePeek(t *testing.T) {
	r := newLateRig(t)
	r.send(t, 1, 1)
	r.fill(t, 0)
	once := false
	live.OnClock(r.src, func() {
		if once {
			return
		}
		once = true
		r.fill(t, 1)
		// and port 0's packets are past their hold, however fast this was
		time.Sleep(2 * time.Millisecond)
	})
	ms := r.read(t)
	if len(ms) == 0 || ms[0].Iface != 1 {
		t.Fatalf("first packet %+v; want port 1's first frame, the oldest", ms[:min(len(ms), 1)])
	}
	if n := outOfOrder(ms); n != 0 {
		t.Errorf("%d packets delivered out of time order", n)
	}
	for i, st := range r.src.Stats() {
		if st.OutOfOrder != 0 {
			t.Errorf("port %d: %d out of order", i, st.OutOfOrder)
		}
	}
}

// outOfOrder counts the packets stamped before a packet delivered before
// them (what Stats.OutOfOrder counts).
func outOfOrder(ms []pkt.Meta) int {
	var last int64
	n := 0
	for _, m := range ms {
		if m.TimeNs < last {
			n++
		} else {
			last = m.TimeNs
		}
	}
	return n
}
