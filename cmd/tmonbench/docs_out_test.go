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
// A probe started in the background is waited for before the query: the
// ninth trial's copy of the dist.yaml recipe queried once probe B ended,
// with A (backgrounded, no wait) maybe still sending; the docs promise
// a query "right after the probes end" sees their rows.
func TestDocsCollectorOut(t *testing.T) {
	outFlag := regexp.MustCompile(`--out (\S+)`)
	for _, f := range []string{"samples/dist.yaml", "docs/processes.md"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		out := ""    // the latest collector's --out
		pending := 0 // probes started in the background (&) and not waited for
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if strings.HasPrefix(line, "tmonbench query ") && pending > 0 {
				t.Errorf("%s:%d: %q: %d probe(s) started with & are not waited for: the query may read before their final report arrived (wait for them)", f, i+1, line, pending)
			}
			switch {
			case strings.HasPrefix(line, "tmonbench probe ") && (strings.HasSuffix(line, "&") || strings.Contains(line, "& ")):
				pending++
			case strings.HasPrefix(line, "wait"):
				pending = 0
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
				out, pending = "", 0
			}
		}
	}
}
