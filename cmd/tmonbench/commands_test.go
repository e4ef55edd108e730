package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// TestEverySubcommandHelp: `tmonbench NAME --help` and `-h` print NAME's
// usage on stdout (`tmonbench replay --help | less` shows it) and exit 0
// for every subcommand of the table, while an unknown flag is one line
// on stderr and exit 2.
func TestEverySubcommandHelp(t *testing.T) {
	for _, c := range commands() {
		for _, h := range []string{"--help", "-h"} {
			var out, errb strings.Builder
			code := run([]string{c.name, h}, &out, &errb)
			if code != 0 || errb.Len() != 0 || !strings.HasPrefix(out.String(), "Usage: tmonbench "+c.name) {
				t.Errorf("tmonbench %s %s: exit %d, stdout %.40q, stderr %q; want exit 0 and its usage on stdout only", c.name, h, code, out.String(), errb.String())
			}
		}
		var out, errb strings.Builder
		code := run([]string{c.name, "--no-such-flag"}, &out, &errb)
		if code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "unknown flag: --no-such-flag") || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("tmonbench %s --no-such-flag: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", c.name, code, out.String(), errb.String())
		}
	}
	var out, errb strings.Builder
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "tmonbench completion bash|zsh|fish") {
		t.Errorf("tmonbench --help: exit %d, %q", code, out.String())
	}
}

// TestHelpExitStatus: `tmonbench --help` and every subcommand's --help
// say what the exit statuses mean (none did: a script could not tell a
// usage mistake, 2, from a failed run, 1, or an interrupted replay, 130).
func TestHelpExitStatus(t *testing.T) {
	_, out, _ := tmon(t, "--help")
	for _, want := range []string{"\nExit status:\n", "\n  1    an error", "\n  2    a usage mistake", "\n  3    replay done, but files a folder or glob brought in were skipped", "\n  130  interrupted"} {
		if !strings.Contains(out, want) {
			t.Errorf("tmonbench --help lacks %q", want)
		}
	}
	for _, c := range commands() {
		want := "\nExit status: 0 done, 1 an error (one line on stderr), 2 a usage mistake, 130 interrupted (tmonbench --help)\n"
		if c.name == "replay" { // exitSkipped: TestReplayFolderSkipsNotCaptures
			want = "\nExit status: 0 done, 1 an error (one line on stderr), 2 a usage mistake, 3 done but files of a folder or glob skipped, not captures (warnings, events capture_skipped), 130 interrupted (tmonbench --help)\n"
		}
		if _, out, _ := tmon(t, c.name, "--help"); !strings.HasSuffix(out, want) {
			t.Errorf("tmonbench %s --help does not end with the exit statuses:\n%s", c.name, out)
		}
	}
}

// TestCompletionBash sources the bash script the binary prints (the way
// the usage text says) and asks bash to complete: the subcommands of the
// table, a subcommand's flags, the named queries after `query`.
func TestCompletionBash(t *testing.T) {
	t.Parallel()
	testenv.Tool(t, "bash")
	bin := buildBinary(t)
	script := `source <("$BIN" completion bash) || exit 1
complete -p tmonbench
comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _tmonbench; echo "${COMPREPLY[*]}"; }
comp tmonbench ''
comp tmonbench replay --sp
comp tmonbench query --fo
comp tmonbench query top-
comp tmonbench completion ''
`
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(cmd.Environ(), "BIN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("bash printed %d lines, want 6:\n%s", len(lines), out)
	}
	if lines[0] != "complete -o filenames -F _tmonbench tmonbench" {
		t.Errorf("complete -p: %q", lines[0])
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if got := strings.Fields(lines[1]); !slices.Equal(got, names) {
		t.Errorf("subcommands completed: %v, want %v", got, names)
	}
	if lines[2] != "--speed" {
		t.Errorf("replay --sp completes to %q, want --speed", lines[2])
	}
	if lines[3] != "--format" {
		t.Errorf("query --fo completes to %q, want --format", lines[3])
	}
	var top []string
	for _, q := range queries.List() {
		if strings.HasPrefix(q.Name, "top-") {
			top = append(top, q.Name)
		}
	}
	if len(top) == 0 || lines[4] != strings.Join(top, " ") {
		t.Errorf("query top- completes to %q, want the named queries %v", lines[4], top)
	}
	if lines[5] != "bash zsh fish" {
		t.Errorf("completion completes to %q", lines[5])
	}
}

// TestCompletionScripts: the zsh and fish scripts name every subcommand
// of the table with its summary and every flag of every subcommand; zsh
// parses its script, registers _tmonbench through compinit and offers
// the subcommands, a subcommand's flags and the completion shells; fish
// completes subcommands, flags and named queries with it (CI installs
// both shells).
func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	table := completionTable()
	for _, sh := range []string{"zsh", "fish"} {
		var out, errb strings.Builder
		if code := run([]string{"completion", sh}, &out, &errb); code != 0 {
			t.Fatalf("completion %s: exit %d: %s", sh, code, errb.String())
		}
		s := out.String()
		for _, c := range table {
			if !strings.Contains(s, c.name) || !strings.Contains(s, c.summary) {
				t.Errorf("%s script lacks subcommand %s (%q)", sh, c.name, c.summary)
			}
			for _, f := range c.flags {
				want := "--" + f.name + "["
				if sh == "fish" {
					want = "__fish_seen_subcommand_from " + c.name + "' -l " + f.name
				} else if f.short != "" {
					want = "{-" + f.short + ",--" + f.name + "}'["
				}
				if !strings.Contains(s, want) {
					t.Errorf("%s script lacks %s --%s (%q)", sh, c.name, f.name, want)
				}
			}
		}
	}
	var replayFlags int
	for _, c := range table {
		if c.name == "replay" {
			replayFlags = len(c.flags)
		}
	}
	if replayFlags < 5 {
		t.Errorf("replay has %d flags in the completion table", replayFlags)
	}
	dir := t.TempDir()
	for _, sh := range []string{"zsh", "fish"} {
		var out strings.Builder
		run([]string{"completion", sh}, &out, &strings.Builder{})
		os.WriteFile(filepath.Join(dir, sh), []byte(out.String()), 0o644)
	}
	zsh := exec.Command(testenv.Tool(t, "zsh"), "-c", `autoload -U compinit && compinit -u -d "$1/zcompdump" && source "$1/zsh" && print -- ${_comps[tmonbench]}`, "zsh", dir)
	if out, err := zsh.CombinedOutput(); err != nil || string(out) != "_tmonbench\n" {
		t.Errorf("zsh: %v %q, want _tmonbench registered", err, out)
	}
	// The candidates: _describe and _arguments replaced by functions that
	// print what the script hands them.
	zsh = exec.Command("zsh", "-c", `compdef() { :; }; source "$1/zsh"
_describe() { local a=${@[-1]}; print -l -- ${(P)a} }
_arguments() { print -l -- "$@" }
words=(tmonbench ''); CURRENT=2; _tmonbench | cut -d: -f1 | tr '\n' ' '; print
words=(tmonbench replay --sp); CURRENT=3; _tmonbench | grep -c -- '--speed\['
words=(tmonbench completion ''); CURRENT=3; _tmonbench | tail -1`, "zsh", dir)
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	want := strings.Join(names, " ") + " \n1\n1:argument:(bash zsh fish)\n"
	if out, err := zsh.CombinedOutput(); err != nil || string(out) != want {
		t.Errorf("zsh candidates: %v\n%s\nwant\n%s", err, out, want)
	}
	fish := exec.Command(testenv.Tool(t, "fish"), "--no-config", "-c", `source $argv[1]; complete -C 'tmonbench rep'; complete -C 'tmonbench replay --sp'; complete -C 'tmonbench query top-'`, dir+"/fish")
	out, err := fish.CombinedOutput()
	var top []string
	for _, q := range queries.List() {
		if strings.HasPrefix(q.Name, "top-") {
			top = append(top, q.Name)
		}
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		word, _, _ := strings.Cut(l, "\t")
		got = append(got, word)
	}
	if want := append([]string{"replay", "report", "--speed"}, top...); err != nil || !slices.Equal(got, want) {
		t.Errorf("fish completes %q (%v), want %q", got, err, want)
	}
	var errb strings.Builder
	if code := run([]string{"completion", "tcsh"}, &strings.Builder{}, &errb); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2 (%s)", code, errb.String())
	}
}

