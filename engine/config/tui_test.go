package config

import (
	"strings"
	"testing"
)

// TestTUISection: a config file with a tui: section loads (so the same
// file serves replay, live, collector and tui), its keys are kept, a
// malformed key list is an error naming the line and field, and the keys do not
// change Hash (they change no measurement).
func TestTUISection(t *testing.T) {
	plain := "interval_s: 10\n"
	c, err := Parse([]byte(plain+"tui:\n  keys:\n    quit: [x, ctrl+c]\n    flows: [F]\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.TUI.Keys["quit"], ","); got != "x,ctrl+c" || c.TUI.Keys["flows"][0] != "F" {
		t.Errorf("keys %v", c.TUI.Keys)
	}
	p, err := Parse([]byte(plain), "y.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() != p.Hash() {
		t.Errorf("tui keys changed the config hash: %s vs %s", c.Hash(), p.Hash())
	}
	if len(c.TUI.Keys) != 2 || len(p.TUI.Keys) != 0 {
		t.Errorf("Hash modified the config: %v / %v", c.TUI.Keys, p.TUI.Keys)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"tui:\n  keys:\n    quit: []\n", "x.yaml:3:5: tui.keys.quit: no keys"},
		{"tui:\n  keys:\n    flows: [F]\n    quit: [\"\"]\n", "x.yaml:4:5: tui.keys.quit: empty key"},
		{"tui:\n  keys:\n    \"\": [x]\n", "x.yaml:3:5: tui.keys: empty action name"},
		{"tui:\n  keyz: {quit: [x]}\n", "x.yaml:2:3: tui.keyz: unknown field \"keyz\" in tui (known: keys)"},
		{"tui:\n  keys: [x]\n", "x.yaml:2:3: tui.keys: want a mapping of name: value, got a list"},
	} {
		_, err := Parse([]byte(bad.yaml), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.yaml, err, bad.want)
		}
	}
	// the TUI's refusals come back through KeyError: the line of the
	// action, or of its key when it names one
	c, err = Parse([]byte("tui:\n  keys:\n    quit:\n      - x\n      - j\n"), "k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.KeyError("quit", "j", "bound twice").Error(), "k.yaml:5:9: tui.keys.quit: bound twice"; got != want {
		t.Errorf("KeyError: %q, want %q", got, want)
	}
	if got, want := c.KeyError("quit", "", "unknown").Error(), "k.yaml:3:5: tui.keys.quit: unknown"; got != want {
		t.Errorf("KeyError: %q, want %q", got, want)
	}
}

// TestKeyAlone (the sixth trial's D5): one key written alone, quitt: x,
// was refused by the shape check ("want a list such as [a, b], got "x"")
// before the TUI could name the unknown action: a scalar is now a list of
// one key (KeyList), as {quit: [x]} (YAML 1.2: a plain scalar is a
// string); a mapping is still refused, naming both forms.
func TestKeyAlone(t *testing.T) {
	c, err := Parse([]byte("tui:\n  keys:\n    quitt: x\n    flows: [F, f]\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TUI.Bindings(); len(got) != 2 || strings.Join(got["quitt"], ",") != "x" || strings.Join(got["flows"], ",") != "F,f" {
		t.Errorf("bindings %v, want quitt: [x], flows: [F, f]", got)
	}
	_, err = Parse([]byte("tui:\n  keys:\n    quit: {a: b}\n"), "x.yaml")
	if want := "x.yaml:3:5: tui.keys.quit: want a key or a list such as [a, b], got a mapping"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a mapping of keys: error %v, want %q", err, want)
	}
}
