package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap holds every key binding of the TUI. The footer and the ? help are
// built from it (bubbles/help), so what is shown is what works. Keys are
// remapped by action name (Remap; the config's tui.keys).
type KeyMap struct {
	Up, Down, Left, Right  key.Binding
	Top, Bottom            key.Binding
	PageUp, PageDown       key.Binding
	Filter, Sort, Columns  key.Binding
	Enter, Back, Packets   key.Binding
	NextScreen, PrevScreen key.Binding
	Overview, Flows, TCP   key.Binding
	FTP, RTT, Oneway       key.Binding
	Events, SQL            key.Binding
	BrushMark, BrushClear  key.Binding
	Write, BothDirections  key.Binding
	LiveFlows, Row         key.Binding
	Help, Quit             key.Binding
}

// DefaultKeyMap is the key map people already know from less, vim, k9s and
// lazygit.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:             b("↑/k", "up", "up", "k"),
		Down:           b("↓/j", "down", "down", "j"),
		Left:           b("←/h", "left", "left", "h"),
		Right:          b("→/l", "right", "right", "l"),
		Top:            b("g", "top", "g", "home"),
		Bottom:         b("G", "bottom", "G", "end"),
		PageUp:         b("PgUp", "page up", "pgup", "ctrl+b"),
		PageDown:       b("PgDn", "page down", "pgdown", "ctrl+f", " "),
		Filter:         b("/", "filter", "/"),
		Sort:           b("s", "sort by column", "s"),
		Columns:        b("c", "columns", "c"),
		Enter:          b("enter", "drill in", "enter"),
		Back:           b("esc", "back/cancel", "esc"),
		Packets:        b("p", "packets", "p"),
		NextScreen:     b("tab", "next screen", "tab"),
		PrevScreen:     b("S-tab", "previous screen", "shift+tab"),
		Overview:       b("1", "overview", "1"),
		Flows:          b("2", "flows", "2"),
		TCP:            b("3", "tcp", "3"),
		FTP:            b("4", "ftp", "4"),
		RTT:            b("5", "rtt", "5"),
		Oneway:         b("6", "one-way", "6"),
		Events:         b("7", "events", "7"),
		SQL:            b("8", "sql", "8"),
		BrushMark:      b("b", "brush start/end", "b"),
		BrushClear:     b("B", "clear brush", "B"),
		Write:          b("w", "write pcap", "w"),
		BothDirections: b("r", "both directions", "r"),
		LiveFlows:      b("L", "live/written rows", "L"),
		Row:            b("m", "whole row", "m"),
		Help:           b("?", "help", "?"),
		Quit:           b("q", "quit", "q", "ctrl+c"),
	}
}

// bindings maps action names (the config's tui.keys) to the bindings.
func (k *KeyMap) bindings() map[string]*key.Binding {
	return map[string]*key.Binding{
		"up": &k.Up, "down": &k.Down, "left": &k.Left, "right": &k.Right,
		"top": &k.Top, "bottom": &k.Bottom, "page_up": &k.PageUp, "page_down": &k.PageDown,
		"filter": &k.Filter, "sort": &k.Sort, "columns": &k.Columns,
		"enter": &k.Enter, "back": &k.Back, "packets": &k.Packets,
		"next_screen": &k.NextScreen, "prev_screen": &k.PrevScreen,
		"overview": &k.Overview, "flows": &k.Flows, "tcp": &k.TCP, "ftp": &k.FTP,
		"rtt": &k.RTT, "oneway": &k.Oneway, "events": &k.Events, "sql": &k.SQL,
		"brush_mark": &k.BrushMark, "brush_clear": &k.BrushClear,
		"write": &k.Write, "both_directions": &k.BothDirections, "live_flows": &k.LiveFlows, "row": &k.Row,
		"help": &k.Help, "quit": &k.Quit,
	}
}

// Actions lists the action names Remap accepts, sorted.
func (k KeyMap) Actions() []string {
	m := k.bindings()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// KeyError is a remap Remap refuses. Action is the remapped action it is
// about (a key of the map given, so that the caller holding the map's
// source, a config file, can name its line), Key the key in fault if any.
type KeyError struct {
	Action string
	Key    string
	Msg    string // what is wrong, without the "tui: " of Error
}

// Error is the message, "tui: " first.
func (e *KeyError) Error() string { return "tui: " + e.Msg }

// Remap replaces the keys of the named actions (bubbletea key names:
// "ctrl+n", "pgdown", "x"); the help text shows the first key. A key
// given takes precedence over the defaults: an action left as it is loses
// that key (quit: [j] leaves down ↓; brush_mark: [m] leaves row, the
// whole-row view added after such files were written, without a key: it
// is then not shown, remap it to use it). An unknown action, or a key
// given to two remapped actions, is an error naming them. Errors are
// *KeyError.
func (k *KeyMap) Remap(keys map[string][]string) error {
	m := k.bindings()
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, ok := m[n]
		if !ok {
			return &KeyError{Action: n, Msg: fmt.Sprintf("unknown key action %q (known: %s)", n, strings.Join(k.Actions(), ", "))}
		}
		if len(keys[n]) == 0 {
			return &KeyError{Action: n, Msg: fmt.Sprintf("key action %q has no keys", n)}
		}
		b.SetKeys(keys[n]...)
		b.SetHelp(keys[n][0], b.Help().Desc)
	}
	yieldKeys(m, keys)
	return k.clashes(keys)
}

