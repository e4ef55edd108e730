package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// helperEnv makes TestHelperMissing run its body (only in the child
// processes TestSkipFailsUnderCI starts).
const helperEnv = "TESTENV_HELPER"

// TestHelperMissing needs a tool that does not exist.
func TestHelperMissing(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	Tool(t, "tmonbench-no-such-tool")
	t.Log("after Tool: must not be reached")
}

// TestSkipFailsUnderCI: a missing tool skips the test outside CI and fails
// it under CI=true (and CI=1); the test body after the need never runs.
func TestSkipFailsUnderCI(t *testing.T) {
	for _, c := range []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestHelperMissing"},
		{"false", false, "--- SKIP: TestHelperMissing"},
		{"true", true, "--- FAIL: TestHelperMissing"},
		{"1", true, "--- FAIL: TestHelperMissing"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMissing$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"=1", "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.wantFail || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "must not be reached") {
			t.Errorf("CI=%q: err %v, output:\n%s\nwant %q", c.ci, err, out, c.want)
		}
		if c.wantFail && !strings.Contains(string(out), "needed under CI=true, missing: tmonbench-no-such-tool not installed") {
			t.Errorf("CI=%q: the failure does not say what is missing:\n%s", c.ci, out)
		}
	}
}

// TestUnprivileged: as root, the body runs in a child process as nobody;
// otherwise here. Either way the body sees a non-root user.
func TestUnprivileged(t *testing.T) {
	if Unprivileged(t) {
		return
	}
	if os.Geteuid() == 0 {
		t.Fatal("the body runs as root")
	}
	if os.Getenv(unprivEnv) != "" && os.Geteuid() != NobodyID {
		t.Fatalf("child runs as uid %d, want %d", os.Geteuid(), NobodyID)
	}
}
