// Command tmonbench is the network-performance workbench: it replays
// packet captures through trafMon-style probe and collector engines, writes
// the observations as Parquet, and queries them with DuckDB.
//
// Usage:
//
//	tmonbench replay [--config FILE] [--out DIR] [--speed full|realtime|Nx] PCAP...
//	tmonbench live -i IFACE [-i IFACE...] [--config C] [--interval S] [--out DIR] [--duration D] [--filter EXPR] [--stats]
//	tmonbench bench [--config C] [--workers N] [--preload] [--repeat K] [--json] PCAP...
//	tmonbench query [--out DIR] [--format table|csv|json] NAME | --sql "SELECT ..."
//	tmonbench rollup [--out DIR]   1-minute, 1-hour and 1-day rollups, addresses table
//	tmonbench enrich [--out DIR]   addresses table
//	tmonbench report [--out DIR] [--from T --to T] [--activity A] [--location L] -o report.html
//	tmonbench merge --out DIR SRC...   union outputs, de-duplicated
//	tmonbench tui [--out DIR]   browse the output in a terminal UI
//	tmonbench probe --config C --name NAME --pcap F    a probe process (PDUs over UDP)
//	tmonbench collector --config C [--listen ADDR] [--out DIR]
//	tmonbench config [--effective [--config F]]   the default configuration, or what F runs
//	tmonbench completion bash|zsh|fish
//	tmonbench version
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// version is the tool version, set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// exitError carries an exit code; its message is printed as one line.
type exitError struct {
	code int
	err  error
}

// Error returns the wrapped error's message.
func (e *exitError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *exitError) Unwrap() error { return e.err }

const usage = `tmonbench: passive network measurement workbench (trafMon re-implemented)

Usage:
  tmonbench replay [flags] PCAP...     replay captures through probes and a collector, write Parquet
  tmonbench live -i IFACE [flags]      capture live (AF_PACKET) through probe and collector, write Parquet
  tmonbench bench [flags] PCAP...      measure the full pipeline against the decode-only floor
  tmonbench query [flags] NAME         run a named query over the output (--list lists them)
  tmonbench query --sql "SELECT ..."   run SQL over the output (views: flows, flow_counters, events, ...)
  tmonbench rollup [--out DIR]         write 1-minute, 1-hour and 1-day rollups and the addresses table
  tmonbench enrich [--out DIR]         write the addresses table (activity, location, country, AS, DNS name)
  tmonbench report [--out DIR] -o F    write a self-contained HTML report (tables, interactive charts)
  tmonbench merge --out DIR SRC...     union several outputs (de-duplicated) into one
  tmonbench tui [--out DIR]            browse the output in the terminal: overview, flows, detail, packets
  tmonbench probe --config C --name N --pcap F      run a probe process sending PDUs over UDP
  tmonbench collector --config C [--listen ADDR] [--out DIR]   run a collector process
  tmonbench config [--effective [--config F]]   print the default configuration, or what F will run
  tmonbench completion bash|zsh|fish   print a shell completion script
  tmonbench version                    print the version, commit, Go and DuckDB versions (also -v, --version)

Run 'tmonbench COMMAND --help' for a command's flags.

Exit status:
  0    done (also live and collector stopped by SIGINT or SIGTERM)
  1    an error, said in one line on stderr: a missing or damaged input, an unwritable output, ...
  2    a usage mistake: an unknown command or flag, a bad value, a missing argument
  3    replay done, but files a folder or glob brought in were skipped, not captures (a warning each, events capture_skipped)
  130  interrupted: a replay by Ctrl-C, live by a second signal (the tables hold what was observed until then)
`

// exitHelp ends every subcommand's --help: the exit statuses of usage
// (replay's with its 3, exitSkipped).
func exitHelp(cmd string) string {
	skipped := ""
	if cmd == "replay" {
		skipped = ", 3 done but files of a folder or glob skipped, not captures (warnings, events capture_skipped)"
	}
	return "Exit status: 0 done, 1 an error (one line on stderr), 2 a usage mistake" + skipped + ", 130 interrupted (tmonbench --help)"
}