// yieldKeys takes the keys that remapped gives away from the actions it
// leaves as they are (their help shows the keys left; one left without
// keys is disabled).
func yieldKeys(m map[string]*key.Binding, remapped map[string][]string) {
	given := map[string]bool{}
	for _, ks := range remapped {
		for _, key := range ks {
			given[key] = true
		}
	}
	for n, b := range m {
		if _, ok := remapped[n]; ok {
			continue
		}
		var kept []string
		for _, key := range b.Keys() {
			if !given[key] {
				kept = append(kept, key)
			}
		}
		if len(kept) == len(b.Keys()) {
			continue
		}
		b.SetKeys(kept...)
		if len(kept) == 0 {
			b.SetEnabled(false)
			continue
		}
		shown := make([]string, len(kept))
		for i, key := range kept {
			shown[i] = map[string]string{"up": "↑", "down": "↓"}[key]
			if shown[i] == "" {
				shown[i] = key
			}
		}
		b.SetHelp(strings.Join(shown, "/"), b.Help().Desc)
	}
}

// clashes refuses a key bound to two actions (quit: [x] and help: [x]:
// one of them would never work), naming both; the error's Action is one
// of them that remapped remaps (the later when both are). After
// yieldKeys, only two remapped actions can share a key.
func (k *KeyMap) clashes(remapped map[string][]string) error {
	m := k.bindings()
	owner := map[string]string{}
	for _, n := range k.Actions() {
		for _, key := range m[n].Keys() {
			if o, ok := owner[key]; ok {
				at := n
				if _, ok := remapped[n]; !ok {
					at = o
				}
				return &KeyError{Action: at, Key: key, Msg: fmt.Sprintf("key %q is bound to both %s and %s: remap one of them in tui.keys", key, o, n)}
			}
			owner[key] = n
		}
	}
	return nil
}

// ShortHelp is the footer (help.KeyMap).
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextScreen, k.Enter, k.Back, k.Filter, k.Sort, k.Help, k.Quit}
}

// FullHelp is the ? screen (help.KeyMap), one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Left, k.Right, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Filter, k.Sort, k.Columns, k.Enter, k.Back, k.Packets, k.Write, k.BothDirections},
		{k.NextScreen, k.PrevScreen, k.Overview, k.Flows, k.TCP, k.FTP, k.RTT, k.Oneway},
		{k.Events, k.SQL, k.BrushMark, k.BrushClear, k.LiveFlows, k.Row, k.Help, k.Quit},
	}
}

// across moves a horizontal cursor (a column, a point of the strip) over n
// positions one step for the Left or Right key msg: Left stops at 0, Right
// at n-1, and does nothing when there are no positions yet (n 0).
func (k KeyMap) across(msg tea.KeyMsg, cur, n int) int {
	switch {
	case key.Matches(msg, k.Left):
		return max(cur-1, 0)
	case key.Matches(msg, k.Right) && n > 0:
		return min(cur+1, n-1)
	}
	return cur
}

// inputKeys is what a screen's text field or chooser answers to while it
// has the keys (screen.typing): the footer shows these instead of the key
// map's, which the field takes as text ("q quit" typed a q into the SQL).
type inputKeys interface {
	inputHelp() []key.Binding
}

// hint is a footer entry for a key a text field handles itself.
func hint(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}

// The footers of the text fields and the column chooser: their keys are
// fixed (sqlScreen.update, pagedTable.editKey, pagedTable.chooserKey), not
// remapped by tui.keys.
var (
	sqlEditorHelp   = []key.Binding{hint("ctrl+r", "run"), hint("esc", "leave the editor")}
	filterInputHelp = []key.Binding{hint("enter", "apply the filter"), hint("esc", "cancel")}
	chooserHelp     = []key.Binding{hint("↑/↓", "move"), hint("space", "show/hide the column"), hint("enter", "close")}
)
