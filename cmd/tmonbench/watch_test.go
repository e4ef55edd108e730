package main

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// watched is one packet the test's own capture saw: its interface (index
// in the watch's), kernel time and the fields the tests wait on.
type watched struct {
	iface    int
	timeNs   int64
	proto    uint8
	src, dst netip.AddrPort
	tcpFlags uint16
	head     uint32 // the first 4 payload bytes, big-endian (the generator's datagram number)
}

// netWatch is the test's own capture of interfaces in a namespace, beside
// a tmonbench process capturing them: a test waits on it for the packets
// it sent to have reached the capture rings, however late a loaded
// machine's kernel delivers them (a tap's copies and a router's forwarded
// packets go through another receive queue, run late by a busy
// ksoftirqd), instead of sleeping a guess. Opened before the process, it
// sees a frame after the process's socket: the kernel hands a frame to an
// interface's packet sockets newest first (dev_add_pack puts each at the
// head of the list), in one pass.
type netWatch struct {
	mu   sync.Mutex
	pkts []watched
	errs []error
	srcs []*live.Source
	wg   sync.WaitGroup
}

// watchNet opens the capture of ifaces in ns (stopped at the test's end).
func watchNet(t *testing.T, ns *netlab.NS, ifaces ...string) *netWatch {
	t.Helper()
	w := &netWatch{}
	if err := ns.Do(func() (err error) {
		w.srcs, _, err = live.Open(live.DefaultConfig(ifaces...))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range w.srcs {
		w.wg.Add(1)
		go w.read(s)
	}
	t.Cleanup(w.stop)
	return w
}

// read keeps what s delivers until io.EOF.
func (w *netWatch) read(s *live.Source) {
	defer w.wg.Done()
	defer s.Close()
	ds := dissect.New()
	var d dissect.Dissection
	err := netlab.ReadAll(s, func(data []byte, m pkt.Meta) {
		if ds.Dissect(data, m, &d) != nil || d.IPVersion == 0 {
			return
		}
		p := watched{iface: int(m.Iface), timeNs: m.TimeNs, proto: d.Protocol, tcpFlags: d.TCPFlags,
			src: netip.AddrPortFrom(d.SrcAddr, d.SrcPort), dst: netip.AddrPortFrom(d.DstAddr, d.DstPort)}
		if len(d.Payload) >= 4 {
			p.head = uint32(d.Payload[0])<<24 | uint32(d.Payload[1])<<16 | uint32(d.Payload[2])<<8 | uint32(d.Payload[3])
		}
		w.mu.Lock()
		w.pkts = append(w.pkts, p)
		w.mu.Unlock()
	})
	if err != nil {
		w.mu.Lock()
		w.errs = append(w.errs, err)
		w.mu.Unlock()
	}
}

// waitFor waits until done, given the packets seen so far, holds. Not an
// assertion on time: the minute only bounds a hang, and the failure says
// what was awaited.
func (w *netWatch) waitFor(t *testing.T, what string, done func(pkts []watched) bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		ok, n, errs := done(w.pkts), len(w.pkts), w.errs
		w.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("the test's own capture: %v", errs)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen by the test's own capture after a minute (%d packets seen)", what, n)
		}
	}
}

// stop ends the capture (every packet delivered).
func (w *netWatch) stop() {
	for _, s := range w.srcs {
		s.Stop()
	}
	w.wg.Wait()
}

// seen returns the packets seen so far.
func (w *netWatch) seen() []watched {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]watched(nil), w.pkts...)
}

// flowsSeen says whether pkts hold every packet of the generator's flows
// that it counted (its UDP and ICMP ones), per direction, and a FIN each
// way of its TCP connections (their last data; the segments are the
// kernel's, not counted).
func flowsSeen(flows []netlab.Flow, pkts []watched) bool {
	type key struct {
		proto    uint8
		src, dst netip.AddrPort
	}
	n := map[key]uint64{}
	fin := map[key]bool{}
	for _, p := range pkts {
		k := key{p.proto, p.src, p.dst}
		n[k]++
		fin[k] = fin[k] || p.proto == 6 && p.tcpFlags&dissect.TCPFin != 0
	}
	for _, f := range flows {
		k := key{f.Proto, f.Src, f.Dst}
		if f.Proto == 6 && !fin[k] || n[k] < f.Packets {
			return false
		}
	}
	return true
}
