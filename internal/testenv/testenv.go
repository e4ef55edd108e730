// Package testenv is what a test asks of its environment (a tool on PATH,
// root, the loopback network) and the one rule every test keeps: under
// CI=true a missing need FAILS the test, it never skips, so CI cannot go
// green by skipping. Outside CI (a laptop without tcpdump) the test skips
// with the reason. `.ci/run` counts the skipped tests and fails if any.
//
// Test data is not an environment need: it is in the repository
// (internal/testsamples), and a missing file always fails.
//
// Skips under `go test -short` (testing.Short) are not needs either: CI
// does not run -short.
package testenv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// CI reports whether the tests run under CI: the environment variable CI
// is "true" or "1" (GitHub Actions, GitLab CI and `.ci/run` set it).
func CI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// Skip skips the test with the reason outside CI and fails it under CI.
// Use it for every skip that depends on the machine.
func Skip(tb testing.TB, args ...any) {
	tb.Helper()
	if CI() {
		tb.Fatal(append([]any{"needed under CI=true, missing:"}, args...)...)
	}
	tb.Skip(args...)
}

// Skipf is Skip with a format.
func Skipf(tb testing.TB, format string, args ...any) {
	tb.Helper()
	Skip(tb, fmt.Sprintf(format, args...))
}

// Tool returns the path of the command name on PATH; when it is absent the
// test skips (fails under CI: `.ci/run` installs every tool the tests use).
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skipf(tb, "%s not installed (.ci/run installs it): %v", name, err)
	}
	return p
}

// Root skips the test (fails under CI, which runs as root) unless it runs
// with effective user id 0 (network namespaces, raw sockets).
func Root(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		Skip(tb, "needs root (effective uid is "+strconv.Itoa(os.Geteuid())+")")
	}
}

// unprivEnv marks the child process Unprivileged starts.
const unprivEnv = "TMONBENCH_TESTENV_UNPRIVILEGED"

// NobodyID is the user and group id Unprivileged runs the test as.
const NobodyID = 65534

// Unprivileged makes a test that needs an ordinary user (file permissions
// that root ignores) run as one. Not root: it returns false and the test
// goes on. Root: it runs this test again in a child process as user and
// group nobody (65534), from a world-readable copy of the test binary and
// with the working directory in a fresh temporary folder, reports the
// child's failure as this test's, and returns true: the caller returns.
//
//	if testenv.Unprivileged(t) {
//		return // ran as nobody in a child process
//	}
func Unprivileged(t *testing.T) bool {
	t.Helper()
	if os.Getenv(unprivEnv) == t.Name() || os.Geteuid() != 0 {
		return false
	}
	dir, err := os.MkdirTemp("", "testenv-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+regexpQuote(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), unprivEnv+"="+t.Name(), "TMPDIR="+os.TempDir(), "HOME="+dir)
	asNobody(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as uid %d in a child process: %v\n%s", NobodyID, err, out)
	}
	t.Logf("ran as uid %d in a child process:\n%s", NobodyID, out)
	return true
}

// copyFile copies src to dst with mode perm.
func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// regexpQuote quotes the regular-expression metacharacters of a test name
// (subtests are not supported: -test.run splits on '/').
func regexpQuote(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
