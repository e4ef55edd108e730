package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// treeOf maps every file under dir to its content ("" for a folder).
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			tree[p] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		tree[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// sameTree fails unless dir still holds exactly before.
func sameTree(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := treeOf(t, dir)
	for p, b := range before {
		if a, ok := after[p]; !ok || a != b {
			t.Errorf("%s changed (present %v)", p, ok)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

// replayed is a fresh replay output of the ftp lab's probe A.
func replayed(t *testing.T) string {
	out := filepath.Join(t.TempDir(), "o6")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, testsamples.Path(t, "lab", "ftp", "A.pcap")); code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	return out
}

// TestLiveBadFlagsTouchNothing: a flag of live that cannot work (a bad
// --metrics address, an interface given twice, a negative --snaplen, a
// zero --write-every, --tui without a terminal)
// is refused with one line and exit status 2 before the capture and the
// output are opened: a previous output there is left byte-identical, a
// new --out is not created. The capture is never opened, so no
// CAP_NET_RAW is needed.
func TestLiveBadFlagsTouchNothing(t *testing.T) {
	out := replayed(t)
	before := treeOf(t, out)
	fresh := filepath.Join(t.TempDir(), "new")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-i", "lo", "--metrics", "127.0.0.1:99999"}, "--metrics 127.0.0.1:99999"},
		{[]string{"-i", "lo", "-i", "lo"}, "interface lo given twice"},
		{[]string{"--pair", "lo,lo"}, "interface lo given twice"},
		{[]string{"-i", "lo", "--snaplen", "-1"}, "--snaplen -1"},
		{[]string{"-i", "lo", "--ring-mb", "0"}, "--ring-mb 0: want 1 to"},
		{[]string{"-i", "lo", "--ring-mb", "-1"}, "MiB per interface (half the memory, over 1 interface)"}, // "over 1 interfaces" (trial 11)
		{[]string{"-i", "lo", "--ring-mb", "100000000"}, "--ring-mb 100000000: want 1 to"},                 // locked memory beyond the machine's: was killed, exit 137 (an audit)
		{[]string{"-i", "lo", "--write-every", "0s"}, "--write-every 0s"},
	}
	if terminalForTUI() != nil { // no terminal here (CI): --tui cannot run
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"-i", "lo", "--tui"}, "--tui needs a terminal"})
	}
	for _, c := range cases {
		for _, dir := range []string{out, fresh} {
			code, _, stderr := tmon(t, append(append([]string{"live"}, c.args...), "--out", dir, "--duration", "1s")...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("live %v --out %s: exit %d, stderr %q; want exit 2 and one line with %q", c.args, dir, code, stderr, c.want)
			}
		}
		sameTree(t, out, before)
		if _, err := os.Stat(fresh); err == nil {
			t.Fatalf("live %v created %s", c.args, fresh)
		}
	}
}

// TestProbeInterfaceTwice: probe -i refuses an interface given twice
// (each packet would be counted twice), before the capture is opened.
func TestProbeInterfaceTwice(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("collectors:\n  - {name: c, address: 127.0.0.1:4739}\n"), 0o644)
	code, _, stderr := tmon(t, "probe", "--config", cfg, "--name", "B", "-i", "lo", "-i", "lo", "--state-dir", "")
	if code != 2 || !strings.Contains(stderr, "interface lo given twice") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestNegativeDurations: every duration flag of every subcommand refuses
// a negative value with exit 2 and one line naming it, before the
// subcommand runs: a trial of a67f0f4 ran "collector --write-every -1s
// --idle-exit -3s --silence -1s" (logging write_every=5s) and "probe
// --linger -1s"; live --duration -5s was refused ("want ... a duration >= 0").
func TestNegativeDurations(t *testing.T) {
	found := 0
	for _, c := range commands() {
		flagsOf(c).VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "duration" {
				return
			}
			found++
			code, stdout, stderr := tmon(t, c.name, "--"+f.Name, "-1s")
			want := "tmonbench " + c.name + ": --" + f.Name + " -1s: want a duration >= 0\n"
			if code != 2 || stderr != want || stdout != "" {
				t.Errorf("%s --%s -1s: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.name, f.Name, code, stdout, stderr, want)
			}
		})
	}
	// collector --write-every --silence --idle-exit, live --duration
	// --write-every --block-timeout, probe --linger --duration
	// --block-timeout, replay --max-gap (grep -n 'Duration' cmd/tmonbench/*.go)
	if found != 10 {
		t.Errorf("%d duration flags, want 10", found)
	}
}

