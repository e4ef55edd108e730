package testsamples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestFreshCopy (issue 9.8): the suite needs nothing outside the
// repository. The files `git ls-files` lists are copied into an empty
// temporary folder (no ../shared beside them, no .git), and there, under
// CI=true (a missing file or tool fails, never skips), go vet and tests
// that read the lab captures and their ground truth from testdata/ pass:
// the one-way truth of engine/pipeline and the capture naming, replay's
// pcapng interfaces. A capture the tests read but git does not track would
// fail here. (.ci/run runs the whole suite in a fresh clone made in an
// empty folder; this test keeps the check in `go test ./...` anywhere.) About 25 s on a loaded 2-core machine (the copy's packages
// are compiled anew; the modules come from the module cache).
func TestFreshCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and runs go test in it")
	}
	git := testenv.Tool(t, "git")
	root := moduleRoot(t)
	list, err := exec.Command(git, "-C", root, "ls-files", "-z").Output()
	if err != nil {
		testenv.Skipf(t, "%s is not a git checkout (git ls-files: %v)", root, err)
	}
	copyRoot := filepath.Join(t.TempDir(), "tmonbench")
	n := 0
	for _, f := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		if err := copyFile(filepath.Join(root, f), filepath.Join(copyRoot, f)); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if _, err := os.Stat(filepath.Join(copyRoot, "..", "shared")); !os.IsNotExist(err) {
		t.Fatalf("../shared beside the copy: %v", err)
	}
	goCmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = copyRoot
		cmd.Env = append(os.Environ(), "CI=true", "GOWORK=off", "GOFLAGS=-buildvcs=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in a copy of the repository (%d files): %v\n%s", strings.Join(args, " "), n, err, out)
		}
		return string(out)
	}
	goCmd("vet", "./engine/pipeline", "./replay", "./internal/testsamples")
	out := goCmd("test", "-count=1", "-v", "-run", "^(TestOnewayUDP|TestCapturesNames|TestScanInterfaces)$", "./engine/pipeline", "./replay")
	for _, name := range []string{"TestOnewayUDP", "TestCapturesNames", "TestScanInterfaces"} {
		if !strings.Contains(out, "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass in the copy:\n%s", name, out)
		}
	}
	if strings.Contains(out, "--- SKIP") {
		t.Errorf("a test skipped in the copy:\n%s", out)
	}
}

// moduleRoot is the folder holding go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = filepath.Dir(dir)
	}
}

// copyFile copies src to dst with its permissions, making dst's folders.
func copyFile(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, st.Mode().Perm())
}