func main() {
	if len(os.Args) > 1 && pipeProof[os.Args[1]] {
		signal.Ignore(syscall.SIGPIPE)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// pipeProof are the commands that write tables or files. A closed stdout
// or stderr (`| tee` ended by the same Ctrl-C as the command, `2>&1 |
// head`) must not end them before their tables are written, as Go's
// default does: a write to a broken pipe on fd 1 or 2 raises SIGPIPE,
// which kills the process (os/signal, "SIGPIPE"). Ignored, the write
// fails with EPIPE and the line is lost, the run goes on. The commands
// that only print (query, config, version...) keep the default and stop
// quietly, as `| head` expects.
var pipeProof = map[string]bool{"replay": true, "live": true, "bench": true, "probe": true, "collector": true,
	"rollup": true, "enrich": true, "report": true, "merge": true}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) >= 2 && args[0] == "help" { // help CMD: that command's help
			if _, ok := findCommand(args[1]); !ok || len(args) > 2 {
				return unknown(stderr, "command", strings.Join(args[1:], " "))
			}
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "--version", "-v": // git's and tcpdump's habit
		args[0] = "version"
	}
	c, ok := findCommand(args[0])
	if !ok && strings.HasPrefix(args[0], "-") {
		return unknown(stderr, "flag", args[0])
	}
	if !ok {
		return unknown(stderr, "command", args[0])
	}
	err := c.execute(args[1:], stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.code == 130 {
		return 130 // interrupted: already said on stderr
	}
	if !configFaults(stderr, c.name, err) {
		fmt.Fprintf(stderr, "tmonbench %s: %s\n", c.name, oneLine(firstError(userMessage(c.name, err), err)))
	}
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// unknown says on one line that what (a command, a flag) named name does
// not exist, and where the list is; exit status 2.
func unknown(stderr io.Writer, what, name string) int {
	fmt.Fprintf(stderr, "tmonbench: unknown %s %q (run 'tmonbench --help' for the commands)\n", what, name)
	return 2
}

// usageErr marks a command-line mistake (exit code 2).
func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// warnf prints a warning on stderr, one line: "tmonbench CMD: warning: "
// and the message, package prefixes taken off as from an error line
// (userMessage).
func warnf(w io.Writer, cmd, format string, a ...any) {
	fmt.Fprintf(w, "tmonbench %s: warning: %s\n", cmd, oneLine(userMessage(cmd, fmt.Errorf(format, a...))))
}

// internalPrefixes are the names of the packages whose errors reach the
// user ("queries: ", "replay: ", "store: "): where the fault was noticed,
// not what it is.
var internalPrefixes = []string{"bench", "collector", "config", "dataset", "dissect", "engine", "enrich", "ethtool", "filter",
	"flow", "ftp", "journal", "live", "observe", "oneway", "pdu", "pipeline", "pkt", "probe", "queries", "reasm",
	"replay", "report", "rollup", "rtt", "stat", "store", "syncio", "tcpconn", "tui"}

// userMessage is err's message as printed after "tmonbench NAME: ": the
// leading "NAME: " and package prefixes taken off ("queries: Parser
// Error: ..." reads "Parser Error: ..."), also after a leading flag
// ("--link-outage: pdu: ..." reads "--link-outage: ..."); the rest of
// the chain is kept.
func userMessage(name string, err error) string {
	msg, kept := err.Error(), ""
	for {
		head, rest, ok := strings.Cut(msg, ": ")
		switch {
		case ok && strings.HasPrefix(head, "--"):
			kept += head + ": "
		case !ok || (head != name && !slices.Contains(internalPrefixes, head)):
			return kept + msg
		}
		msg = rest
	}
}

// firstError keeps msg, err's message, to one line when err joins several
// errors (errors.Join: a replay whose parts all failed to write on a full
// disk said each, one a line): the first line and how many more there
// were. A single error's lines (DuckDB's, with its LINE marker) are
// joined by oneLine.
func firstError(msg string, err error) string {
	line, _, multi := strings.Cut(msg, "\n")
	if n := leaves(err); multi && n > 1 {
		return fmt.Sprintf("%s (and %d more errors)", line, n-1)
	}
	return msg
}

// leaves counts the errors err holds: 1, or those its joins hold.
func leaves(err error) int {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		n := 0
		for _, x := range e.Unwrap() {
			n += leaves(x)
		}
		return n
	case interface{ Unwrap() error }:
		if u := e.Unwrap(); u != nil {
			return leaves(u)
		}
	}
	return 1
}
