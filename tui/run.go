package tui

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/tmonbench/tmonbench/queries"
)

// runManifest is the part of <out>/run.json the TUI reads (engine/store
// writes it; tui/ does not import the store).
type runManifest struct {
	Mode   string `json:"mode"`
	Inputs []struct {
		Path string `json:"path"`
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
