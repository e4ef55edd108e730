// Command panicker runs the TUI through tui.Run, as tmonbench tui does,
// over the output folder given as its argument, and panics in Update on
// the key "!": TestTmuxPanic checks in a real terminal that the terminal
// is restored and the command fails. (testdata: not built by go build ./...)
package main

import (
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/tui"
)

type panicky struct{ *tui.Model }

func (p panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.String() == "!" {
		panic("test panic in Update")
	}
	_, cmd := p.Model.Update(msg)
	return p, cmd
}

func main() {
	m, err := tui.New(tui.Options{Out: os.Args[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer m.Close()
	if err := tui.Run(panicky{m}); err != nil {
		fmt.Fprintln(os.Stderr, "panicker:", err)
		os.Exit(1)
	}
}
