// Package testref reads what tests compare against beyond the captures:
// reference tables written by peer tools (tshark's fields, kept under a
// package's testdata/tshark/ with the command in their header) and the
// kernel's view of this process's memory (proc(5) smaps), shared by the
// packages whose tests need them.
package testref

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// Row is one line of a reference table: the capture it is about and its
// tab-separated columns.
type Row struct {
	File string
	Cols []string
}

// ReadTSV reads path, a reference table of lines of n tab-separated
// columns, each group of them after a line "@FILE" naming the capture;
// lines starting with '#' are comments (how it was made). A line of
// another shape, or a row before any "@FILE", fails the test.
func ReadTSV(t testing.TB, path string, n int) []Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Row
	file := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "@"):
			file = line[1:]
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != n || file == "" {
			t.Fatalf("%s: line %q: want %d columns after an @FILE line", path, line, n)
		}
		out = append(out, Row{File: file, Cols: c})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// VMFlags returns the VmFlags of the mapping of /proc/self/smaps holding
// address a ("hg": advised into transparent huge pages, MADV_HUGEPAGE).
func VMFlags(a uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			in = lo <= a && a < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", a)
}

// freshEnv marks the child process AloneInProcess starts.
const freshEnv = "TMONBENCH_TEST_ALONE"

// AloneInProcess runs test t again, alone, in a new process of the test
// binary, and reports whether this is that process (true: go on with the
// test's body). In the calling process it fails t with the child's
// output when the child fails, and returns false. For tests that read the
// kernel's view of heap memory (mincore(2) residency): in a package's
// process, memory freed by earlier tests can come back resident, or
// inside a mapping they advised into transparent huge pages (a 2 MiB page
// resident at the first write), which the test's own code did not do.
func AloneInProcess(t *testing.T) bool {
	t.Helper()
	if os.Getenv(freshEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), freshEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s alone in a new process: %v\n%s", t.Name(), err, out)
	}
	return false
}
