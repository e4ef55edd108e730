// Command tmonbench is the network-performance workbench: it replays
// packet captures through trafMon-style probe and collector engines, writes
// the observations as Parquet, and queries them with DuckDB.
//
// Usage:
//
//	tmonbench replay [--config FILE] [--out DIR] [--speed full|realtime|Nx] PCAP...
//	tmonbench query [--out DIR] [--format table|csv|json] NAME | --sql "SELECT ..."
//	tmonbench probe --config C --name NAME --pcap F    a probe process (PDUs over UDP)
//	tmonbench collector --config C --listen ADDR --out DIR
//	tmonbench config            print the embedded default configuration
//	tmonbench version
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

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
  tmonbench query [flags] NAME         run a named query over the output (--list lists them)
  tmonbench query --sql "SELECT ..."   run SQL over the output (views: flows, flow_counters, events, ...)
  tmonbench probe --config C --name N --pcap F      run a probe process sending PDUs over UDP
  tmonbench collector --config C --listen ADDR --out DIR   run a collector process
  tmonbench config                     print the embedded default configuration (YAML)
  tmonbench version                    print the version

Run 'tmonbench COMMAND --help' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "replay":
		err = cmdReplay(args[1:], stdout, stderr)
	case "query":
		err = cmdQuery(args[1:], stdout, stderr)
	case "probe":
		err = cmdProbe(args[1:], stdout, stderr)
	case "collector":
		err = cmdCollector(args[1:], stdout, stderr)
	case "config":
		err = cmdConfig(stdout)
	case "version", "--version":
		fmt.Fprintln(stdout, "tmonbench", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "tmonbench: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
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
	fmt.Fprintln(stderr, "tmonbench:", err)
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// usageErr marks a command-line mistake (exit code 2).
func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}
