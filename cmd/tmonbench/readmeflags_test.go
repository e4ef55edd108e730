package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeReplayFlags: README.md's table of `tmonbench replay` flags
// left out --tui, which replay --help lists (a trial reading the README
// line by line did not learn it there). Every flag of replay --help is now
// named in the table, as `--NAME`.
func TestReadmeReplayFlags(t *testing.T) {
	_, help, _ := tmon(t, "replay", "--help")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "`tmonbench replay` flags:")
	if start < 0 {
		t.Fatal("README.md: no \"`tmonbench replay` flags:\" table")
	}
	table := text[start:]
	if end := strings.Index(table, "\n\n"+"Captures may be"); end > 0 {
		table = table[:end]
	}
	flags := regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z-]+)`).FindAllStringSubmatch(help, -1)
	if len(flags) < 10 {
		t.Fatalf("replay --help: %d flags found in\n%s", len(flags), help)
	}
	for _, f := range flags {
		if f[1] == "--help" {
			continue
		}
		if !strings.Contains(table, "`"+f[1]) {
			t.Errorf("README.md's replay flags table does not name %s", f[1])
		}
	}
}

// TestSpeedBenchFlags: docs/speed.md's synopsis of `tmonbench bench`
// left out --stages, --tmp and -q, which bench --help lists (a trial
// benchmarking probe hardware from docs/speed.md did not learn them
// there). Every flag of bench --help is now in the synopsis, as `--NAME`
// or `-X` for a flag with a shorthand.
func TestSpeedBenchFlags(t *testing.T) {
	_, help, _ := tmon(t, "bench", "--help")
	doc, err := os.ReadFile("../../docs/speed.md")
	if err != nil {
		t.Fatal(err)
	}
	synopsis := regexp.MustCompile(`(?m)^tmonbench bench \[.*$`).FindString(string(doc))
	if synopsis == "" {
		t.Fatal("docs/speed.md: no `tmonbench bench [flags] PCAP...` synopsis")
	}
	flags := regexp.MustCompile(`(?m)^\s+(?:(-\w), )?(--[a-z-]+)`).FindAllStringSubmatch(help, -1)
	if len(flags) < 10 {
		t.Fatalf("bench --help: %d flags found in\n%s", len(flags), help)
	}
	for _, f := range flags {
		if f[2] == "--help" {
			continue
		}
		if !strings.Contains(synopsis, "["+f[2]) && (f[1] == "" || !strings.Contains(synopsis, "["+f[1]+"]")) {
			t.Errorf("docs/speed.md's bench synopsis does not name %s", f[2])
		}
	}
}

// TestReadmeProbeSpeed: README.md's command list says the speed `probe
// --pcap` replays at by default, as probe --help does: realtime, unlike
// replay's full (the ninth trial expected replay's default and would wait
// a capture's whole span; the README named no --speed for probe).
func TestReadmeProbeSpeed(t *testing.T) {
	_, help, _ := tmon(t, "probe", "--help")
	// --help wraps flag usages (TestHelpFlagsWrapped): the --speed line
	// and its continuation lines, indented past a flag's own line
	block := regexp.MustCompile(`--speed SPEED [^\n]*(?:\n {10,}[^\n]*)*`).FindString(help)
	block = strings.Join(strings.Fields(block), " ")
	m := regexp.MustCompile(`\(default "(\w+)"\)`).FindStringSubmatch(block)
	if m == nil {
		t.Fatalf("probe --help names no default --speed:\n%s", help)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "tmonbench probe --config C --name N --pcap F")
	line, _, _ := strings.Cut(after, "\ntmonbench probe --config C --name N -i IFACE")
	if want := "[--speed S]: " + m[1] + " by default"; !ok || !strings.Contains(line, want) {
		t.Errorf("README.md's probe --pcap line %q does not say %q (probe --help: default %q)", line, want, m[1])
	}
}
