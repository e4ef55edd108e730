package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
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

// TestConfigEmptyFile: --config naming an empty file, or one of blanks
// and comments only, is refused as every other fault of a config file
// (exit 1, FILE: what), before anything is written; it ran the embedded
// default without a word, and a new-user trial that pointed --config at
// the wrong (empty) file never knew. An empty value, --config "", is
// the command line's mistake, exit 2 (TestEmptyPathFlags).
func TestConfigEmptyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, out := testsamples.Path(t, "lab", "ftp", "A.pcap"), filepath.Join(dir, "o")
	for _, text := range []string{"", "\n  \n", "# interval_s: 10\n"} {
		empty := filepath.Join(dir, "empty.yaml")
		os.WriteFile(empty, []byte(text), 0o644)
		for _, args := range [][]string{
			{"replay", "-q", "--config", empty, "--out", out, f},
			{"config", "--effective", "--config", empty},
			{"rollup", "--config", empty, "--out", out},
		} {
			want := "tmonbench " + args[0] + ": " + empty + ": empty: no setting, no class (only blanks or comments): write the settings that change the default, or leave the file out to run the default (tmonbench config prints it)\n"
			if code, stdout, stderr := tmon(t, args...); code != 1 || stderr != want || stdout != "" {
				t.Errorf("%q %v: exit %d, stdout %q, stderr %q; want exit 1, %q", text, args, code, stdout, stderr, want)
			}
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("replay with an empty --config wrote %s", out)
	}
}
