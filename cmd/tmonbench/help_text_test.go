package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestHelpTexts: the help texts a trial found contradicting themselves or
// each other. probe's --iface said both "default: each interface of a
// pcapng by its if_name" and (default "if0"); the top-level help had
// `collector --config C --listen ADDR --out DIR` where collector --help
// and README have --listen optional (the config's first collector
// address) and --out defaulting to ./tmon-out (./tmon-collector now, see
// TestCollectorDefaultOutAfterReplay); merge listed --config,
// --dns and --geoip without saying only --rollup uses them.
func TestHelpTexts(t *testing.T) {
	_, probe, _ := tmon(t, "probe", "--help")
	for _, line := range strings.Split(probe, "\n") {
		if strings.Contains(line, "--iface") && strings.Contains(line, "(default") {
			t.Errorf("probe --help: %q: a default beside 'without it, ... by its if_name'", line)
		}
	}
	const usage = "collector --config C [--listen ADDR] [--out DIR]"
	_, top, _ := tmon(t, "--help")
	_, coll, _ := tmon(t, "collector", "--help")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(top, usage) || !strings.Contains(string(readme), usage) || !strings.HasPrefix(coll, "Usage: tmonbench collector --config FILE [--listen ADDR] [--out DIR]") {
		t.Errorf("collector's synopsis differs between tmonbench --help, collector --help and README.md; want %q in each", usage)
	}
	_, merge, _ := tmon(t, "merge", "--help")
	for _, f := range []string{"--config", "--dns", "--geoip"} {
		for _, line := range strings.Split(merge, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), f+" ") && !strings.Contains(line, "with --rollup") {
				t.Errorf("merge --help: %q does not say it needs --rollup", line)
			}
		}
	}
	code, _, stderr := tmon(t, "probe", "--config", "x.yaml", "--name", "A", "-i", "lo", "--iface", "eth0")
	if code != 2 || !strings.Contains(stderr, "--iface NAME names a --pcap capture's interface") {
		t.Errorf("probe -i with --iface: exit %d, %q; want a refusal (exit 2)", code, stderr)
	}
}

// TestWorkersHelp: every --workers help (replay, bench, probe, live) says
// what was found on 2 cores and where the measured figures are
// (docs/speed.md, "Output on the 5 M corpus"), without quoting a figure:
// the help said 3.7x and 2.8x after docs/speed.md's table said 3.2x and
// 2.4x. Not that 0 is "the fastest" (bench said so, the others nothing),
// and not more than was measured.
func TestWorkersHelp(t *testing.T) {
	for _, cmd := range []string{"replay", "bench", "probe", "live"} {
		_, help, _ := tmon(t, cmd, "--help")
		// --help wraps flag usages (TestHelpFlagsWrapped): the
		// --workers line and its continuation lines (indented past
		// the 6 spaces of a flag's own line), joined.
		var line string
		in := false
		for _, l := range strings.Split(help, "\n") {
			tl := strings.TrimSpace(l)
			switch {
			case in && tl != "" && len(l)-len(strings.TrimLeft(l, " ")) > 6:
				line += " " + tl
			case strings.HasPrefix(tl, "--workers "):
				line, in = l, true
			default:
				in = false
			}
		}
		for _, want := range []string{"0 (default)", "On 2 cores", "more CPU", "no less wall time", "docs/speed.md", "Output on the 5 M corpus", "not measured"} {
			if !strings.Contains(line, want) {
				t.Errorf("%s --help: %q lacks %q", cmd, line, want)
			}
		}
		if figure := regexp.MustCompile(`[0-9]+(\.[0-9]+)? ?[x×]`).FindString(line); figure != "" {
			t.Errorf("%s --help: %q quotes a measured figure (%q): it goes stale, docs/speed.md has them", cmd, line, figure)
		}
		if strings.Contains(line, "fastest") {
			t.Errorf("%s --help: %q: 'fastest' is not what was measured", cmd, line)
		}
	}
}
