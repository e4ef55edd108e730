//go:build unix

package bench

import "syscall"

// cpuTimes is the process' CPU time so far and its peak resident memory,
// from getrusage(2).
type cpuTimes struct{ userNs, sysNs, maxRSSBytes int64 }

// readCPU returns the process' cpuTimes.
func readCPU() cpuTimes {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuTimes{userNs: ru.Utime.Nano(), sysNs: ru.Stime.Nano(), maxRSSBytes: int64(ru.Maxrss) << 10}
}
