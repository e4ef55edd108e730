package tui

import (
	"fmt"
	"os"
)

// panickerEnv set makes this test binary the panicker of TestTmuxPanic
// (TestMain): it runs the TUI through Run, as tmonbench tui does, over the
// output folder given as its argument, and panics in Update on the key
// "!" (panicky, TestRunRestoresAfterPanic's model). The test binary is already built (under -race too): a panicker
// of its own was a go build and a link of the DuckDB-sized program in
// the test, 55 s of the CI's race step.
const panickerEnv = "TMONBENCH_TUI_PANICKER"

// panicker is the panicker's main: the exit status of the program.
func panicker(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "panicker: want one argument, the output folder")
		return 2
	}
	m, err := New(Options{Out: args[0]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer m.Close()
	if err := Run(panicky{m}); err != nil {
		fmt.Fprintln(os.Stderr, "panicker:", err)
		return 1
	}
	return 0
}
