// Package testout makes real tmonbench outputs for the tests of the
// packages that read them (queries/...): it builds the tmonbench command
// once per test binary and runs `tmonbench replay` (or any subcommand) on
// the shared captures, so those tests read exactly what users get.
package testout

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
	buildOut  []byte
)

// ModuleRoot returns the folder holding go.mod, found from the test's
// working directory upwards.
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Main runs the tests of m, with XDG_STATE_HOME in a temporary folder,
// and removes the binary Binary built: call it
// from TestMain as os.Exit(testout.Main(m)).
func Main(m *testing.M) int {
	// Probe processes keep their last epoch in $XDG_STATE_HOME/tmonbench:
	// a folder of this test binary's, not the user's.
	if state, err := os.MkdirTemp("", "tmonbench-state-"); err == nil {
		os.Setenv("XDG_STATE_HOME", state)
		defer os.RemoveAll(state)
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// Commit is what `just build` stamps into the binary for the checkout at
// root (-ldflags -X main.commit), as .ci/commit prints it: `git rev-parse
// HEAD`, with "-dirty" when the tracked files differ from it; "" outside a
// git checkout.
func Commit(root string) string {
	out, err := exec.Command("bash", filepath.Join(root, ".ci", "commit")).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Binary builds cmd/tmonbench once per test binary, stamped with Commit
// as `just build` does, and returns its path.
//
// With TMONBENCH_TEST_BINARY set (.ci/run sets it), Binary returns that
// file instead: a tmonbench built from this checkout as Binary builds it,
// shared by the packages of one `go test ./...` (each test binary linked
// its own: six links of the DuckDB-sized command, about 10 s of CPU each).
// Its `tmonbench version` must name Commit, else the test fails.
func Binary(tb testing.TB) string {
	tb.Helper()
	root := ModuleRoot(tb)
	buildOnce.Do(func() {
		if p := os.Getenv("TMONBENCH_TEST_BINARY"); p != "" {
			binPath = p
			out, err := exec.Command(p, "version").Output()
			if c := Commit(root); err == nil && c != "" && !strings.Contains(string(out), "\ncommit  "+c+" ") {
				err = fmt.Errorf("TMONBENCH_TEST_BINARY %s is not built from this checkout (commit %s)", p, c)
			}
			buildErr, buildOut = err, out
			return
		}
		dir, err := os.MkdirTemp("", "tmonbench-testout-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		binPath = filepath.Join(dir, "tmonbench")
		args := []string{"build", "-o", binPath}
		if c := Commit(root); c != "" {
			args = append(args, "-ldflags", "-X main.commit="+c)
		}
		cmd := exec.Command("go", append(args, "./cmd/tmonbench")...)
		cmd.Dir = root
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		tb.Fatalf("go build ./cmd/tmonbench: %v\n%s", buildErr, buildOut)
	}
	// go test caches a passing result by the files the test looked at; the
	// binary is new at every run, so a test that ran it is never cached
	// against engine sources the cache does not see.
	os.Stat(binPath)
	return binPath
}

// Run runs tmonbench with args and returns its standard output; a non-zero
// exit fails the test with its standard error.
func Run(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command(Binary(tb), args...)
	var stderr []byte
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	if err != nil {
		tb.Fatalf("tmonbench %v: %v\n%s", args, err, stderr)
	}
	return string(out)
}

// Replay runs `tmonbench replay -q --out OUT args...` and returns OUT, a
// fresh folder under the test's temporary directory.
func Replay(tb testing.TB, args ...string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "tmon-out")
	Run(tb, append([]string{"replay", "-q", "--progress", "never", "--out", out}, args...)...)
	return out
}
