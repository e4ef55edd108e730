package main

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/pflag"
)

// command is one subcommand: its name, the one-line summary completion
// scripts show, and its entry point.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand in the order of the usage text (a
// function, not a variable: completion refers back to it).
func commands() []command {
	return []command{
		{"replay", "replay captures through probes and a collector, write Parquet", cmdReplay},
		{"live", "capture live (AF_PACKET) through probe and collector, write Parquet", cmdLive},
		{"bench", "measure the full pipeline against the decode-only floor", cmdBench},
		{"query", "run a named query or SQL over the output", cmdQuery},
		{"rollup", "write the 1-minute, 1-hour and 1-day rollups and the addresses table", cmdRollup},
		{"enrich", "write the addresses table", cmdEnrich},
		{"report", "write a self-contained HTML report", cmdReport},
		{"merge", "union several outputs (de-duplicated) into one", cmdMerge},
		{"tui", "browse the output in the terminal", cmdTUI},
		{"probe", "run a probe process sending PDUs over UDP", cmdProbe},
		{"collector", "run a collector process", cmdCollector},
		{"config", "print the default configuration, or what a file will run", cmdConfig},
		{"completion", "print a shell completion script (bash, zsh, fish)", cmdCompletion},
		{"version", "print the version, commit, Go and DuckDB versions", cmdVersion},
	}
}

// findCommand returns the subcommand called name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// flagSpy, when set, sees the flag set newFlagSet makes for the command it
// names: flagsOf runs a command with --help to learn its flags.
var flagSpy struct {
	sync.Mutex
	name string
	fs   *pflag.FlagSet
}

// newFlagSet returns the flag set of subcommand name (errors returned,
// not fatal; --help prints on stdout: setUsage). Every subcommand makes
// its flags with it and parses them (parseFlags) before doing anything
// else.
func newFlagSet(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	flagSpy.Lock()
	if flagSpy.name == name && flagSpy.fs == nil {
		flagSpy.fs = fs
	}
	flagSpy.Unlock()
	return fs
}

// setUsage makes --help print head (usage line and description), then
// the flags, on stdout (pflag calls Usage for --help and -h only: a
// usage error is one line on stderr).
func setUsage(fs *pflag.FlagSet, stdout io.Writer, head string) {
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\n\nFlags:\n%s", head, fs.FlagUsages())
	}
}

// parseFlags parses args into fs: pflag.ErrHelp as is (--help: usage
// printed, exit 0), any other error as a usage error of the subcommand.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("%s: %v", fs.Name(), err)
	}
	return nil
}

// parseOnlyFlags parses args as parseFlags does and refuses an argument
// left over, for subcommands that take none (hint, unless "", says what
// to give instead).
func parseOnlyFlags(fs *pflag.FlagSet, args []string, hint string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return nil
	}
	if hint != "" {
		return usageErr("%s: unexpected argument %q (%s)", fs.Name(), fs.Arg(0), hint)
	}
	return usageErr("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
}

// flagsOf returns the flags of subcommand c, by running it with --help
// (output discarded; commands return at once with pflag.ErrHelp), and
// whether c made them with newFlagSet (else an empty set).
func flagsOf(c command) (*pflag.FlagSet, bool) {
	flagSpy.Lock()
	flagSpy.name, flagSpy.fs = c.name, nil
	flagSpy.Unlock()
	_ = c.run([]string{"--help"}, io.Discard, io.Discard)
	flagSpy.Lock()
	defer flagSpy.Unlock()
	fs := flagSpy.fs
	flagSpy.name, flagSpy.fs = "", nil
	if fs == nil {
		return pflag.NewFlagSet(c.name, pflag.ContinueOnError), false
	}
	return fs, true
}
