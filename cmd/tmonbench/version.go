package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/queries"
)

// cmdVersion prints the tool version, the module version and VCS commit
// the binary was built from (debug.ReadBuildInfo: `go build` in a git
// checkout stamps vcs.revision, vcs.time and vcs.modified), the Go
// version and the DuckDB library version.
func cmdVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version")
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tmonbench version\n\nPrints the tool version, the module version and VCS commit of the build,\nthe Go version and the DuckDB version.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("version: %v", err)
	}
	if fs.NArg() > 0 {
		return usageErr("version: unexpected argument %q", fs.Arg(0))
	}
	fmt.Fprintln(stdout, "tmonbench", version)
	module, commit := "unknown (no build information)", "unknown (no VCS information in the build)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		module = bi.Main.Path + " " + bi.Main.Version
		if bi.Main.Path == "" {
			module = "unknown (" + bi.Path + ")"
		}
		commit = vcsCommit(bi.Settings, commit)
	}
	fmt.Fprintln(stdout, "module ", module)
	fmt.Fprintln(stdout, "commit ", commit)
	fmt.Fprintln(stdout, "go     ", runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	duck, err := queries.DuckDBVersion()
	if err != nil {
		duck = "unknown (" + err.Error() + ")"
	}
	fmt.Fprintln(stdout, "duckdb ", duck)
	return nil
}

// vcsCommit formats the vcs.* build settings: "REVISION (TIME[, modified])",
// or none when the build has no revision.
func vcsCommit(settings []debug.BuildSetting, none string) string {
	var rev, at string
	modified := false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return none
	}
	if modified {
		at += ", modified"
	}
	return fmt.Sprintf("%s (%s)", rev, at)
}
