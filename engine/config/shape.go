package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unknownField is the first key of a YAML mapping that names no field of
// the Go struct it decodes into (a typo must not silently do nothing).
type unknownField struct {
	line  int
	path  string
	key   string
	known []string
}

// checkKnown walks n against type t and reports the first unknown key.
// (yaml.v3's KnownFields does not reach into types with an UnmarshalYAML
// method, such as Class.)
func checkKnown(n *yaml.Node, t reflect.Type, path string) *unknownField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return checkKnown(n.Content[0], t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil
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
				return &unknownField{line: k.Line, path: path, key: k.Value, known: names}
			}
			if u := checkKnown(v, ft, sub); u != nil {
				return u
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			if u := checkKnown(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); u != nil {
				return u
			}
		}
	}
	return nil
}
