package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeNamesJustRecipes: README.md names every recipe of the justfile
// as `NAME` or `just NAME`, and says that `just bench` runs the Go
// benchmarks, not the probe benchmark: a new-user trial ran `just bench`
// for `tmonbench bench` (README's Speed) and got `go test -bench` over
// engine and replay; `bench-pcap`, the recipe that runs `tmonbench bench`
// (docs/speed.md), was not in the README at all.
func TestReadmeNamesJustRecipes(t *testing.T) {
	just, err := os.ReadFile("../justfile")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	recipes := regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*)(?: [^:\n]*)?:(?:[ \t]|$)`).FindAllStringSubmatch(string(just), -1)
	if len(recipes) < 8 {
		t.Fatalf("%d recipes read from the justfile, want its 10 or so", len(recipes))
	}
	for _, r := range recipes {
		if !strings.Contains(text, "`"+r[1]+"`") && !strings.Contains(text, "`just "+r[1]+"`") {
			t.Errorf("README.md does not name the justfile's recipe %s", r[1])
		}
	}
	if !strings.Contains(text, "`bench` (the Go benchmarks") || !strings.Contains(text, "`bench-pcap` (`tmonbench bench") {
		t.Error("README.md does not say `just bench` runs the Go benchmarks and `just bench-pcap` tmonbench bench")
	}
}

// TestBenchPcapWithoutCorpusScript: `just bench-pcap` in a checkout with no
// ../shared/bench beside it (a clone elsewhere) and no corpus failed with
// bash's "No such file or directory" about make-corpus.sh; it now says
// what is missing and that corpus=PATH takes a capture of one's own. The
// recipe's first line, its parameter put in as just puts it, run as just
// runs a line (sh -c) in a folder with nothing beside it.
func TestBenchPcapWithoutCorpusScript(t *testing.T) {
	just, err := os.ReadFile("../justfile")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(just), "\nbench-pcap ")
	if !ok {
		t.Fatal("no bench-pcap recipe in the justfile")
	}
	lines := strings.Split(body, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "    ") {
		t.Fatalf("bench-pcap's first line not found: %q", lines)
	}
	dir := filepath.Join(t.TempDir(), "clone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	line := strings.ReplaceAll(strings.TrimSpace(lines[1]), "{{corpus}}", "../bench-data/corpus-5m.pcap")
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	want := "bench-pcap: no ../bench-data/corpus-5m.pcap, and no ../shared/bench/make-corpus.sh beside this checkout to build it: just bench-pcap corpus=PATH takes a capture of yours\n"
	if err == nil || string(out) != want {
		t.Errorf("bench-pcap's first line with neither the corpus nor its script: %v\n%s\nwant exit 1 and\n%s", err, out, want)
	}
}
