package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/tmonbench/tmonbench/queries"
)

// commit is the git commit the binary was built from when the build says
// so: go build -ldflags "-X main.commit=$(git rev-parse HEAD)" (`just
// build`, `just install`, the tests' binary; "-dirty" appended when the
// work tree differs from it). Go's own stamping (vcs.revision) is missing
// under -buildvcs=false and in a git worktree, whose .git is a file Go
// does not take for a repository (golang/go#58218).
var commit string

// noCommit is the commit line of a build that says nothing about it.
const noCommit = "unknown (no VCS information in the build: built with -buildvcs=false, from a git worktree (golang/go#58218) or outside a git checkout; `just build` stamps it)"

// cmdVersion prints the tool version, the module version and VCS commit
// the binary was built from (commit, else debug.ReadBuildInfo: `go build`
// in a git checkout stamps vcs.revision, vcs.time and vcs.modified; `go
// install MODULE@COMMIT` a pseudo-version holding the commit), the Go
// version and the DuckDB library version.
func cmdVersion(fs *pflag.FlagSet) (string, runFunc) {
	return "Usage: tmonbench version\n\nPrints the tool version, the module version and VCS commit of the build,\nthe Go version and the DuckDB version.", func(args []string, stdout, stderr io.Writer) error {
		fmt.Fprintln(stdout, "tmonbench", version)
		module, rev := "unknown (no build information)", commitLine(nil, "", commit)
		if bi, ok := debug.ReadBuildInfo(); ok {
			module = bi.Main.Path + " " + bi.Main.Version
			if bi.Main.Path == "" {
				module = "unknown (" + bi.Path + ")"
			}
			rev = commitLine(bi.Settings, bi.Main.Version, commit)
		}
		fmt.Fprintln(stdout, "module ", module)
		fmt.Fprintln(stdout, "commit ", rev)
		fmt.Fprintln(stdout, "go     ", runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
		duck, err := queries.DuckDBVersion()
		if err != nil {
			duck = "unknown (" + err.Error() + ")"
		}
		fmt.Fprintln(stdout, "duckdb ", duck)
		return nil
	}
}

// commitLine is the commit the build names: stamped (-ldflags -X
// main.commit) first, else the vcs.* build settings, else the commit a
// pseudo-version of the main module holds (version: `go install
// MODULE/cmd/tmonbench@COMMIT` builds from the module cache, without VCS
// information, and names the module v0.0.0-TIME-COMMIT), else noCommit.
func commitLine(settings []debug.BuildSetting, version, stamped string) string {
	if stamped != "" {
		return stamped + " (-ldflags -X main.commit)"
	}
	return vcsCommit(settings, pseudoCommit(version, noCommit))
}

// pseudoCommit formats the commit a pseudo-version names
// (golang.org/x/mod/module: vX.0.0-TIME-REV, vX.Y.Z-PRE.0.TIME-REV,
// vX.Y.(Z+1)-0.TIME-REV), "REV (TIME, module version VERSION)",
// "modified" added for +dirty (go build of a modified checkout, Go 1.24
// and later); none for another version (a release tag, "(devel)", "").
func pseudoCommit(version, none string) string {
	if !module.IsPseudoVersion(version) {
		return none
	}
	rev, err := module.PseudoVersionRev(version)
	if err != nil {
		return none
	}
	at, err := module.PseudoVersionTime(version)
	if err != nil { // a month 13: not a time
		return none
	}
	mod := ""
	if strings.Contains(semver.Build(version), "dirty") {
		mod = ", modified"
	}
	return fmt.Sprintf("%s (%s%s, module version %s)", rev, at.UTC().Format(time.RFC3339), mod, version)
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
