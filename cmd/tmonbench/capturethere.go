package main

import (
	"os"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// capturesThere is check (nil: nothing) then a refusal of the first
// capture path of caps that is not there, in the reader's words
// (replay.Open: "PATH: no such file or directory", exit status 1): as the
// check of loadChecked, it runs once the config file is accepted and
// before the config's warnings, so a mistyped capture is said first and
// alone, not after lines about a configuration that will not run.
// Standard input and the paths that are there are left to openFile.
func capturesThere(check func(*config.Config) error, caps []pipeline.Capture) func(*config.Config) error {
	return func(c *config.Config) error {
		if check != nil {
			if err := check(c); err != nil {
				return err
			}
		}
		for _, cp := range caps {
			if _, err := os.Stat(cp.Path); err != nil && cp.Path != "-" {
				f, err := openFile(cp.Path) // fails as the stat did, in replay.Open's words
				if err != nil {
					return err
				}
				f.Close()
			}
		}
		return nil
	}
}
