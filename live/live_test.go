//go:build linux

package live_test

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// captured is one packet read from a live source, dissected.
type captured struct {
	m    pkt.Meta
	d    dissect.Dissection
	err  error
	data []byte
	src  int // index of the source (worker) that delivered it
}

// capture runs the sources (opened in their namespaces) until Stop, each
// in its own goroutine, and returns every packet they delivered.
type capture struct {
	mu   sync.Mutex
	pkts []captured
	wg   sync.WaitGroup
	srcs []*live.Source
	errs []error
}

func startCapture(t *testing.T, ns *netlab.NS, cfg live.Config) (*capture, []live.Info) {
	t.Helper()
	var srcs []*live.Source
	var infos []live.Info
	if err := ns.Do(func() (err error) {
		srcs, infos, err = live.Open(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := &capture{srcs: srcs}
	for i, s := range srcs {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer s.Close()
			ds := dissect.New()
			err := netlab.ReadAll(s, func(data []byte, m pkt.Meta) {
				cp := captured{m: m, data: append([]byte(nil), data...), src: i}
				cp.err = ds.Dissect(cp.data, m, &cp.d)
				c.mu.Lock()
				c.pkts = append(c.pkts, cp)
				c.mu.Unlock()
			})
			if err != nil {
				c.mu.Lock()
				c.errs = append(c.errs, err)
				c.mu.Unlock()
			}
		}()
	}
	return c, infos
}

// stop stops every source and waits until they have delivered all.
func (c *capture) stop(t *testing.T) []captured {
	t.Helper()
	stats := c.stats()
	for _, s := range c.srcs {
		s.Stop()
	}
	c.wg.Wait()
	for _, err := range c.errs {
		t.Error(err)
	}
	_ = stats
	return c.pkts
}

// waitFor waits until done, given the packets delivered so far, says
// every packet the test sent has been delivered: a frame the kernel
// passes on asynchronously (a tap's mirrored copy goes through another
// veth's receive queue, which a loaded machine's ksoftirqd runs late) may
// not have reached its ring when the sender returns, and Stop takes no
// packet after it. Not an assertion on time: it gives up after a minute.
func (c *capture) waitFor(t *testing.T, what string, done func(pkts []captured) bool) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		ok := done(c.pkts)
		c.mu.Unlock()
		if ok {
			return
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("%s: not all delivered after a minute (a minute only bounds a hang)", what)
		}
	}
}

func (c *capture) stats() []live.Stats {
	var out []live.Stats
	for _, s := range c.srcs {
		out = append(out, s.Stats()...)
	}
	return out
}

// flowKey is one direction of a conversation.
type flowKey struct {
	proto    uint8
	src, dst netip.AddrPort
}

// counts are one flow direction's packets and IP bytes and, for TCP, the
// payload bytes the sequence numbers cover from the SYN to the highest
// byte sent (retransmissions, which a loaded test machine may cause, are
// counted once).
type counts struct {
	packets, ipBytes, payload uint64
	isn, top                  uint32
	syn                       bool
}

// perFlow counts the IP packets per flow direction (ICMP flows have
// port 0).
func perFlow(pkts []captured) map[flowKey]counts {
	out := map[flowKey]counts{}
	for _, p := range pkts {
		if p.err != nil {
			continue
		}
		d := &p.d
		k := flowKey{proto: d.Protocol, src: netip.AddrPortFrom(d.SrcAddr, d.SrcPort), dst: netip.AddrPortFrom(d.DstAddr, d.DstPort)}
		c := out[k]
		c.packets++
		c.ipBytes += uint64(d.IPLen)
		if d.Flags&dissect.HasTCP != 0 {
			if d.TCPFlags&dissect.TCPSyn != 0 {
				c.syn, c.isn, c.top = true, d.Seq+1, d.Seq+1
			}
			if end := d.Seq + d.PayloadLen; c.syn && d.PayloadLen > 0 && int32(end-c.top) > 0 {
				c.top = end
			}
			c.payload = uint64(c.top - c.isn)
		}
		out[k] = c
	}
	return out
}

func smallConfig(ifaces ...string) live.Config {
	cfg := live.DefaultConfig(ifaces...)
	cfg.RingBytes, cfg.BlockBytes = 8<<20, 256<<10
	return cfg
}

