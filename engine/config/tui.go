package config

import (
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"
)

// TUI holds the terminal UI's preferences (`tmonbench tui`, `live --tui`,
// `replay --speed realtime --tui`), so that one config file serves the
// engines and the TUI. Probes and collectors ignore it, and it is not part
// of Hash: remapping a key changes no measurement.
type TUI struct {
	// Keys remaps TUI actions to keys, e.g. {quit: [x, ctrl+c]}: bubbletea
	// key names ("ctrl+n", "pgdown", "x"); the help shows the first. The
	// action names are the TUI's (press ? inside, or see docs/tui.md); every
	// tmonbench command that loads the file refuses an unknown one, or a
	// key bound to two actions, naming its line (KeyError).
	// An action's keys are a list, or one key alone ({quit: x} is
	// {quit: [x]}: KeyList).
	Keys map[string]KeyList `yaml:"keys"`
}

// KeyList is the keys of one TUI action: a YAML list ([x, ctrl+c]) or one
// key alone (x), as written by hand for a single key.
type KeyList []string

// UnmarshalYAML reads a list of keys, or a scalar as a list of one key.
func (l *KeyList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = KeyList{n.Value}
		return nil
	}
	var keys []string
	if err := n.Decode(&keys); err != nil {
		return err
	}
	*l = keys
	return nil
}

// Bindings returns the key map as the TUI takes it (tui.Options.Keys,
// tui.KeyMap.Remap): each action's keys, nil when none are remapped.
func (t TUI) Bindings() map[string][]string {
	if t.Keys == nil {
		return nil
	}
	m := make(map[string][]string, len(t.Keys))
	for a, ks := range t.Keys {
		m[a] = ks
	}
	return m
}

// validateTUI checks the shape of the key map: every action has keys, none
// empty. (The action names belong to the TUI, which checks them: KeyError
// names the line of what it refuses.)
func (c *Config) validateTUI() error {
	t := &c.TUI
	names := make([]string, 0, len(t.Keys))
	for n := range t.Keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" {
			return c.KeyError("", "", "empty action name")
		}
		if len(t.Keys[n]) == 0 {
			return c.KeyError(n, "", "no keys (give a list such as [x])")
		}
		for _, k := range t.Keys[n] {
			if k == "" {
				return c.KeyError(n, "", fmt.Sprintf("empty key in %q", t.Keys[n]))
			}
		}
	}
	return nil
}

// KeyError is an error about tui.keys' entry for action (key, when given,
// one of its keys) naming the file, the line and the field, as the other
// config errors do: FILE:LINE: tui.keys.ACTION: msg. The TUI's refusals
// (an unknown action, a key bound twice) come back through it.
func (c *Config) KeyError(action, key, msg string) *Error {
	field := "tui.keys"
	if action != "" {
		field += "." + action
	}
	line := c.keyLine(action, key)
	return &Error{File: c.file, Line: line, Col: c.colOf(line, field), Field: field, Msg: msg}
}

// keyLine returns the line in the file of tui.keys' entry for action: of
// its item equal to key when it lists it, else of the action's name; 0
// when the file does not hold it.
func (c *Config) keyLine(action, key string) int {
	n := c.root
	for _, name := range []string{"tui", "keys"} {
		if n == nil {
			return 0
		}
		n = valueOf(n, name)
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != action {
			continue
		}
		if v := n.Content[i+1]; key != "" && v.Kind == yaml.SequenceNode {
			for _, it := range v.Content {
				if it.Value == key {
					return it.Line
				}
			}
		}
		return n.Content[i].Line
	}
	return 0
}

// valueOf returns the value of key in the mapping n (a document: its
// mapping), nil when n is no mapping or lacks the key.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
