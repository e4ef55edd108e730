package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigEveryFault: a config file with five mistakes of five kinds
// (a value out of range, an unknown key, a bad duration, a filter the
// pcap-filter grammar refuses, a value of the wrong type) is refused by
// the commands that read it with all five at once, compiler style: a
// header, then FILE:LINE:COL: FIELD: what, one a line, by line; exit 1.
// A new-user trial fixed them one run at a time: each run said only the
// first (the unknown key), and the filter only once the rest was right.
func TestConfigEveryFault(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("flow_table:\n  max_flows: 100000000000\nclasses:\n  - name: web\n    filtre: tcp\n    idle_timeout_s: -5\n    filter: \"tcp portt 80\"\n    upper_layer: maybe\n"), 0o644)
	want := strings.Join([]string{
		"tmonbench config: " + bad + ": 5 errors:",
		bad + ":2:3: flow_table.max_flows: must be between 1 and 67108864 (0 or absent: 1048576), got 100000000000 (~300 B a flow: 27.3 TiB)",
		bad + `:5:5: classes[0].filtre: unknown field "filtre" in classes[0] (known: name, filter, granularity, fold_ports_above, idle_timeout_s, analyses, size_edges, upper_layer, tcp, rtt, oneway)`,
		bad + ":6:5: classes[0].idle_timeout_s: must be a positive number of seconds (0 or absent: 300), got -5",
		bad + `:7:5: classes[0].filter: "tcp portt 80" (class web): expected 'and' or 'or' before "portt" at offset 4`,
		bad + `:8:5: classes[0].upper_layer: want true or false, got "maybe"`,
	}, "\n") + "\n"
	if code, _, stderr := tmon(t, "config", "--effective", "--config", bad); code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}
