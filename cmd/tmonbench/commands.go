package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tmonbench/tmonbench/engine/config"
)

// command is one subcommand: its name, the one-line summary completion
// scripts show, its flags function, and whether it refuses an argument
// after its flags (noArgs; hint, unless "", says what to give instead).
type command struct {
	name, summary string
	flags         flagsFunc
	noArgs        bool
	hint          string
}

// flagsFunc declares a subcommand's flags on fs and returns its --help
// text (the usage line and a description; the flags are listed after it)
// and its body, which runs once the flags are parsed.
type flagsFunc func(fs *pflag.FlagSet) (usage string, body runFunc)

// runFunc is a subcommand's body.
type runFunc func(args []string, stdout, stderr io.Writer) error

// commands lists every subcommand in the order of the usage text (a
// function, not a variable: completion refers back to it).
func commands() []command {
	return []command{
		{"replay", "replay captures through probes and a collector, write Parquet", cmdReplay, false, ""},
		{"live", "capture live (AF_PACKET) through probe and collector, write Parquet", cmdLive, true, "interfaces go with -i"},
		{"bench", "measure the full pipeline against the decode-only floor", cmdBench, false, ""},
		{"query", "run a named query or SQL over the output", cmdQuery, false, ""},
		{"rollup", "write the 1-minute, 1-hour and 1-day rollups and the addresses table", cmdPrepare("rollup"), true, ""},
		{"enrich", "write the addresses table", cmdPrepare("enrich"), true, ""},
		{"report", "write a self-contained HTML report", cmdReport, true, ""},
		{"merge", "union several outputs (de-duplicated) into one", cmdMerge, false, ""},
		{"tui", "browse the output in the terminal", cmdTUI, true, "use --out DIR"},
		{"probe", "run a probe process sending PDUs over UDP", cmdProbe, true, "the capture is --pcap FILE or -i IFACE"},
		{"collector", "run a collector process", cmdCollector, true, ""},
		{"config", "print the default configuration, or what a file will run", cmdConfig, true, ""},
		{"completion", "print a shell completion script (bash, zsh, fish)", cmdCompletion, false, ""},
		{"version", "print the version, commit, Go and DuckDB versions", cmdVersion, true, ""},
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

// workersCost ends every --workers help (replay, bench, live, probe):
// what the default is, what workers were found to cost on 2 cores, and
// where the measured figures are (docs/speed.md, "Output on the 5 M
// corpus"). It quotes no figure: each stop measures again, and a figure
// here went stale (3.7x and 2.8x stood after docs/speed.md said 3.2x and
// 2.4x). It claims no more than was measured: no machine with more cores
// was.
const workersCost = "; 0 (default): the probe in the reader's goroutine. On 2 cores, --workers 2 has taken more CPU than 0 for no less wall time (the measured ratios: docs/speed.md, \"Output on the 5 M corpus\"); workers are for machines with cores to spare, not measured there yet"

// maxWorkers bounds --workers (as live's PACKET_FANOUT groups).
const maxWorkers = 64

// workersFlag declares --workers into p as the commands that shard the
// probes' analyses (replay, bench, live, probe) have it: usage says what
// the workers do there, workersCost follows.
func workersFlag(fs *pflag.FlagSet, p *int, usage string) {
	fs.IntVar(p, "workers", 0, usage+workersCost)
}

// checkWorkers is the one range of --workers, 0 to maxWorkers: a usage
// error that names the flag and the range.
func checkWorkers(n int) error {
	if n < 0 || n > maxWorkers {
		return usageErr("--workers %d: want 0 to %d", n, maxWorkers)
	}
	return nil
}

// readOutFlag declares --out as the commands that read an output folder
// and take it as written (query, rollup, enrich, tui) have it.
func readOutFlag(fs *pflag.FlagSet) *string {
	return fs.String("out", "./tmon-out", "output `DIR` written by tmonbench replay, live or collector (a collector's default: ./tmon-collector)")
}

// runConfigFlag declares --config as the commands that run the engines
// with the user's config or the embedded one (replay, live, bench) have it.
func runConfigFlag(fs *pflag.FlagSet) *string {
	return fs.String("config", "", "YAML config `FILE` (default: the embedded default, see 'tmonbench config')")
}

// runFlags declares --config and --out as the commands that run the
// engines into a fresh output folder (replay, live) have them.
func runFlags(fs *pflag.FlagSet) (cfgPath, out *string) {
	cfgPath = runConfigFlag(fs)
	out = fs.String("out", "./tmon-out", "output `DIR`: one Parquet folder per table; a previous replay there is replaced (a live or collector output is refused)")
	return cfgPath, out
}

// intervalFlag declares --interval as the commands that run probes
// (replay, live, probe) have it, and returns what applies it to a loaded
// configuration, and to each new version of a watched one (nothing when
// the flag is not given): it overrides interval_s.
func intervalFlag(fs *pflag.FlagSet) (override func(*config.Config) error) {
	s := fs.Float64("interval", 0, "override interval_s: aggregation interval in whole `SECONDS` of capture time, 1 to 86400 (a divisor or multiple of 60 tiles the minute); 0: 60, as interval_s: 0 (default: the config's)")
	return func(cfg *config.Config) error {
		if !fs.Changed("interval") {
			return nil
		}
		if err := cfg.SetIntervalS(*s); err != nil {
			return usageErr("--interval %g: %v", *s, err)
		}
		return nil
	}
}

// newFlagSet returns the flag set of subcommand c with its flags
// declared, and c's --help text and body: errors returned, not fatal;
// --help prints the text, then the flags if there are any, and the exit
// statuses (exitHelp), on stdout (pflag calls Usage for --help and -h
// only: a usage error is one line on stderr).
func newFlagSet(c command, stdout, stderr io.Writer) (*pflag.FlagSet, runFunc) {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	usage, body := c.flags(fs)
	fs.Usage = func() {
		if !fs.HasFlags() {
			fmt.Fprintf(stdout, "%s\n\n%s\n", usage, exitHelp(c.name))
			return
		}
		fmt.Fprintf(stdout, "%s\n\nFlags:\n%s\n%s\n", usage, fs.FlagUsagesWrapped(helpWidth(stdout)), exitHelp(c.name))
	}
	return fs, body
}

// helpFallbackWidth is the width --help wraps flag usages to when stdout
// is not a terminal (piped to less or a file): the classic 80 columns.
const helpFallbackWidth = 80

// helpWidth is the width in columns that --help wraps flag usages to:
// w's when it is a terminal, else helpFallbackWidth (a trial saw usage
// lines of up to 464 characters run unwrapped past the window).
func helpWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return helpFallbackWidth
}

// execute parses args with c's flags, then runs c's body: pflag.ErrHelp
// as is (--help: usage printed, exit 0), any other error, or an argument
// c refuses, as a usage error of the subcommand.
func (c command) execute(args []string, stdout, stderr io.Writer) error {
	fs, body := newFlagSet(c, stdout, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErr("%s: %v", c.name, err)
	}
	if err := nonNegativeDurations(c.name, fs); err != nil {
		return err
	}
	if err := emptyPaths(c.name, fs); err != nil {
		return err
	}
	switch {
	case !c.noArgs || fs.NArg() == 0:
		return body(args, stdout, stderr)
	case c.hint != "":
		return usageErr("%s: unexpected argument %q (%s)", c.name, fs.Arg(0), c.hint)
	}
	return usageErr("%s: unexpected argument %q", c.name, fs.Arg(0))
}

// nonNegativeDurations refuses, as a usage error, a negative value given
// to any duration flag of subcommand cmd's fs: every DURATION of every
// subcommand is a period, a wait or a bound, none has a meaning below 0
// (a negative --write-every or --idle-exit was taken silently, as the
// default or as 0).
func nonNegativeDurations(cmd string, fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		if f.Value.Type() != "duration" || err != nil {
			return
		}
		if d, e := fs.GetDuration(f.Name); e == nil && d < 0 {
			err = durationErr(cmd, f.Name, d, wantNonNegative)
		}
	})
	return err
}

// The ranges durationErr says: a duration >= 0 is the rule of every
// DURATION flag (nonNegativeDurations); a period (--write-every, an
// outage's length) must be > 0.
const (
	wantNonNegative = "a duration >= 0"
	wantPositive    = "a duration > 0"
)

// durationErr is the one usage error of a DURATION flag out of its
// range, naming that flag only: "CMD: --FLAG VALUE: want WANT".
func durationErr(cmd, flag string, value any, want string) error {
	return usageErr("%s: --%s %v: want %s", cmd, flag, value, want)
}

// flagsOf returns the flags of subcommand c.
func flagsOf(c command) *pflag.FlagSet {
	fs, _ := newFlagSet(c, io.Discard, io.Discard)
	return fs
}
