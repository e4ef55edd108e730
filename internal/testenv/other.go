//go:build !unix

package testenv

import (
	"os/exec"
	"testing"
)

// asNobody is never reached off Unix: os.Geteuid is -1 there (Windows has
// no uid 0), so Unprivileged returns false before it starts a child, and
// the test runs as the user it runs as.
func asNobody(*exec.Cmd) {
	panic("testenv: no user nobody off Unix")
}

// ProcessCPU skips the benchmark off Unix (fails it under CI): there is
// no getrusage(2) for the process's CPU time.
func ProcessCPU(tb testing.TB) int64 {
	tb.Helper()
	Skip(tb, "no getrusage off Unix: the process's CPU time is not measured")
	return 0
}
