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

// TestReadmeHopWithoutProbe: the README's sentence on a one-way hop no
// probe stands behind says what HopsOutsideProbes (and replay's warning)
// says, and what the run writes: its packets count as dropped. It said
// "all would count as lost"; the ninth trial's oneway-lab.yaml with hops
// [A, C] replayed with probes A and B wrote A>C sent 5000, lost 0,
// dropped 5000 (oneway_loss).
func TestReadmeHopWithoutProbe(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, text, ok := strings.Cut(strings.Join(strings.Fields(string(b)), " "), "`replay` warns about a hop none of its probes is")
	if !ok {
		t.Fatal("README.md: no sentence on a hop none of the probes is")
	}
	sentence, _, _ := strings.Cut(text, ". ")
	c, err := Parse([]byte("probes: [{name: A}, {name: B}]\nclasses:\n  - {name: ac, filter: udp, analyses: [oneway], oneway: {hops: [A, C]}}\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := c.HopsOutsideProbes()
	if len(w) != 1 {
		t.Fatalf("HopsOutsideProbes: %q, want one warning", w)
	}
	_, says, _ := strings.Cut(w[0], ": nothing is observed there, ")
	if says == "" || !strings.Contains(sentence, says) {
		t.Errorf("README.md says of such a hop %q; the warning says %q", sentence, says)
	}
}
