package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestFooterWhileTyping: while the SQL editor, a table's filter or the
// column chooser has the keys, the footer names the keys they answer to,
// not the screens' (a trial typed SQL under a footer promising "q quit",
// "s sort by column" and "tab next screen", each of which the editor
// takes as text; its keys are sqlScreen.update's, the filter's
// pagedTable.editKey's, the chooser's pagedTable.chooserKey's).
func TestFooterWhileTyping(t *testing.T) {
	out := replayed(t, ftpLab)
	for _, c := range []struct {
		name  string
		steps []step
		want  []string
	}{
		{"SQLEditor", []step{
			{keys: keys("8"), wait: []string{"Named queries"}},
			{keys: keys("/"), typed: "select quit", wait: []string{"ctrl+r runs", "select quit"}}},
			[]string{"ctrl+r run", "esc leave the editor"}},
		{"Filter", []step{
			{keys: keys("2"), wait: []string{"row 1 of 84"}},
			{keys: keys("/"), typed: "tcp port 21", wait: []string{"/tcp port 21"}}},
			[]string{"enter apply the filter", "esc cancel"}},
		{"Columns", []step{
			{keys: keys("2"), wait: []string{"row 1 of 84"}},
			{keys: keys("c"), wait: []string{"Columns of flows"}}},
			[]string{"space show/hide the column", "enter close"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := goldenRunAt(t, out, 100, 30, c.steps...)
			lines := strings.Split(v, "\n")
			foot := ansi.Strip(lines[len(lines)-1])
			for _, w := range c.want {
				if !strings.Contains(foot, w) {
					t.Errorf("footer %q lacks %q", foot, w)
				}
			}
			for _, no := range []string{"q quit", "sort by column", "next screen"} {
				if strings.Contains(foot, no) {
					t.Errorf("footer %q offers %q, which the field takes as text", foot, no)
				}
			}
		})
	}
}