// TestCaptureMix captures the generator's mix (ICMP echo, UDP at a fixed
// rate, a DNS query and answer, a TCP transfer of 1 MiB) on both ends of
// the veth link and checks, on each end, the packets and IP bytes of
// every flow against what the generator sent, the TCP payload bytes, and
// that both ends saw the same TCP segments; every datagram is seen first
// at A, then at B, with nanosecond kernel timestamps (same clock).
func TestCaptureMix(t *testing.T) {
	lab := netlab.New(t)
	capA, infoA := startCapture(t, lab.A, smallConfig(lab.IfA))
	capB, _ := startCapture(t, lab.B, smallConfig(lab.IfB))
	if infoA[0].LinkType != pkt.LinkEthernet || infoA[0].MTU != 1500 {
		t.Errorf("veth info %+v", infoA[0])
	}
	mix := netlab.Mix{Pings: 5, UDP: 50, UDPSize: 200, UDPGap: time.Millisecond, TCPBytes: 1 << 20, DNS: true}
	truth, err := lab.Send(mix)
	if err != nil {
		t.Fatal(err)
	}
	// The last segments (the client's ACK of the server's FIN) reach B's
	// ring through B's receive queue, which a loaded machine runs late:
	// stop once both ends have every datagram and the same TCP segments.
	capA.waitFor(t, "the generator's packets at A and B, the same TCP segments at both", func(pa []captured) bool {
		capB.mu.Lock()
		defer capB.mu.Unlock()
		fa, fb := perFlow(pa), perFlow(capB.pkts)
		for _, f := range truth.Flows {
			k := flowKey{f.Proto, f.Src, f.Dst}
			if fa[k].packets < f.Packets || fb[k].packets < f.Packets || f.Proto == 6 && fa[k] != fb[k] {
				return false
			}
		}
		return true
	})
	pa, pb := capA.stop(t), capB.stop(t)
	fa, fb := perFlow(pa), perFlow(pb)
	for _, f := range truth.Flows {
		k := flowKey{f.Proto, f.Src, f.Dst}
		for end, got := range []counts{fa[k], fb[k]} {
			if f.Packets > 0 && (got.packets != f.Packets || got.ipBytes != f.IPBytes) {
				t.Errorf("end %c, flow %v: %d packets %d bytes, generator sent %d packets %d bytes", 'A'+end, k, got.packets, got.ipBytes, f.Packets, f.IPBytes)
			}
			if f.Proto == 6 && got.payload != f.Payload {
				t.Errorf("end %c, TCP %v: %d payload bytes, generator sent %d", 'A'+end, k, got.payload, f.Payload)
			}
		}
		if f.Proto == 6 && fa[k] != fb[k] {
			t.Errorf("TCP %v: end A %+v, end B %+v: both ends must see the same segments", k, fa[k], fb[k])
		}
	}
	// One-way: each UDP datagram's times at A and B (the same clock).
	udpAt := func(pkts []captured) map[uint32]int64 {
		out := map[uint32]int64{}
		for _, p := range pkts {
			if p.err == nil && p.d.Protocol == 17 && p.d.DstPort == 9000 && len(p.d.Payload) >= 4 {
				out[uint32(p.d.Payload[0])<<24|uint32(p.d.Payload[1])<<16|uint32(p.d.Payload[2])<<8|uint32(p.d.Payload[3])] = p.m.TimeNs
			}
		}
		return out
	}
	ua, ub := udpAt(pa), udpAt(pb)
	sub := 0
	for i, ta := range ua {
		tb, ok := ub[i]
		if !ok {
			t.Errorf("datagram %d not seen at B", i)
			continue
		}
		if d := tb - ta; d < 0 || d > 50e6 {
			t.Errorf("datagram %d: one-way delay %d ns", i, d)
		}
		if ta%1000 != 0 {
			sub++
		}
	}
	if len(ua) != 50 || sub == 0 {
		t.Errorf("%d datagrams at A, %d with sub-microsecond timestamps", len(ua), sub)
	}
	for _, p := range append(pa, pb...) {
		if p.err != nil || p.d.IPVersion != 4 { // IPv6 neighbour discovery starts with the link
			continue
		}
		if p.m.TimeNs < truth.Start.UnixNano() || p.m.TimeNs > truth.End.UnixNano()+int64(time.Second) {
			t.Errorf("packet at %d outside the run [%d, %d]", p.m.TimeNs, truth.Start.UnixNano(), truth.End.UnixNano())
			break
		}
	}
	// No drop, and every packet Next returned is counted as delivered.
	// The kernel's count may be higher by the packets it was filling into
	// the ring as Stop came (Stop refuses every later one): counted, not
	// delivered.
	for i, st := range [][]live.Stats{capA.stats(), capB.stats()} {
		got := uint64(len([][]captured{pa, pb}[i]))
		for _, s := range st {
			if s.Drops != 0 || s.Delivered != got || s.KernelPackets < s.Delivered {
				t.Errorf("%+v: want no drop and %d packets delivered", s, got)
			}
		}
	}
	t.Logf("A: %d packets, B: %d packets, %d flows", len(pa), len(pb), len(truth.Flows))
}

