package tui

import (
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
)

// Run runs a TUI model as a full-screen program (alternate screen, mouse
// wheel) until it quits, and leaves the terminal as it found it: on quit,
// on SIGINT/SIGTERM and on a panic, which bubbletea catches, restoring the
// terminal (main screen, mouse reporting off, cursor shown, tty settings)
// before printing the stack. Quitting, an interrupt or a kill is no error;
// a panic is one (wrapping tea.ErrProgramPanic), so the command fails.
// opts are added after the defaults (tests give WithInput/WithOutput).
func Run(m tea.Model, opts ...tea.ProgramOption) error {
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithMouseCellMotion()}, opts...)...)
	_, err := p.Run()
	switch {
	case errors.Is(err, tea.ErrProgramPanic): // wrapped in ErrProgramKilled: first
		return fmt.Errorf("tui: %w (terminal restored)", tea.ErrProgramPanic)
	case errors.Is(err, tea.ErrProgramKilled), errors.Is(err, tea.ErrInterrupted):
		return nil
	}
	return err
}
