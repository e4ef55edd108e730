package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestProbeWithoutCollectorWarns runs `tmonbench probe --pcap A.pcap
// --speed realtime` (a 40 s capture: testdata/lab/oneway-udp/A.pcap) with
// samples/dist.yaml's collector moved to an address that does not
// answer, and waits (generously) for the warning line on stderr: it must
// come while the capture is still being replayed, before the probe's
// summary, not at the end. Two cases: nothing listens on the port (ICMP
// port unreachable, "refuses"), and a socket that reads and never
// acknowledges (no ICMP, "no acknowledgement").
func TestProbeWithoutCollectorWarns(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	text, err := os.ReadFile(filepath.Join("..", "..", "samples", "dist.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(samples(t), "lab", "oneway-udp", "A.pcap")
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, c := range []struct {
		name, addr, want string
	}{
		{"refused", freeUDPPort(t), "refuses the PDUs"},
		{"silent", silent.LocalAddr().String(), "no acknowledgement from collector central"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "dist.yaml")
			os.WriteFile(cfg, []byte(strings.Replace(string(text), "127.0.0.1:4739", c.addr, 1)), 0o644)
			p := exec.Command(bin, "probe", "--config", cfg, "--name", "A", "--pcap", capture, "--speed", "realtime", "--linger", "1s")
			stderr, err := p.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			summary := make(chan struct{})
			p.Stdout = writerFunc(func(b []byte) (int, error) { // the summary line comes at the end
				select {
				case <-summary:
				default:
					close(summary)
				}
				return len(b), nil
			})
			start := time.Now()
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			lines, done := make(chan string), make(chan struct{})
			defer func() { close(done); p.Process.Kill(); p.Wait() }()
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					select {
					case lines <- sc.Text():
					case <-done:
						return
					}
				}
			}()
			timeout := time.After(90 * time.Second)
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("probe ended without warning about the collector")
					}
					if !strings.Contains(l, c.want) {
						continue
					}
					select {
					case <-summary:
						t.Fatalf("the warning came after the probe's summary (at the end): %q", l)
					default:
					}
					t.Logf("after %.1f s of wall time: %s", time.Since(start).Seconds(), l)
					return
				case <-timeout:
					t.Fatalf("no warning %q within 90 s", c.want)
				}
			}
		})
	}
}

// writerFunc adapts a function to io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestCollectorWatchSteps drives the watch of one channel by hand (wall
// times given, no sleeping on them): nothing before the first datagram,
// nothing within silentWarn, one warning after it ("tmonbench probe:
// warning: ..."), none repeated, and
// "answers now" once an acknowledgement arrives.
func TestCollectorWatchSteps(t *testing.T) {
	coll, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	link, err := pdu.DialUDP(coll.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	w := &watchedLink{name: "central", addr: coll.LocalAddr().String(), link: link}
	var out strings.Builder
	t0 := time.Unix(1700000000, 0)
	w.check(t0, &out) // nothing sent yet
	link.Send([]byte("pdu"))
	w.check(t0.Add(time.Second), &out)                             // first datagram seen
	w.check(t0.Add(time.Second+silentWarn-time.Millisecond), &out) // not yet
	if out.Len() != 0 {
		t.Fatalf("warned too early: %q", out.String())
	}
	w.check(t0.Add(time.Second+silentWarn), &out)
	w.check(t0.Add(time.Second+2*silentWarn), &out)
	if n := strings.Count(out.String(), "tmonbench probe: warning: no acknowledgement from collector central"); n != 1 {
		t.Fatalf("%d warnings, want 1: %q", n, out.String())
	}
	buf := make([]byte, 16)
	_, from, err := coll.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	coll.WriteTo([]byte("ack"), from)
	for deadline := time.Now().Add(time.Minute); link.Stats().Received == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the collector's answer did not reach the link within a minute")
		}
	}
	out.Reset()
	w.check(t0.Add(time.Minute), &out)
	w.check(t0.Add(time.Hour), &out)
	if out.String() != "tmonbench probe: collector central at "+w.addr+" answers now\n" {
		t.Errorf("after the acknowledgement: %q", out.String())
	}
}
