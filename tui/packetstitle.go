package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// fitTitle returns the title of the packets s selects in at most w cells,
// shortened at whole parts: the lead dropped first (the screen's tab says
// "Packets"), then the tail, then the parts of the flow's name from its
// end, each left as its separator and "…" (the protocol:
// "198.51.100.10:40171>10.10.1.100:37982/…", then the destination
// endpoint: "198.51.100.10:40171>…"); "…" when not even the source
// endpoint fits. An address:port is never cut inside:
// at 60 columns "Packets of 198.51.100.10:40171>10.10.1.100:37…" read as
// port 37 of some host.
func (s packetSel) fitTitle(w int) string {
	for _, t := range []string{s.lead + s.name + s.tail, s.name + s.tail, s.name} {
		if ansi.StringWidth(t) <= w {
			return t
		}
	}
	parts := nameParts(s.name)
	for k := len(parts) - 1; k >= 1; k-- {
		t := strings.Join(parts[:k], "") + parts[k][:1] + "…"
		if ansi.StringWidth(t) <= w {
			return t
		}
	}
	if w >= 1 {
		return "…"
	}
	return ""
}

// nameParts splits a flow's name (collector.FlowName, LiveFlow.name) into
// its parts, each after the first starting with its separator: the
// source endpoint, ">" and the destination endpoint, "/" and the
// protocol, and " dscp N", " vlan N" (a space before a letter starts a
// part). Addresses hold no '>' nor '/', and IPv6 ones are bracketed
// before a port, so no part ends inside an address:port.
func nameParts(name string) []string {
	var parts []string
	start := 0
	for i := 1; i < len(name); i++ {
		c := name[i]
		if c == '>' || c == '/' || c == ' ' && i+1 < len(name) && (name[i+1] >= 'a' && name[i+1] <= 'z' || name[i+1] >= 'A' && name[i+1] <= 'Z') {
			parts = append(parts, name[start:i])
			start = i
		}
	}
	return append(parts, name[start:])
}