// TestReplayFileTwiceOneProbe: one file given twice to one probe, on one
// interface or two, is refused with exit 2 before anything is written (a
// new-user trial of a67f0f4 counted 252 packets for zeek_wikipedia.pcap's
// 126, tshark -Y "ip or ipv6"); under two probes it is replayed.
func TestReplayFileTwiceOneProbe(t *testing.T) {
	f := testsamples.Path(t, "lab", "ftp", "A.pcap")
	for _, specs := range [][]string{{"A/eth0=" + f, "A/eth0=" + f}, {"A=" + f, "A/eth1=" + f}} {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := tmon(t, "replay", "-q", "--out", out, "--probe", specs[0], "--probe", specs[1])
		if code != 2 || !strings.Contains(stderr, "count every packet twice") {
			t.Errorf("replay --probe %s --probe %s: exit %d, stderr %q; want 2", specs[0], specs[1], code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("replay --probe %s --probe %s created %s", specs[0], specs[1], out)
		}
	}
	out := filepath.Join(t.TempDir(), "o")
	if code, _, stderr := tmon(t, "replay", "-q", "--out", out, "--probe", "A="+f, "--probe", "B="+f); code != 0 {
		t.Errorf("replay --probe A=F --probe B=F: exit %d, stderr %q; want 0", code, stderr)
	}
}

// TestPrepareChecksFirst: rollup and enrich with a geoip database that
// cannot be opened fail before writing anything: the output is left as
// the replay wrote it.
func TestPrepareChecksFirst(t *testing.T) {
	out := replayed(t)
	before := treeOf(t, out)
	for _, cmd := range []string{"rollup", "enrich"} {
		code, stdout, stderr := tmon(t, cmd, "--out", out, "--geoip", "/nonexistent.mmdb")
		if code != 1 || !strings.Contains(stderr, "/nonexistent.mmdb") || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
		sameTree(t, out, before)
	}
}

// TestFlagRefusals: replay --interval -5 (live 90000, probe 0.5), report --from not
// before --to, probe and collector with a stray argument, query --limit
// -1, --list or --schema with a query, and bench --memory-limit -5,
// --repeat 0 or --workers -1 (naming that flag only) are refused with exit status 2
// and one line.
func TestFlagRefusals(t *testing.T) {
	dir := t.TempDir()
	pcap := testsamples.Path(t, "lab", "ftp", "A.pcap")
	probeCfg := filepath.Join(dir, "probe.yaml") // the default classes: no warning before the refusal
	os.WriteFile(probeCfg, []byte("probes: [{name: A}]\ncollectors: [{name: c, address: \"127.0.0.1:4739\"}]\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "--interval", "-5", "--out", filepath.Join(dir, "a"), pcap}, "--interval -5: must be between 1 and 86400 seconds of capture time (0: 60)"},
		{[]string{"live", "-i", "lo", "--interval", "90000", "--out", filepath.Join(dir, "a")}, "--interval 90000: must be between 1 and 86400 seconds of capture time (0: 60)"},
		{[]string{"probe", "--config", probeCfg, "--name", "A", "--pcap", pcap, "--interval", "0.5"}, "--interval 0.5: must be between 1 and 86400 seconds of capture time (0: 60)"},
		// fractions gave interval_start 19:06:07.047503700
		{[]string{"replay", "--interval", "1.0000001", "--out", filepath.Join(dir, "a"), pcap}, "--interval 1.0000001: must be a whole number of seconds"},
		{[]string{"probe", "--config", probeCfg, "--name", "A", "--pcap", pcap, "--interval", "2.5"}, "--interval 2.5: must be a whole number of seconds"},
		{[]string{"report", "--out", dir, "--from", "2026-11-30", "--to", "2026-11-29", "-o", filepath.Join(dir, "r.html")}, "--from 2026-11-30 is not before --to 2026-11-29"},
		{[]string{"report", "--out", dir, "--from", "2026-11-29", "--to", "2026-11-29", "-o", filepath.Join(dir, "r.html")}, "is not before --to"},
		// stray arguments (a trial saw probe and collector run with them)
		{[]string{"probe", "--config", "samples/dist.yaml", "--name", "A", "--pcap", pcap, "extra"}, `probe: unexpected argument "extra" (the capture is --pcap FILE or -i IFACE)`},
		{[]string{"collector", "--config", "samples/dist.yaml", "--out", filepath.Join(dir, "c"), "extra"}, `collector: unexpected argument "extra"`},
		{[]string{"query", "--out", dir, "--limit", "-1", "--sql", "select 1"}, "query: --limit -1: want a number of rows (0: all)"},
		{[]string{"query", "--list", "summary"}, "query: --list takes no query NAME or --sql, --schema only TABLE names"},
		{[]string{"query", "--schema", "--sql", "select 1"}, "query: --list takes no query NAME or --sql, --schema only TABLE names"},
		{[]string{"query", "--schema", "nope"}, `query: --schema "nope": no such table (tables: flows, flow_counters, `},
		{[]string{"query", "--wide", "summary"}, "query: summary has no wide form, its columns fit as they are"},
		{[]string{"query", "--out", dir, "--width", "-1", "--sql", "select 1"}, "query: --width -1: want a number of columns (0: no limit)"},
		// bench: a negative memory limit was taken silently; each names the flag at fault only
		{[]string{"bench", "--memory-limit", "-5", pcap}, "bench: --memory-limit -5: want a number of MiB (0: none)"},
		{[]string{"bench", "--repeat", "0", pcap}, "bench: --repeat 0: want at least 1"},
		{[]string{"bench", "--workers", "-1", pcap}, "bench: --workers -1: want 0 to 64"},
		// --workers: one range (checkWorkers), one message (bench said "takes")
		{[]string{"replay", "--workers", "65", "--out", filepath.Join(dir, "a"), pcap}, "replay: --workers 65: want 0 to 64"},
		{[]string{"live", "-i", "lo", "--workers", "65", "--out", filepath.Join(dir, "a")}, "live: --workers 65: want 0 to 64"},
		{[]string{"probe", "--config", probeCfg, "--name", "A", "--pcap", pcap, "--workers", "65"}, "probe: --workers 65: want 0 to 64"},
	} {
		code, _, stderr := tmon(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
		errFault(t, c.args[0], stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("a refused replay created its output")
	}
}

// TestIntervalFlag: every command that runs probes (replay, live, probe)
// takes --interval (a trial found live without it: interval_s only
// through a config file), with one help text that says it overrides the
// config's interval_s.
func TestIntervalFlag(t *testing.T) {
	var want string
	for _, name := range []string{"replay", "live", "probe"} {
		c, _ := findCommand(name)
		f := flagsOf(c).Lookup("interval")
		if f == nil {
			t.Errorf("tmonbench %s has no --interval", name)
			continue
		}
		if want == "" {
			want = f.Usage
		}
		if f.Usage != want || !strings.HasPrefix(f.Usage, "override interval_s: ") {
			t.Errorf("tmonbench %s --interval: %q, want %q (as replay's)", name, f.Usage, want)
		}
	}
}

// TestFlagValueNames: every flag that takes a value names it in its
// help with a placeholder chosen in backquotes (--speed SPEED, --linger
// DURATION), never pflag's fallback, the bare Go type (--speed string,
// --linger duration), nor a lower-case word (--interval seconds); and no
// help line states its default twice.
func TestFlagValueNames(t *testing.T) {
	for _, c := range commands() {
		fs := flagsOf(c)
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" {
				return
			}
			name, _ := pflag.UnquoteUsage(f)
			if !strings.Contains(f.Usage, "`") || name == strings.ToLower(name) {
				t.Errorf("tmonbench %s --%s %s: name the value in backquotes, in capitals (--speed `SPEED`)", c.name, f.Name, name)
			}
		})
		for _, line := range strings.Split(fs.FlagUsages(), "\n") {
			if strings.Count(line, "(default") > 1 {
				t.Errorf("tmonbench %s: two defaults in %q", c.name, line)
			}
		}
	}
}

// TestHelpCommand: `tmonbench help CMD` prints CMD's help (exit 0), as
// `tmonbench CMD --help` does; `help` alone the top-level help; an
// unknown command or top-level flag (help nosuch, nosuch, --nosuch) is
// one line and the hint, exit 2 (a trial saw the 20-line usage); -v and
// --version print the version.
func TestHelpCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "nosuch"}, `tmonbench: unknown command "nosuch" (run 'tmonbench --help' for the commands)` + "\n"},
		{[]string{"nosuch"}, `tmonbench: unknown command "nosuch" (run 'tmonbench --help' for the commands)` + "\n"},
		{[]string{"nosuch", "--out", "x"}, `tmonbench: unknown command "nosuch" (run 'tmonbench --help' for the commands)` + "\n"},
		{[]string{"--nosuch"}, `tmonbench: unknown flag "--nosuch" (run 'tmonbench --help' for the commands)` + "\n"},
	} {
		code, stdout, stderr := tmon(t, c.args...)
		if code != 2 || stdout != "" || stderr != c.want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
	_, version, _ := tmon(t, "version")
	for _, flag := range []string{"-v", "--version"} {
		if code, stdout, _ := tmon(t, flag); code != 0 || stdout != version {
			t.Errorf("%s: exit %d, %q; want the version", flag, code, stdout)
		}
	}
	code, stdout, _ := tmon(t, "help", "replay")
	_, want, _ := tmon(t, "replay", "--help")
	if code != 0 || stdout != want || !strings.HasPrefix(stdout, "Usage: tmonbench replay") {
		t.Errorf("help replay: exit %d, %q", code, stdout)
	}
	code, stdout, _ = tmon(t, "help")
	if code != 0 || !strings.HasPrefix(stdout, "tmonbench: passive network measurement workbench") {
		t.Errorf("help: exit %d, %q", code, stdout)
	}
}

