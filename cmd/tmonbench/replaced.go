package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/store"
)

// replacedNote says what a run that replaces a previous output (tmonbench
// live over a replay's, store.Appender.Replaced) removed from out: the
// previous run's command, when it ran and the captures it read (the first
// three, then how many more), so a user whose replay shared the default
// --out learns it is gone, and how to make it again.
func replacedNote(out string, old store.Manifest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s held the output of tmonbench %s", out, old.Mode)
	if len(old.Inputs) > 0 {
		names := make([]string, 0, 3)
		for _, in := range old.Inputs[:min(3, len(old.Inputs))] {
			names = append(names, in.Path)
		}
		fmt.Fprintf(&b, " of %s", strings.Join(names, ", "))
		if n := len(old.Inputs) - len(names); n > 0 {
			fmt.Fprintf(&b, " and %d more", n)
		}
	}
	switch {
	case !old.Finished.IsZero():
		fmt.Fprintf(&b, " (finished %s)", old.Finished.UTC().Format(time.RFC3339))
	case !old.Started.IsZero():
		fmt.Fprintf(&b, " (started %s)", old.Started.UTC().Format(time.RFC3339))
	}
	if old.Mode == "merge" {
		b.WriteString(": replaced by this run's; merge those outputs again to get it back, name --out among the sources to keep its rows (merge --out A A B), or give --out a new folder to keep an output")
		return b.String()
	}
	b.WriteString(": replaced by this run's; replay the captures again to get it back, or give --out a new folder to keep an output")
	return b.String()
}
