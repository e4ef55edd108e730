package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsEffectiveWeb: docs/configuration.md shows `tmonbench config
// --effective --config web.yaml` (interval_s: 10 and one class web, "tcp
// port 80"); its lines down to the "..." are the real output's first ones,
// the warning line included. The fifth trial's D2: the block lacked
// clock_jump_s: 600, which EffectiveYAML prints since 2a4b81d.
func TestDocsEffectiveWeb(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "$ tmonbench config --effective --config web.yaml")
	if !ok {
		t.Fatal("docs/configuration.md: no `$ tmonbench config --effective --config web.yaml` block")
	}
	block, _, ok = strings.Cut(block, "\n...\n")
	if !ok {
		t.Fatal("docs/configuration.md: the web.yaml block has no ... line")
	}
	doc := strings.Split(block, "\n")[1:] // the command line's comment is not output
	c, err := Parse([]byte("interval_s: 10\nclasses:\n  - name: web\n    filter: \"tcp port 80\"\n"), "web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var real []string
	for _, w := range c.Warnings() {
		real = append(real, "tmonbench config: warning: "+w)
	}
	real = append(real, strings.Split(string(c.EffectiveYAML()), "\n")...)
	for i, l := range doc {
		if i >= len(real) || real[i] != l {
			t.Fatalf("docs/configuration.md, line %d of the web.yaml block:\n%q\nthe real output's:\n%s", i+1, l, strings.Join(real[:min(i+2, len(real))], "\n"))
		}
	}
}
