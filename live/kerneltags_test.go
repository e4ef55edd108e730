//go:build linux

package live_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/replay"
)

// TestKernelFilterTagKinds runs the kernel programs (Expr.BPF with
// KernelVLAN) in the real kernel on every kind of tagged frame: the 65
// frames of engine/filter/testdata/live-vlan.pcap (per kind 6 TCP SYNs to
// port 8080, 4 UDP datagrams, 3 ICMP echo requests; untagged, 802.1Q 10,
// a priority tag, 802.1ad 100 over 802.1Q 20, 0x9100 30), injected from A
// and captured on B, whose kernel takes an outer 802.1Q or 802.1ad tag
// into the metadata and leaves the 0x9100 one in the frame. Each filter
// keeps exactly the frames tcpdump keeps on that file for the filter
// seeing through the tags (the counts of engine/filter's TestBPFLiveVLAN,
// e.g. tcpdump -r live-vlan.pcap 'udp or (vlan and (udp or (vlan and
// udp)))' | wc -l = 20), each given back byte for byte as sent.
func TestKernelFilterTagKinds(t *testing.T) {
	lab := netlab.New(t)
	f, err := replay.Open("../engine/filter/testdata/live-vlan.pcap")
	if err != nil {
		t.Fatal(err)
	}
	macA, _ := lab.A.MAC(lab.IfA)
	macB, _ := lab.B.MAC(lab.IfB)
	var sent [][]byte
	for {
		data, _, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fr := append(append(append([]byte(nil), macB...), macA...), data[12:]...)
		sent = append(sent, fr)
	}
	f.Close()
	if len(sent) != 65 {
		t.Fatalf("%d frames, want 65", len(sent))
	}
	isSent := map[string]bool{}
	for _, s := range sent {
		isSent[string(s)] = true
	}
	for _, c := range []struct {
		filter string
		want   int // tcpdump -r live-vlan.pcap, tags seen through (TestBPFLiveVLAN)
	}{
		{"vlan and tcp port 8080", 24},
		{"udp", 20},
		{"icmp", 15},
		{"ip", 65},
		{"vlan", 52},
		{"tcp port 8080", 30},
	} {
		e, err := filter.Parse(c.filter)
		if err != nil {
			t.Fatal(err)
		}
		cfg := smallConfig(lab.IfB)
		cfg.Filter = func(lt pkt.LinkType) []bpf.Instruction {
			p, err := e.BPF(filter.BPFTarget{LinkType: lt, KernelVLAN: true})
			if err != nil {
				t.Error(err)
			}
			return p
		}
		cp, _ := startCapture(t, lab.B, cfg)
		if err := lab.A.Inject(lab.IfA, sent); err != nil {
			t.Fatal(err)
		}
		count := func(pkts []captured) int {
			n := 0
			for _, p := range pkts {
				if isSent[string(p.data)] {
					n++
				}
			}
			return n
		}
		for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(5 * time.Millisecond) {
			cp.mu.Lock()
			n := count(cp.pkts)
			cp.mu.Unlock()
			if n >= c.want {
				break
			}
		}
		time.Sleep(50 * time.Millisecond) // a frame kept beyond the count would be in by now
		if got := count(cp.stop(t)); got != c.want {
			t.Errorf("%q: the kernel program kept %d of the frames, tcpdump %d", c.filter, got, c.want)
		}
	}
}
