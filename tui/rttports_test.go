package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/queries"
)

// TestRTTPortsWhole100: the RTT screen at 100 columns never cuts a port
// (a trial saw the header "server_p…" over "40…": the lab FTP capture's
// data ports, 40171 and the like). Scrolled right column by column, a
// port column is shown whole or not at all, and once server_port shows,
// each of its cells is the row's whole port.
func TestRTTPortsWhole100(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("5"))
	seen := false
	for step := range 12 {
		lines := strings.Split(plain(m), "\n")
		hdr := strings.Fields(lines[2])
		for i, h := range hdr {
			if strings.HasSuffix(h, "…") {
				t.Fatalf("step %d: header cut: %q", step, lines[2])
			}
			if h != "server_port" {
				continue
			}
			seen = true
			tb := activeTable(t, m)
			ports := column(t, tb, "server_port")
			for r := 0; r < 5 && r < len(ports); r++ {
				cells := strings.Fields(lines[3+r])
				want := fmt.Sprint(queries.Int64(ports[tb.top+r]))
				if i >= len(cells) || cells[i] != want {
					t.Fatalf("step %d: row %d's server_port is not %s whole: %q", step, r, want, lines[3+r])
				}
			}
		}
		drive(t, m, keyMsg("right"))
	}
	if !seen {
		t.Fatal("server_port never shown scrolling right")
	}
}
