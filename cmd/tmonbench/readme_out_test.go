package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeVarying are the lines of the README's main output whose values
// must vary from run to run, as patterns of the whole line: the wall time
// (and the rate and the opening share it gives), measured on the wall
// clock, and the output folder, the reader's working directory. Every
// other line is compared as the README prints it.
var readmeVarying = []struct{ label, pattern string }{
	{"  wall time ", `^  wall time +[0-9]+\.[0-9]{3} s  \([0-9]+ packets/s; opening the captures [0-9]+\.[0-9]{3} s of it\)$`},
	{"  output ", `^  output {10}/\S+/tmon-out$`},
}

// TestReadmeMainOutput runs the README's main command as written there
// (the fenced block after "Replay a bundled sample and summarise it:",
// each `go run ./cmd/tmonbench` the binary TestMain built, through sh, in
// a folder of its own holding the repository's samples/, COLUMNS unset as
// in a fresh shell) and compares its standard output with the fenced block
// that follows, line by line: every line but the wall time's and the
// output folder's values (readmeVarying: their shape is checked). The
// README's figures drifted once (12993 PDU bytes printed where the tree
// gave 12992) and nothing noticed.
func TestReadmeMainOutput(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmdBlock, outBlock := readmeMain(t, string(b))
	if !strings.HasPrefix(cmdBlock, "go run ./cmd/tmonbench replay ") {
		t.Fatalf("README's main command %q: not a replay through go run ./cmd/tmonbench", cmdBlock)
	}
	dir := t.TempDir()
	samples, err := filepath.Abs(filepath.Join("..", "..", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(samples, filepath.Join(dir, "samples")); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("sh", "-c", strings.ReplaceAll(cmdBlock, "go run ./cmd/tmonbench", bin))
	sh.Dir = dir
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "COLUMNS=") {
			sh.Env = append(sh.Env, e)
		}
	}
	var stderr strings.Builder
	sh.Stderr = &stderr
	got, err := sh.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmdBlock, err, stderr.String())
	}
	gotLines := strings.Split(strings.TrimRight(string(got), "\n"), "\n")
	wantLines := strings.Split(outBlock, "\n")
	if len(gotLines) != len(wantLines) {
		t.Errorf("README shows %d lines, the command printed %d:\n%s", len(wantLines), len(gotLines), got)
	}
	for i := range min(len(gotLines), len(wantLines)) {
		g, w := gotLines[i], wantLines[i]
		varying := false
		for _, v := range readmeVarying {
			if strings.HasPrefix(w, v.label) {
				varying = true
				if !regexp.MustCompile(v.pattern).MatchString(g) || !regexp.MustCompile(v.pattern).MatchString(w) {
					t.Errorf("README line %d, its values aside:\n  README: %s\n  run:    %s", i+1, w, g)
				}
			}
		}
		if !varying && g != w {
			t.Errorf("README line %d differs:\n  README: %s\n  run:    %s", i+1, w, g)
		}
	}
	for _, v := range readmeVarying { // the lines that vary are there
		if !slices.ContainsFunc(wantLines, func(l string) bool { return strings.HasPrefix(l, v.label) }) {
			t.Errorf("README's output has no %q line", strings.TrimSpace(v.label))
		}
	}
}

// readmeMain returns the README's main command (the fenced block after
// the line "Replay a bundled sample and summarise it:") and the output
// block that follows it, without their fences.
func readmeMain(t *testing.T, readme string) (cmd, out string) {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "\nReplay a bundled sample and summarise it:\n")
	if !ok {
		t.Fatal(`README.md: no "Replay a bundled sample and summarise it:" line`)
	}
	var blocks []string
	for len(blocks) < 2 {
		_, after, ok := strings.Cut(rest, "```\n")
		if !ok {
			t.Fatal("README.md: the main command and its output are not two fenced blocks")
		}
		body, tail, ok := strings.Cut(after, "\n```")
		if !ok {
			t.Fatal("README.md: a fenced block is not closed")
		}
		blocks = append(blocks, body)
		rest = tail
	}
	return strings.TrimSpace(blocks[0]), blocks[1]
}
