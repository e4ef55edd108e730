package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// sparseCapture is a committed capture of 61 UDP datagrams 15 s apart
// (900 s, from 2023-11-14): longer than the frame age bound (742.25 s),
// so the frames of its first minutes are too old once its last ones
// were received.
func sparseCapture(t *testing.T) string {
	var frames []capgen.Frame
	for i := range 61 {
		u := capgen.UDP{Src: capgen.AP(fmt.Sprintf("192.0.2.1:%d", 40000+i%3)), Dst: capgen.AP("198.51.100.2:9000"), Payload: []byte(fmt.Sprintf("datagram %d", i))}
		frames = append(frames, capgen.Frame{TimeNs: capgen.Base + int64(i)*15e9, Data: u.Frame()})
	}
	return capgen.Golden(t, filepath.Join("testdata", "sparse-900s.pcap"), capgen.PCAP(frames, false))
}

// frameProxy relays UDP between a probe and a collector and records every
// frame the probe sends.
type frameProxy struct {
	in, out *net.UDPConn
	mu      sync.Mutex
	probe   *net.UDPAddr
	frames  [][]byte
}

func startProxy(t *testing.T, collector string) *frameProxy {
	t.Helper()
	in, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	raddr, _ := net.ResolveUDPAddr("udp", collector)
	out, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatal(err)
	}
	p := &frameProxy{in: in, out: out}
	t.Cleanup(func() { in.Close(); out.Close() })
	go func() { // probe -> collector, recorded
		buf := make([]byte, 1<<16)
		for {
			n, from, err := in.ReadFromUDP(buf)
			if err != nil {
				return
			}
			p.mu.Lock()
			p.probe = from
			p.frames = append(p.frames, append([]byte(nil), buf[:n]...))
			p.mu.Unlock()
			out.Write(buf[:n])
		}
	}()
	go func() { // acknowledgements back to the probe
		buf := make([]byte, 1<<16)
		for {
			n, err := out.Read(buf)
			if err != nil {
				return
			}
			p.mu.Lock()
			to := p.probe
			p.mu.Unlock()
			if to != nil {
				in.WriteToUDP(buf[:n], to)
			}
		}
	}()
	return p
}

// TestReplayedFramesTwoProcesses: a keyed probe process replays a 900 s
// capture of 2023 to a collector process through a proxy recording its
// frames: every frame is accepted (the age is measured on the probe's
// clock, not the collector's). The collector is restarted on the same
// output and the recorded frames are sent to it again, as an attacker
// would: no table grows, and the frames built more than the age bound
// before the run's newest are refused and counted in pdu_refused as
// "too old" (issue 13.3); the others are duplicates.
func TestReplayedFramesTwoProcesses(t *testing.T) {
	t.Parallel()
	capture := sparseCapture(t)
	bin := buildBinary(t)
	tmp := t.TempDir()
	collAddr := freeUDPPort(t)
	proxy := startProxy(t, collAddr)
	cfg := filepath.Join(tmp, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("interval_s: 10\nprobes: [{name: A, key: \"replay-secret\"}]\ncollectors:\n  - {name: central, address: %q, min_gap_ms: 1}\n", proxy.in.LocalAddr().String())), 0o644)
	out, local := filepath.Join(tmp, "out"), filepath.Join(tmp, "local")
	coll := startCollector(t, bin, cfg, out, "--listen", collAddr, "--idle-exit", "3s", "--write-every", "200ms")
	p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "60x")
	p.Stdout, p.Stderr = os.Stdout, os.Stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitTimeout(t, p, 120*time.Second)
	waitTimeout(t, coll, 2*time.Minute)
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", local, "--probe", "A="+capture); code != 0 {
		t.Fatal(stderr)
	}
	const q = "select (select sum(n) from flow_counters where metric = 'packets') packets, (select count(*) from flows) flows, (select count(*) from flow_counters) counters, (select count(*) from events where kind <> 'pdu_refused') events"
	first := csvQuery(t, out, q)
	const qs = "select (select sum(n) from flow_counters where metric = 'packets') packets, (select count(*) from flows) flows"
	if got, want := csvQuery(t, out, qs), csvQuery(t, local, qs); got != want || !strings.Contains(want, "\n61,3\n") {
		t.Fatalf("through the processes %q, in process %q (want 61 packets, 3 flows)", got, want)
	}
	const qr = "select count(*) n, coalesce(sum(count), 0) frames from events where kind = 'pdu_refused'"
	if got := csvQuery(t, out, qr); got != "n,frames\n0,0\n" {
		t.Fatalf("frames refused in the first run: %q", got)
	}

	// The frames the collector must now refuse for their age.
	proxy.mu.Lock()
	frames := proxy.frames
	proxy.mu.Unlock()
	var newest int64
	for _, f := range frames {
		if h, _, err := pdu.ParseFrame(f); err == nil {
			newest = max(newest, h.BuildTimeNs)
		}
	}
	old := func(h pdu.Header) bool {
		return h.Type != pdu.TypeHeartbeat && !pdu.Permanent(h.Type) && h.Flags&pdu.FlagKept == 0 && newest-h.BuildTimeNs > pdu.DefaultMaxAgeNs
	}
	tooOld := 0
	for _, f := range frames {
		if h, _, _ := pdu.ParseFrame(f); old(h) {
			tooOld++
		}
	}
	if tooOld == 0 || tooOld == len(frames) {
		t.Fatalf("scenario too weak: %d of %d recorded frames too old", tooOld, len(frames))
	}

	coll = startCollector(t, bin, cfg, out, "--listen", collAddr, "--idle-exit", "3s", "--write-every", "200ms")
	raddr, _ := net.ResolveUDPAddr("udp", collAddr)
	c, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// 32 frames at a time, then the acknowledgement of the batch's last
	// duplicate: the collector's socket buffer never overflows.
	buf := make([]byte, 2048)
	for i := 0; i < len(frames); i += 32 {
		var last []byte
		for _, f := range frames[i:min(i+32, len(frames))] {
			c.Write(f)
			if h, _, _ := pdu.ParseFrame(f); h.Type != pdu.TypeHeartbeat && !old(h) {
				last = f
			}
		}
		for try := 0; last != nil; try++ {
			if try == 10 {
				t.Fatalf("no acknowledgement of a duplicate after frame %d", i)
			}
			h, _, _ := pdu.ParseFrame(last)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			for {
				n, err := c.Read(buf)
				if err != nil {
					c.Write(last) // lost: send the duplicate again
					break
				}
				if _, _, id, err := pdu.ParseAck(buf[:n]); err == nil && id == h.ID {
					last = nil
					break
				}
			}
		}
	}
	waitTimeout(t, coll, 2*time.Minute)
	if again := csvQuery(t, out, q); again != first {
		t.Errorf("after the recorded frames were sent again: %q, before %q", again, first)
	}
	if got, want := csvQuery(t, out, "select coalesce(sum(count), 0) frames from events where kind = 'pdu_refused'"), fmt.Sprintf("frames\n%d\n", tooOld); got != want {
		t.Errorf("pdu_refused events %q, want %d frames refused", got, tooOld)
	}
	if got := csvQuery(t, out, "select count(*) n from events where kind = 'pdu_refused' and message not like '%too old%'"); got != "n\n0\n" {
		t.Errorf("pdu_refused events for another cause: %q", got)
	}
	t.Logf("%d frames recorded and sent again: %d refused as too old, the others duplicates; tables unchanged: %q", len(frames), tooOld, first)
}
