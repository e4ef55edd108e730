package flow

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the calling thread's CPU time, user and system.
func threadCPU(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNewFlows measures the flow table's CPU for new flows in fresh
// memory, as a run's growing table meets it: each round frees the heap's
// pages back to the kernel (debug.FreeOSMemory, not counted), then makes
// 50 k flows in a new table (their records, the index's growth, the id
// list). The figures are the thread's CPU time (getrusage RUSAGE_THREAD,
// user and system: page faults are system time), not wall time: the
// machine is shared. ns/pkt charges a round to 25 packets a flow (the 5M
// corpus: 197 k flows in 5 M packets).
func BenchmarkNewFlows(b *testing.B) {
	const n = 50_000
	ks := benchKeys(n)
	none := func(*Flow) {}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		debug.FreeOSMemory()
		b.StartTimer()
		c0 := threadCPU(b)
		tb := New(3, 1<<20, 0)
		for i := range ks {
			tb.Lookup(ks[i], int64(i), none)
		}
		cpu += threadCPU(b) - c0
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/flow")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n*25), "cpu-ns/pkt")
}
