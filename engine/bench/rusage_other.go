//go:build !unix

package bench

// cpuTimes is the process' CPU time so far and its peak resident memory.
type cpuTimes struct{ userNs, sysNs, maxRSSBytes int64 }

// readCPU returns zeros off Unix (no getrusage): a bench there reports
// its wall time and allocations, no CPU time or peak RSS.
func readCPU() cpuTimes { return cpuTimes{} }
