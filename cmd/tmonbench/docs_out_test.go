package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsCollectorOut: the collector walkthroughs of samples/dist.yaml
// and docs/processes.md write into a folder of their own and query it: a
// trial followed the README's first step (a replay into ./tmon-out) and
// then `collector --out ./tmon-out`, which a collector refuses (a
// replay's output, README's --out), and `query oneway` read ./tmon-out.
func TestDocsCollectorOut(t *testing.T) {
	outFlag := regexp.MustCompile(`--out (\S+)`)
	for _, f := range []string{"samples/dist.yaml", "docs/processes.md"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		out := "" // the latest collector's --out
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			switch {
			case strings.HasPrefix(line, "tmonbench collector --"):
				m := outFlag.FindStringSubmatch(line)
				if m == nil || m[1] == "./tmon-out" {
					t.Errorf("%s:%d: %q: want a collector --out other than ./tmon-out (a replay's)", f, i+1, line)
					continue
				}
				out = m[1]
			case strings.HasPrefix(line, "tmonbench query ") && out != "":
				if m := outFlag.FindStringSubmatch(line); m == nil || m[1] != out {
					t.Errorf("%s:%d: %q: want --out %s, the collector's", f, i+1, line, out)
				}
			case line == "```":
				out = ""
			}
		}
	}
}