// TestVersion: `tmonbench version` prints the tool version, the module,
// the commit line, the Go version the binary was built with and the
// DuckDB library version (asked from DuckDB itself). The tests' binary is
// built as `just build` builds it, stamped with -ldflags -X main.commit:
// in a git checkout (a worktree too, where Go's own stamping fails,
// golang/go#58218) the commit line is `git rev-parse HEAD`; outside one,
// it says why it is unknown. commitLine is checked for every source:
// the stamp, Go's vcs.* settings, neither (-buildvcs=false).
func TestVersion(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(buildBinary(t), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	wantCommit := "commit  " + noCommit
	if c := testout.Commit(testout.ModuleRoot(t)); c != "" {
		wantCommit = "commit  " + c + " (-ldflags -X main.commit)"
	}
	want := []string{"tmonbench " + version, "module  github.com/tmonbench/tmonbench ", wantCommit,
		"go      " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, "duckdb  v1."}
	if len(lines) != len(want) {
		t.Fatalf("version printed %q", out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want it to start with %q", i+1, lines[i], w)
		}
	}
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0708b6c4"}, {Key: "vcs.time", Value: "2026-12-04T05:00:00Z"}}
	for _, c := range []struct {
		settings []debug.BuildSetting
		stamped  string
		want     string
	}{
		{nil, "", noCommit},
		{[]debug.BuildSetting{{Key: "-buildmode", Value: "exe"}}, "", noCommit},
		{vcs, "", "0708b6c4 (2026-12-04T05:00:00Z)"},
		{nil, "299c7f7d-dirty", "299c7f7d-dirty (-ldflags -X main.commit)"},
		{vcs, "299c7f7d", "299c7f7d (-ldflags -X main.commit)"},
	} {
		if got := commitLine(c.settings, "(devel)", c.stamped); got != c.want {
			t.Errorf("commitLine(%v, %q) = %q, want %q", c.settings, c.stamped, got, c.want)
		}
	}
	if !strings.Contains(noCommit, "-buildvcs=false") || !strings.Contains(noCommit, "worktree") {
		t.Errorf("the unknown commit does not say why: %q", noCommit)
	}
	for _, c := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, "none"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0708b6c4"}, {Key: "vcs.time", Value: "2026-12-04T05:00:00Z"}, {Key: "vcs.modified", Value: "false"}}, "0708b6c4 (2026-12-04T05:00:00Z)"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0708b6c4"}, {Key: "vcs.time", Value: "2026-12-04T05:00:00Z"}, {Key: "vcs.modified", Value: "true"}}, "0708b6c4 (2026-12-04T05:00:00Z, modified)"},
	} {
		if got := vcsCommit(c.settings, "none"); got != c.want {
			t.Errorf("vcsCommit(%v) = %q, want %q", c.settings, got, c.want)
		}
	}
}
