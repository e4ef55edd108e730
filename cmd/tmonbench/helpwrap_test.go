package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpFlagsWrapped: every command's --help wraps its flag usages to
// the terminal width, 80 columns when stdout is not a terminal (here a
// buffer). A new-user trial saw flag usage lines of up to 464 characters
// (replay --help, before FlagUsagesWrapped) run past the window.
func TestHelpFlagsWrapped(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := tmon(t, c.name, "--help")
		if code != 0 {
			t.Errorf("tmonbench %s --help: exit %d", c.name, code)
			continue
		}
		_, flags, ok := strings.Cut(out, "\nFlags:\n")
		if !ok {
			continue // a command without flags
		}
		flags, _, _ = strings.Cut(flags, "\nExit status:")
		for _, line := range strings.Split(flags, "\n") {
			if n := utf8.RuneCountInString(line); n > helpFallbackWidth {
				t.Errorf("tmonbench %s --help: a flag line of %d columns, over %d: %q", c.name, n, helpFallbackWidth, line)
			}
		}
	}
}