// taggedUDP builds an Ethernet frame from A to B carrying an IPv4/UDP
// datagram to port 9000 with the given payload size, behind the VLAN tags
// (TPID, ID) given outermost first.
func taggedUDP(dst, src []byte, tags [][2]uint16, size int, seq byte) []byte {
	f := append(append([]byte{}, dst...), src...)
	for _, tg := range tags {
		f = append(f, byte(tg[0]>>8), byte(tg[0]), byte(tg[1]>>8), byte(tg[1]))
	}
	f = append(f, 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
	total := 20 + 8 + size
	ip[2], ip[3] = byte(total>>8), byte(total)
	udp := []byte{0x9c, 0x40, 0x23, 0x28, byte((8 + size) >> 8), byte(8 + size), 0, 0}
	payload := make([]byte, size)
	payload[0] = seq
	return append(append(append(f, ip...), udp...), payload...)
}

// TestVLANRestoredAndKernelFilter injects VLAN-tagged frames (one 802.1Q
// tag 100; 802.1ad 200 outside 802.1Q 100) from A and captures them on B,
// whose kernel takes the outer tag out of the frame on receipt (AF_PACKET
// sees it as metadata): the source puts it back, so every captured frame
// equals the frame sent, byte for byte, as a replay of a capture taken on
// the wire would show it. The kernel filter compiled from `vlan 100 and
// udp port 9000` (KernelVLAN) runs in the real kernel and keeps exactly
// the single-tagged datagrams, not the untagged traffic nor the QinQ
// frames (whose first tag is 200).
func TestVLANRestoredAndKernelFilter(t *testing.T) {
	lab := netlab.New(t)
	e, err := filter.Parse("vlan 100 and udp port 9000")
	if err != nil {
		t.Fatal(err)
	}
	for _, kernelFilter := range []bool{false, true} {
		cfg := smallConfig(lab.IfB)
		if kernelFilter {
			cfg.Filter = func(lt pkt.LinkType) []bpf.Instruction {
				p, err := e.BPF(filter.BPFTarget{LinkType: lt, KernelVLAN: true})
				if err != nil {
					t.Error(err)
				}
				return p
			}
		}
		c, _ := startCapture(t, lab.B, cfg)
		if _, err := lab.Send(netlab.Mix{Pings: 2, UDP: 3, UDPSize: 100, UDPGap: time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		macA, _ := lab.A.MAC(lab.IfA)
		macB, _ := lab.B.MAC(lab.IfB)
		var sent [][]byte
		for i := 0; i < 10; i++ {
			sent = append(sent, taggedUDP(macB, macA, [][2]uint16{{0x8100, 100}}, 100, byte(i)))
		}
		for i := 0; i < 5; i++ {
			sent = append(sent, taggedUDP(macB, macA, [][2]uint16{{0x88a8, 0x2000 | 200}, {0x8100, 100}}, 60, byte(100+i)))
		}
		if err := lab.A.Inject(lab.IfA, sent); err != nil {
			t.Fatal(err)
		}
		c.waitFor(t, "tagged frames", func(pkts []captured) bool {
			n := 0
			for _, p := range pkts {
				if p.d.NVLAN > 0 {
					n++
				}
			}
			return n >= 10 // the single-tagged frames, which both filters keep
		})
		pkts := c.stop(t)
		var tagged []captured
		for _, p := range pkts {
			if p.d.NVLAN > 0 {
				tagged = append(tagged, p)
			}
		}
		want := sent
		if kernelFilter {
			want = sent[:10]
			if len(tagged) != len(pkts) {
				t.Errorf("kernel filter kept %d untagged packets", len(pkts)-len(tagged))
			}
		}
		if len(tagged) != len(want) {
			t.Fatalf("kernel filter %v: %d tagged frames captured, want %d", kernelFilter, len(tagged), len(want))
		}
		for i, p := range tagged {
			if string(p.data) != string(want[i]) {
				t.Errorf("frame %d:\n got %x\nsent %x", i, p.data, want[i])
			}
			if p.m.WireLen != uint32(len(want[i])) || p.m.CapLen != p.m.WireLen {
				t.Errorf("frame %d: wire %d captured %d, want %d", i, p.m.WireLen, p.m.CapLen, len(want[i]))
			}
			if p.d.VLANs[0] != 100 && p.d.VLANs[0] != 200 {
				t.Errorf("frame %d: tags %v", i, p.d.VLANs)
			}
		}
		if st := c.stats(); st[0].VLANRestored != uint64(len(want)) {
			t.Errorf("stats %+v: want %d tags restored", st, len(want))
		}
	}
}
