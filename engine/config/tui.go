package config

import (
	"fmt"
	"sort"
)

// TUI holds the terminal UI's preferences (`tmonbench tui`, `live --tui`,
// `replay --speed realtime --tui`), so that one config file serves the
// engines and the TUI. Probes and collectors ignore it, and it is not part
// of Hash: remapping a key changes no measurement.
type TUI struct {
	// Keys remaps TUI actions to keys, e.g. {quit: [x, ctrl+c]}: bubbletea
	// key names ("ctrl+n", "pgdown", "x"); the help shows the first. The
	// action names are the TUI's (press ? inside, or see the README); the
	// TUI rejects an unknown one at start.
	Keys map[string][]string `yaml:"keys"`
}

// validate checks the shape of the key map: every action has keys, none
// empty. (The action names belong to the TUI, which checks them.)
func (t *TUI) validate(file string) error {
	names := make([]string, 0, len(t.Keys))
	for n := range t.Keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" {
			return &Error{File: file, Field: "tui.keys", Msg: "empty action name"}
		}
		if len(t.Keys[n]) == 0 {
			return &Error{File: file, Field: "tui.keys." + n, Msg: "no keys (give a list such as [x])"}
		}
		for _, k := range t.Keys[n] {
			if k == "" {
				return &Error{File: file, Field: "tui.keys." + n, Msg: fmt.Sprintf("empty key in %q", t.Keys[n])}
			}
		}
	}
	return nil
}
