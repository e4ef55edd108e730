package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestEveryFault: a configuration with four mistakes of four kinds (an
// unknown key, a value of the wrong type, a bad duration, a value out of
// range) and a fault of a Checker (a class filter, which engine/probe
// checks) is refused with all five at once, as a compiler reports: one
// FILE:LINE:COL: FIELD: what line each, sorted by line, the column the
// key's (1-based, as yaml.v3's Node.Column). Before, a run said the
// first alone (the unknown key) and the user fixed them one run at a
// time.
func TestEveryFault(t *testing.T) {
	text := "flow_table:\n" + // 1
		"  max_flows: 100000000000\n" + // 2: out of range
		"classes:\n" + // 3
		"  - name: web\n" + // 4
		"    filtre: tcp\n" + // 5: unknown key
		"    idle_timeout_s: -5\n" + // 6: bad duration
		"    filter: \"tcp portt 80\"\n" + // 7: the checker's
		"    upper_layer: maybe\n" // 8: wrong type
	filters := func(c *Config) []*Error {
		for i := range c.Classes {
			if strings.Contains(c.Classes[i].Filter, "portt") {
				return []*Error{c.ClassFault(i, "filter", "%q: unknown word portt", c.Classes[i].Filter)}
			}
		}
		return nil
	}
	_, err := Parse([]byte(text), "c.yaml", filters)
	want := strings.Join([]string{
		"c.yaml: 5 errors:",
		"c.yaml:2:3: flow_table.max_flows: must be between 1 and 67108864 (0 or absent: 1048576), got 100000000000 (~300 B a flow: 27.3 TiB)",
		`c.yaml:5:5: classes[0].filtre: unknown field "filtre" in classes[0] (known: name, filter, granularity, fold_ports_above, idle_timeout_s, analyses, size_edges, upper_layer, tcp, rtt, oneway)`,
		"c.yaml:6:5: classes[0].idle_timeout_s: must be a positive number of seconds (0 or absent: 300), got -5",
		`c.yaml:7:5: classes[0].filter: "tcp portt 80": unknown word portt`,
		`c.yaml:8:5: classes[0].upper_layer: want true or false, got "maybe"`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	var first *Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &first) || first.Line != 2 {
		t.Errorf("%v: not ErrInvalid, or its first *Error not line 2 (%+v)", err, first)
	}
}

// TestFaultsCapped: past MaxErrors faults the list stops and says how
// many more there are: 25 unknown keys give 20 lines and "5 more".
func TestFaultsCapped(t *testing.T) {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "k%02d: 1\n", i)
	}
	_, err := Parse([]byte(b.String()), "c.yaml")
	var all *Errors
	if !errors.As(err, &all) || len(all.List) != MaxErrors || all.More != 5 {
		t.Fatalf("25 unknown keys: %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 22 || lines[0] != "c.yaml: 25 errors:" || !strings.HasPrefix(lines[20], `c.yaml:20:1: k19: unknown field "k19" in top level`) || lines[21] != "c.yaml: 5 more errors not shown (the first 20 above)" {
		t.Errorf("%d lines:\n%s", len(lines), err)
	}
}
