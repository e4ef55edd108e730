package main

import (
	"io"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// writeSchema writes the reference (docs/tables.md) to w: all of it, or
// the sections of the named tables (a rollup names its family's section:
// flow_counters_1h that of flow_counters_1m, _1h, _1d). An unknown name is
// a usage error naming the tables.
func writeSchema(w io.Writer, tables []string) error {
	ref := observe.Reference()
	if len(tables) == 0 {
		_, err := io.WriteString(w, ref)
		return err
	}
	sections := strings.Split(ref, "\n## ")
	var out []string
	for _, t := range tables {
		i := slices.IndexFunc(sections[1:], func(s string) bool {
			head, _, _ := strings.Cut(s, "\n")
			return slices.Contains(strings.Split(head, ", "), t)
		})
		if i < 0 {
			names := observe.TableNames()
			for _, d := range observe.DerivedTables {
				names = append(names, d.Names...)
			}
			return usageErr("query: --schema %q: no such table (tables: %s)", t, strings.Join(names, ", "))
		}
		out = append(out, "## "+strings.TrimRight(sections[i+1], "\n")+"\n")
	}
	_, err := io.WriteString(w, strings.Join(out, "\n"))
	return err
}
