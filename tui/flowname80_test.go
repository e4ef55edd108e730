package tui

import (
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// TestOnewayFlowWhole80 (new-user trial): at 80 columns the One-way
// screen cut the flow *>198.51.100.10:9000 (the one-way lab's
// destination, samples/oneway-lab.yaml) to *>198.51.….10:9000, inside
// the address; `query oneway` never cuts one. A column of flow names
// keeps them whole up to two fifths of the window (32 columns), the
// columns that no longer fit are beyond the edge; a name longer than that
// loses whole fields (ElideFields), never part of an address.
func TestOnewayFlowWhole80(t *testing.T) {
	cfg := filepath.Join(testout.ModuleRoot(t), "samples", "oneway-lab.yaml")
	out := testout.Replay(t, "--config", cfg,
		"--probe", "A="+capture(t, "lab/oneway-udp/A.pcap"), "--probe", "B="+capture(t, "lab/oneway-udp/B.pcap"))
	m := newTestModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("6"))
	lines := strings.Split(plain(m), "\n")
	if len(lines) < 5 || !strings.HasPrefix(lines[2], "class ") {
		t.Fatalf("no one-way table:\n%s", plain(m))
	}
	if f := strings.Fields(lines[3]); len(f) < 2 || f[1] != "*>198.51.100.10:9000" {
		t.Errorf("first row's flow %q, want *>198.51.100.10:9000 whole:\n%s", f, plain(m))
	}
	for _, c := range []struct {
		s    string
		w    int
		want string
	}{
		{"*>198.51.100.10:9000", 18, "*>198.51.100.10…"},
		{"*>198.51.100.10:9000", 19, "…198.51.100.10:9000"},
		{"10.10.1.100:39598>198.51.100.10:20/tcp", 30, "10.10.1.100:39598>…:20/tcp"},
		{"[2001:db8::1]:443>[2001:db8::2]:50000/tcp", 30, "[2001:db8::1]:443>…:50000/tcp"},
		{"*>198.51.100.10:9000", 3, "*>…"},
		{"*>198.51.100.10:9000", 20, "*>198.51.100.10:9000"},
	} {
		if got := queries.ElideFields(c.s, c.w); got != c.want {
			t.Errorf("ElideFields(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}
