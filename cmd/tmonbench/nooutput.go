package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tmonbench/tmonbench/queries"
	"github.com/tmonbench/tmonbench/tui"
)

// collectorHint is err, the "no tmonbench output" of query or tui
// (queries.ErrNoOutput or tui.ErrNoOutput) over ./tmon-out, replay's
// default --out, said again when ./tmon-collector, the collector's
// default --out (collectorOut), holds an output: "no tmonbench output in
// ./tmon-out; ./tmon-collector holds a collector's output: --out
// ./tmon-collector", instead of asking for a replay. Any other err, or an
// out other than ./tmon-out, or an out that is a file, is returned as it
// is.
func collectorHint(err error, out string) error {
	var base error
	switch {
	case errors.Is(err, queries.ErrNoOutput):
		base = queries.ErrNoOutput
	case errors.Is(err, tui.ErrNoOutput):
		base = tui.ErrNoOutput
	default:
		return err
	}
	if filepath.Clean(out) != "tmon-out" {
		return err
	}
	if fi, serr := os.Stat(out); serr == nil && !fi.IsDir() {
		return err // "is a file": a different mistake
	}
	if tui.CheckOutput(collectorOut) != nil {
		return err
	}
	return fmt.Errorf("%w in %s; %s holds a collector's output: --out %s", base, out, collectorOut, collectorOut)
}
