//go:build unix

package testenv

import (
	"os/exec"
	"syscall"
	"testing"
)

// asNobody makes cmd run as user and group NobodyID (Unprivileged).
func asNobody(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: NobodyID, Gid: NobodyID}}
}

// ProcessCPU returns the process's user and system CPU time in ns
// (getrusage(2)), for a benchmark's cpu-ns/pkt; it fails tb if the call
// fails.
func ProcessCPU(tb testing.TB) int64 {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