// TestQueryNamesLiveRun: an output a live capture is writing (run.json
// mode live, as cmdLive opens it) is named so by query's note.
func TestQueryNamesLiveRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "live")
	app, err := store.OpenReplace(out, store.Manifest{Mode: store.ModeLive, Command: []string{"tmonbench", "live"}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if m, err := store.ReadManifest(out); err != nil || m.Mode != store.ModeLive {
		t.Fatalf("run.json mode %q (%v), want live", m.Mode, err)
	}
	code, _, stderr := tmon(t, "query", "--out", out, "--format", "csv", "--sql", "select count(*) from flows")
	if code != 0 || !strings.Contains(stderr, "the live capture writing") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestErrorLines: an error is one line "tmonbench CMD: " and the fault
// (DuckDB's too: TestDuckDBErrorsOneLine),
// no Go package name first (a trial saw "tmonbench: queries: Parser
// Error", "tmonbench: replay: x.pcap: ...", "--link-outage: pdu: ...",
// "s.yaml: config: invalid: ...", "lock: open /proc/.x.lock"); internalPrefixes names every
// package of the module but the test helpers under internal/.
func TestErrorLines(t *testing.T) {
	t.Parallel()
	out := replayed(t)
	nope := filepath.Join(t.TempDir(), "nope.pcap")
	yamlSyntax, notes := filepath.Join(t.TempDir(), "s.yaml"), filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(yamlSyntax, []byte("interval_s: [1\n"), 0o644)
	os.WriteFile(notes, []byte("hi\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{ // one line each (probe's config warnings not printed before its missing capture: TestMissingCaptureFirst)
		{[]string{"query", "--out", out, "--sql", "selec 1"}, `Parser Error: syntax error at or near "selec"`},
		{[]string{"query", "--out", filepath.Dir(nope), "summary"}, "no tmonbench output in " + filepath.Dir(nope)},
		{[]string{"query", "--out", out, "nosuch"}, `unknown query "nosuch"`},
		{[]string{"probe", "--config", "../../samples/dist.yaml", "--name", "A", "--pcap", nope}, nope + ": no such file or directory"},
		{[]string{"replay", "--out", filepath.Join(out, "x"), nope}, nope + ": no such file or directory"},
		// a flag's value, a config file, the output folder, a filter: no package name anywhere
		{[]string{"replay", "--link-outage", "30s", nope}, `--link-outage: outage is not DURATION@START, e.g. 30s@120s: "30s"`},
		{[]string{"replay", "--config", yamlSyntax, nope}, yamlSyntax + ":1: did not find expected ',' or ']'"},
		{[]string{"replay", "--config", notes, nope}, notes + ":1: not a tmonbench configuration: want a YAML mapping of settings"},
		{[]string{"replay", "--config", nope + ".yaml", nope}, "--config " + nope + ".yaml: no such file or directory"},
		{[]string{"bench", "--config", nope + ".yaml", testsamples.Path(t, "lab", "ftp", "A.pcap")}, "--config " + nope + ".yaml: no such file or directory"},
		{[]string{"enrich", "--config", nope + ".yaml", "--out", out}, "--config " + nope + ".yaml: no such file or directory"},
		{[]string{"rollup", "--config", nope + ".yaml", "--out", out}, "--config " + nope + ".yaml: no such file or directory"},
		{[]string{"replay", "--out", "/proc/x", testsamples.Path(t, "lab", "ftp", "A.pcap")}, "cannot write output folder /proc/x: mkdir /proc/x: "},
		{[]string{"replay", "--filter", "tcp portt 80", nope}, `--filter "tcp portt 80": expected 'and' or 'or' before "portt" at offset 4`},
	} {
		_, _, stderr := tmon(t, c.args...)
		single := strings.Count(stderr, "\n") == 1
		if fault := errFault(t, c.args[0], stderr); !strings.HasPrefix(fault, c.want) || !single {
			t.Errorf("%v: %q, want one line %q", c.args, stderr, c.want)
		}
	}
	b, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Name}}", "../../...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		path, name, _ := strings.Cut(line, " ")
		if name != "main" && !strings.Contains(path, "/internal/") && !slices.Contains(internalPrefixes, name) {
			t.Errorf("package %s (%s) is not in internalPrefixes", name, path)
		}
	}
}

