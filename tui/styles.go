package tui

import (
	"github.com/charmbracelet/lipgloss"
)

// styles are the TUI's lipgloss styles, made from one Renderer so that the
// colour profile (256 colours, none under NO_COLOR, forced in tests) is the
// program's, not a package-level default.
type styles struct {
	r        *lipgloss.Renderer
	title    lipgloss.Style // screen tab bar, active tab
	tab      lipgloss.Style // inactive tab
	header   lipgloss.Style // table header
	sortCol  lipgloss.Style // header of the sort column / column cursor
	selected lipgloss.Style // cursor row
	status   lipgloss.Style // status line
	err      lipgloss.Style // error in the status line
	dim      lipgloss.Style
	section  lipgloss.Style // section title in detail screens
	chart    lipgloss.Style // chart bars
	brush    lipgloss.Style // brushed part of the time strip
	cursor   lipgloss.Style // time strip cursor
	sevWarn  lipgloss.Style
	sevError lipgloss.Style
}

// newStyles makes the styles; without colour (NO_COLOR) they keep only
// bold, underline and reverse video, so the cursor row, the active tab and
// the sort column stay visible.
func newStyles(r *lipgloss.Renderer, colour bool) *styles {
	s := r.NewStyle
	fg := func(st lipgloss.Style, c string) lipgloss.Style {
		if !colour {
			return st
		}
		return st.Foreground(lipgloss.Color(c))
	}
	return &styles{
		r:        r,
		title:    s().Bold(true).Reverse(true).Padding(0, 1),
		tab:      fg(s().Padding(0, 1), "245"),
		header:   s().Bold(true).Underline(true),
		sortCol:  fg(s().Bold(true).Underline(true).Reverse(!colour), "39"),
		selected: s().Reverse(true),
		status:   fg(s(), "245"),
		err:      fg(s().Bold(true), "196"),
		dim:      fg(s(), "245"),
		section:  fg(s().Bold(true), "39"),
		chart:    fg(s(), "35"),
		brush:    fg(s().Bold(!colour), "214"),
		cursor:   s().Reverse(true),
		sevWarn:  fg(s().Bold(!colour), "214"),
		sevError: fg(s().Bold(true), "196"),
	}
}
