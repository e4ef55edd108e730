package config

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownField is the first key of a YAML mapping that names no field of
// the Go struct it decodes into (a typo must not silently do nothing).
type unknownField struct {
	line  int
	col   int
	path  string
	key   string
	known []string
}

// checkKnown walks n against type t and reports every unknown key to
// add. (yaml.v3's KnownFields does not reach into types with an
// UnmarshalYAML method, such as Class.)
func checkKnown(n *yaml.Node, t reflect.Type, path string, add func(unknownField)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		checkKnown(n.Content[0], t, path, add)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			if !ok {
				add(unknownField{line: k.Line, col: k.Column, path: path, key: k.Value, known: names})
				continue
			}
			checkKnown(v, ft, sub, add)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkKnown(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), add)
		}
	}
}

// shapeError is the first value of a YAML document that the Go field it
// decodes into cannot hold as written: a mapping where a list is wanted,
// an integer out of the field's range. yaml.v3 would report it with Go's
// type names ("cannot unmarshal !!map into []config.Class") or, for a
// number out of range, as if it were not a number.
type shapeError struct {
	line       int
	field, msg string
}

// keyListType is KeyList's: a scalar is one key (checkShape).
var keyListType = reflect.TypeOf(KeyList(nil))

// checkShape walks n against type t, as checkKnown does, and reports to
// add every value its field cannot hold, each then made null in the tree
// (its field keeps its default, so that the rest decodes and is checked:
// every fault is reported at once).
func checkShape(n *yaml.Node, t reflect.Type, path string, add func(*shapeError)) {
	if e := shapeOf(n, t, path, add); e != nil {
		add(e)
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
}

// shapeOf is checkShape's walk: the fault of n itself, those below it
// reported to add.
func shapeOf(n *yaml.Node, t reflect.Type, path string, add func(*shapeError)) *shapeError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == 0 || n.Kind == yaml.DocumentNode {
		return nil // an empty file: every default
	}
	if n.Kind == yaml.AliasNode {
		return nil // not followed (an alias bomb would make the walk exponential): yaml.v3 decodes it
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // an empty value: the field's zero, its default
	}
	name := path[strings.LastIndex(path, ".")+1:]
	bad := func(format string, a ...any) *shapeError {
		return &shapeError{line: n.Line, field: path, msg: fmt.Sprintf(format, a...)}
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return bad("want settings (a mapping of name: value), got %s", nodeWords(n))
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			if v := valueOf(n, key); v != nil {
				checkShape(v, f.Type, strings.TrimPrefix(path+"."+key, "."), add)
			}
		}
	case reflect.Slice:
		if t == keyListType && n.Kind == yaml.ScalarNode {
			return nil // one key alone: a list of one (KeyList.UnmarshalYAML)
		}
		if n.Kind != yaml.SequenceNode {
			want := "a list such as [a, b]"
			if t == keyListType {
				want = "a key or a list such as [a, b]"
			}
			if t.Elem().Kind() == reflect.Struct {
				want = "a list of " + strings.TrimSuffix(name, "]")
			}
			return bad("want %s, got %s", want, nodeWords(n))
		}
		for i, item := range n.Content {
			checkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), add)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return bad("want a mapping of name: value, got %s", nodeWords(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkShape(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, add)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			want := wantOf(t.Kind().String(), path)
			if t.Kind() == reflect.String {
				want = "a text"
			}
			return bad("want %s, got %s", want, nodeWords(n))
		}
		return checkScalar(n, t, path)
	}
	return nil
}

// nodeWords names what a YAML node is, for "want X, got Y".
func nodeWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// rangeNotes say what 0 stands for in the integer fields whose range
// comes from their Go type (by field name).
var rangeNotes = map[string]string{"fold_ports_above": " (0 or absent: no folding)"}

// checkScalar refuses a quoted text for a bool, a fraction for an integer
// field, and an integer beyond the field's range (yaml.v3 reports
// fold_ports_above: 70000 as "cannot unmarshal !!int `70000` into
// uint16").
func checkScalar(n *yaml.Node, t reflect.Type, path string) *shapeError {
	bad := func(format string, a ...any) *shapeError {
		return &shapeError{line: n.Line, field: path, msg: fmt.Sprintf(format, a...)}
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if t.Kind() == reflect.Bool && quoted { // yaml.v3 reads "yes" as true, as YAML 1.1's yes; "10" is no number either
		return bad("want true or false, got %q (a quoted text)", n.Value)
	}
	if !(t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64) {
		return nil
	}
	value := n.Value
	if n.ShortTag() == "!!float" { // yaml.v3 truncates 2.7 to 2
		var f float64
		if err := n.Decode(&f); err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
			return bad("want a whole number, got %s", n.Value)
		}
		value = strconv.FormatFloat(f, 'f', -1, 64)
	} else if n.ShortTag() != "!!int" {
		return nil
	}
	name, _, _ := strings.Cut(path[strings.LastIndex(path, ".")+1:], "[")
	var lo, hi big.Int
	if t.Kind() <= reflect.Int64 {
		lo.Lsh(big.NewInt(-1), uint(t.Bits()-1))
		hi.Neg(&lo).Sub(&hi, big.NewInt(1))
	} else {
		hi.Lsh(big.NewInt(1), uint(t.Bits())).Sub(&hi, big.NewInt(1))
	}
	var v big.Int
	if _, ok := v.SetString(strings.ReplaceAll(value, "_", ""), 0); !ok {
		return nil // a form yaml.v3 reads and big does not: its own error
	}
	if v.Cmp(&lo) < 0 || v.Cmp(&hi) > 0 {
		return &shapeError{line: n.Line, field: path, msg: fmt.Sprintf("must be between %s and %s%s, got %s", &lo, &hi, rangeNotes[name], n.Value)}
	}
	return nil
}
