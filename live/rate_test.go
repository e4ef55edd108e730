//go:build linux

package live_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/netlab"
	"github.com/tmonbench/tmonbench/live"
)

// flood sends frames from ifc in ns at rate packets/s for d, from a
// packet socket (no UDP stack on the sending side), paced per millisecond.
// The frames are IPv4/UDP from 64 source addresses to B, 64-byte payload.
func flood(t testing.TB, ns *netlab.NS, ifc string, dst, src net.HardwareAddr, rate int, d time.Duration) int {
	t.Helper()
	var frames [][]byte
	for i := 0; i < 64; i++ {
		f := taggedUDP(dst, src, nil, 64, byte(i))
		f[14+15] = byte(10 + i) // source 192.0.2.(10+i): 64 address pairs
		frames = append(frames, f)
	}
	sent := 0
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifc)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index}
		start := time.Now()
		for time.Since(start) < d {
			due := int(time.Since(start).Seconds() * float64(rate))
			for sent < due {
				if err := unix.Sendto(fd, frames[sent%64], 0, sa); err != nil {
					if errors.Is(err, unix.ENOBUFS) {
						break
					}
					return err
				}
				sent++
			}
			time.Sleep(200 * time.Microsecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

// BenchmarkCaptureRate measures the highest rate captured without kernel
// drops on a veth pair, with 1 and 2 workers each dissecting every packet
// (the capture side; the full engines: tmonbench live --stats, see the
// README). It sweeps the offered rate (TMONBENCH_RATES=25000,50000,...
// overrides the list) for 3 s per step, once whatever b.N:
//
//	sudo go test ./live -run '^$' -bench CaptureRate -benchtime 1x -v
func BenchmarkCaptureRate(b *testing.B) {
	t := b
	lab := netlab.New(t)
	macA, _ := lab.A.MAC(lab.IfA)
	macB, _ := lab.B.MAC(lab.IfB)
	rates := []int{25000, 50000, 100000, 150000, 200000, 300000, 400000, 600000}
	if s := os.Getenv("TMONBENCH_RATES"); s != "" {
		rates = nil
		for _, f := range splitComma(s) {
			n, _ := strconv.Atoi(f)
			rates = append(rates, n)
		}
	}
	for _, workers := range []int{1, 2} {
		best := 0
		for _, rate := range rates {
			cfg := live.DefaultConfig(lab.IfB)
			cfg.Workers = workers
			srcs := openInB(t, lab, cfg)
			var wg sync.WaitGroup
			for _, s := range srcs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ds := dissect.New()
					var d dissect.Dissection
					for {
						data, m, err := s.Next()
						if err == io.EOF {
							return
						}
						if err == nil {
							ds.Dissect(data, m, &d)
						} else if !errors.Is(err, pkt.ErrIdle) {
							t.Error(err)
							return
						}
					}
				}()
			}
			sent := flood(t, lab.A, lab.IfA, macB, macA, rate, 3*time.Second)
			for _, s := range srcs {
				s.Stop()
			}
			wg.Wait()
			var drops, got uint64
			for _, s := range srcs {
				st := s.Stats()[0]
				drops += st.Drops
				got += st.Delivered
				s.Close()
			}
			achieved := sent / 3
			fmt.Printf("workers %d, %d pkt/s offered, %d pkt/s sent: %d sent, %d delivered, %d kernel drops\n", workers, rate, achieved, sent, got, drops)
			if drops > 0 {
				break
			}
			best = max(best, achieved)
		}
		fmt.Printf("workers %d: highest rate sent and captured without kernel drops: %d pkt/s\n", workers, best)
		b.ReportMetric(float64(best), fmt.Sprintf("pkts/s_no_drop_%dw", workers))
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
