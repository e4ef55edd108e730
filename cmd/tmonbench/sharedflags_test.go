package main

import "testing"

// TestSharedFlags: a flag that means one thing to several commands is
// declared in one place (commands.go) and reads the same in each one's
// --help. tui's --out said "output DIR of tmonbench replay, ..." where
// query, rollup and enrich said "written by", and bench's --config left
// out the pointer to 'tmonbench config' that replay's and live's give.
func TestSharedFlags(t *testing.T) {
	for _, g := range []struct {
		flag string
		cmds []string
	}{
		{"out", []string{"query", "rollup", "enrich", "tui"}}, // readOutFlag: an output read as written
		{"config", []string{"replay", "live", "bench"}},       // runConfigFlag: the engines' config
	} {
		var first string
		var usage, def string
		for _, name := range g.cmds {
			c, ok := findCommand(name)
			if !ok {
				t.Fatalf("no command %s", name)
			}
			f := flagsOf(c).Lookup(g.flag)
			if f == nil {
				t.Errorf("tmonbench %s has no --%s", name, g.flag)
				continue
			}
			if first == "" {
				first, usage, def = name, f.Usage, f.DefValue
				continue
			}
			if f.Usage != usage || f.DefValue != def {
				t.Errorf("tmonbench %s --%s: %q (default %q); want %s's, %q (default %q)", name, g.flag, f.Usage, f.DefValue, first, usage, def)
			}
		}
	}
}
