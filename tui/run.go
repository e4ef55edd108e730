package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tmonbench/tmonbench/queries"
)

// runManifest is the part of <out>/run.json the TUI reads (engine/store
// writes it; tui/ does not import the store).
type runManifest struct {
	Mode   string `json:"mode"`
	Inputs []struct {
		Path      string `json:"path"`       // as given to the command (relative to where it ran, or absolute)
		SizeBytes int64  `json:"size_bytes"` // the file's size when the run read it
	} `json:"inputs"`
	Command []string `json:"command"`
}

func readRun(out string) (runManifest, error) {
	var m runManifest
	b, err := os.ReadFile(filepath.Join(out, queries.ManifestName))
	if err != nil {
		return m, err
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

// ErrNoOutput: the folder given to the TUI holds no tmonbench output and
// no run is writing one (CheckOutput).
var ErrNoOutput = errors.New("no tmonbench output")

// CheckOutput tells whether out is worth opening a TUI on: it holds a
// replay's or collector's output (tables or run.json), or a run is
// writing one now (the TUI then waits for its first tables). Else the
// error, wrapping ErrNoOutput, says what to run first; tmonbench tui
// prints it and exits with status 1 instead of showing an empty screen.
func CheckOutput(out string) error {
	if queries.State(out).Running || tableCount(out) > 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, queries.ManifestName)); err == nil {
		return nil
	}
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return fmt.Errorf("%w: %s is a file; --out names the folder replay, live or collector wrote", ErrNoOutput, out)
	}
	return fmt.Errorf("%w in %s: run tmonbench replay FILE first", ErrNoOutput, out)
}
