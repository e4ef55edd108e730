package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/live"
)

// statsPrinter prints, every second, the capture rate, the kernel drops
// and where the CPU goes (live --stats): the probe stage is the engines'
// thread (reading the ring, dissecting, sieving, analysing, encoding
// PDUs), the rest of the process is the collector, Parquet writing and
// the Go runtime (GC). The busiest of the two limits the rate; kernel
// drops with a busy probe stage mean the probe cannot keep up.
type statsPrinter struct {
	done, finished chan struct{}
}

// startStats prints a line every second, and the last (partial) period's
// at stop: the lines' packet counts add up to the packets delivered.
func startStats(w io.Writer, src *live.Source, probeTID int) *statsPrinter {
	p := &statsPrinter{done: make(chan struct{}), finished: make(chan struct{})}
	// The first reading is taken here, before any packet is read: taken in
	// the goroutine, it could come after the first packets (a busy
	// machine starts it late), and the lines would not add up.
	last, lastT := src.Stats(), time.Now()
	lastProbe, lastAll := threadCPU(probeTID), processCPU()
	t := time.NewTicker(time.Second)
	go func() {
		defer close(p.finished)
		defer t.Stop()
		for {
			var now time.Time
			stopping := false
			select {
			case <-p.done: // the run has ended: this line reads its last packets
				now, stopping = time.Now(), true
			case now = <-t.C:
			}
			st := src.Stats()
			sec := now.Sub(lastT).Seconds()
			var pk, drops, total uint64
			for i, s := range st {
				pk += s.Delivered - last[i].Delivered
				drops += s.Drops - last[i].Drops
				total += s.Drops
			}
			cpuProbe, cpuAll := threadCPU(probeTID), processCPU()
			probe := (cpuProbe - lastProbe).Seconds() / sec * 100
			rest := max(0, (cpuAll-lastAll).Seconds()/sec*100-probe)
			busiest := "probe"
			if rest > probe {
				busiest = "collector+runtime"
			}
			fmt.Fprintln(w, statsLine(now, pk, sec, drops, total, probe, rest, busiest))
			last, lastT, lastProbe, lastAll = st, now, cpuProbe, cpuAll
			if stopping {
				return
			}
		}
	}()
	return p
}

// stop prints the last period's line and returns once it is printed.
func (p *statsPrinter) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	<-p.finished
}

// processCPU is the process's user+system CPU time.
func processCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is a thread's user+system CPU time (/proc/self/task/TID/stat,
// fields 14 and 15, in clock ticks of 10 ms).
func threadCPU(tid int) time.Duration {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

// statsLine is one --stats line: pk packets delivered in sec seconds, the
// kernel drops of the period and in all, the CPU shares (%) and the
// busiest thread.
func statsLine(now time.Time, pk uint64, sec float64, drops, total uint64, probe, rest float64, busiest string) string {
	return fmt.Sprintf(pkt.Nouns(pk, "%s capture %.0f pkt/s (%d packet[s] in %.2f s) | kernel drops %d (%d in all) | cpu probe %.0f%%, collector+runtime %.0f%% | busiest: %s"),
		now.Format("15:04:05"), float64(pk)/sec, pk, sec, drops, total, probe, rest, busiest)
}