// TestDuckDBErrorsOneLine: DuckDB's errors, three or four lines (the
// message, its hint, a blank line, "LINE 1: ..." and a caret under the
// fault), are one line on stderr as the usage text says ("1 an error,
// said in one line on stderr"), the hint kept and the caret said as what
// it points at (oneLine). The DuckDB texts are DuckDB's own (duckdb-go's
// bundled DuckDB, `tmonbench query --sql` on any output). Before: the
// lines as DuckDB gave them.
func TestDuckDBErrorsOneLine(t *testing.T) {
	out := replayed(t)
	for _, c := range []struct{ sql, want string }{
		{"SELECT nope", `Binder Error: Referenced column "nope" was not found because the FROM clause is missing (LINE 1: SELECT nope, at nope)`},
		{"SELECT * FROM flowz", `Catalog Error: Table with name flowz does not exist! Did you mean "flows"? (LINE 1: SELECT * FROM flowz, at flowz)`},
		{"SELECT src_adr FROM flows", `Binder Error: Referenced column "src_adr" not found in FROM clause! Candidate bindings: "src_addr", "src_port", "dst_addr", "dst_port", "class" (LINE 1: SELECT src_adr FROM flows, at src_adr)`},
		{"SELECT *\nFROM flows\nWHERE nope = 1", `Binder Error: Referenced column "nope" not found in FROM clause! Candidate bindings: "name", "probe", "packets", "interface", "ip_version" (LINE 3: WHERE nope = 1, at nope)`},
	} {
		code, _, stderr := tmon(t, "query", "--out", out, "--sql", c.sql)
		if want := "tmonbench query: " + c.want + "\n"; code != 1 || stderr != want {
			t.Errorf("--sql %q: exit %d, stderr:\n%s\nwant exit 1 and:\n%s", c.sql, code, stderr, want)
		}
	}
	for _, c := range []struct{ msg, want string }{
		{"one line", "one line"},
		{"a\nb", "a; b"},
		{"Done.\n\nmore\n", "Done. more"},
		{"E: x\n\nLINE 1: select ünï nope\n                   ^", "E: x (LINE 1: select ünï nope, at nope)"}, // the caret counts characters
		{"E\nLINE 1: x\n          ^", "E (LINE 1: x)"},                                                       // a caret past the line
	} {
		if got := oneLine(c.msg); got != c.want {
			t.Errorf("oneLine(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}
