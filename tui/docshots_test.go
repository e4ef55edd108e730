package tui

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// docsTUI is the TUI's guide, whose screenshots are goldens.
const docsTUI = "../docs/tui.md"

// docsShot is a screenshot's marker in docs/tui.md: the fenced block
// after it is the golden it names, as shotText draws it.
var docsShot = regexp.MustCompile("(?m)^<!-- golden: ([A-Za-z0-9/]+) -->\n```\n((?:.*\n)*?)```\n")

// shotText is a golden as docs/tui.md shows it: no escapes, no trailing
// blanks, runs of blank lines folded into one.
func shotText(golden string) string {
	var out []string
	for _, l := range strings.Split(ansi.Strip(golden), "\n") {
		l = strings.TrimRight(l, " ")
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// TestDocsScreenshots: docs/tui.md's screenshots drifted from what the
// program draws (its Overview, SQL and Live predated the goldens); each
// is now marked with the golden it shows and must equal it (go test
// ./tui -run TestDocsScreenshots -update rewrites them from the goldens).
func TestDocsScreenshots(t *testing.T) {
	b, err := os.ReadFile(docsTUI)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	ms := docsShot.FindAllStringSubmatchIndex(doc, -1)
	if len(ms) < 12 {
		t.Fatalf("%d screenshots marked with their golden in %s, want at least 12", len(ms), docsTUI)
	}
	update := false
	if f := flag.Lookup("update"); f != nil {
		update = f.Value.String() == "true"
	}
	var out strings.Builder
	last := 0
	for _, m := range ms {
		name, shown := doc[m[2]:m[3]], doc[m[4]:m[5]]
		g, err := os.ReadFile("testdata/" + name + ".golden")
		if err != nil {
			t.Errorf("%s cites %s: %v", docsTUI, name, err)
			continue
		}
		want := shotText(string(g))
		out.WriteString(doc[last:m[4]] + want)
		last = m[5]
		if shown != want && !update {
			t.Errorf("%s's screenshot of %s is not its golden:\n%s\nwant\n%s", docsTUI, name, shown, want)
		}
	}
	out.WriteString(doc[last:])
	if update && out.String() != doc {
		if err := os.WriteFile(docsTUI, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
