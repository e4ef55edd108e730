package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestIntervalOnlyConfigKeepsDefaults (issue 9.1): a file holding only
// interval_s: 10 runs the default classes and analyses: the 16 FTP
// transfers of lab/ftp (ftp_transfers.csv) are found, as with no config,
// and nothing is warned about.
func TestIntervalOnlyConfigKeepsDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "i10.yaml")
	os.WriteFile(cfg, []byte("interval_s: 10\n"), 0o644)
	out := filepath.Join(dir, "o")
	code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, testsamples.Path(t, "lab", "ftp", "A.pcap"))
	if code != 0 || stderr != "" {
		t.Fatalf("replay: exit %d, stderr %q", code, stderr)
	}
	_, stdout, _ := tmon(t, "query", "--out", out, "--format", "csv", "--sql",
		"select (select count(*) from ftp_transfers) ftp, (select count(*) > 0 from tcp_connections) tcp, (select count(*) > 0 from rtt_samples) rtt, (select min(interval_s) from flow_counters) iv")
	if stdout != "ftp,tcp,rtt,iv\n16,true,true,10\n" {
		t.Errorf("got %q, want 16 transfers, TCP and RTT rows, 10 s intervals", stdout)
	}
}

// TestConfigEffective: `config --effective` prints what will run; a file
// whose classes drop analyses the default runs is warned about on stderr
// by every command that loads it.
func TestConfigEffective(t *testing.T) {
	dir := t.TempDir()
	i10 := filepath.Join(dir, "i10.yaml")
	os.WriteFile(i10, []byte("interval_s: 10\n"), 0o644)
	code, stdout, stderr := tmon(t, "config", "--effective", "--config", i10)
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "# effective configuration of "+i10+" (every default applied; classes: the default ones)\ninterval_s: 10\n") ||
		!strings.Contains(stdout, "analyses: [counters, ftp]") || !strings.Contains(stdout, "kinds: [icmp_echo, tcp_handshake]") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	code, def, _ := tmon(t, "config")
	if code != 0 || !strings.Contains(def, "Every field is optional") {
		t.Errorf("config: %d\n%s", code, def)
	}
	web := filepath.Join(dir, "web.yaml")
	os.WriteFile(web, []byte("classes:\n  - name: web\n    filter: tcp port 80\n"), 0o644)
	code, stdout, stderr = tmon(t, "config", "--effective", "--config", web)
	if code != 0 || !strings.Contains(stdout, "- name: web") || strings.Count(stderr, "tmonbench config: warning: "+web+": no class runs the tcp, rtt, ftp analyses ") != 1 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	// a collector entry shows the regulation it runs with, not zeros
	// (max_retries: 0 would read as "never retry")
	code, stdout, _ = tmon(t, "config", "--effective", "--config", filepath.Join("..", "..", "samples", "dist.yaml"))
	if code != 0 || !strings.Contains(stdout, "    max_retries: 5\n") || !strings.Contains(stdout, "    initial_timeout_s: 2\n") || strings.Contains(stdout, "heartbeat_s: 0\n") {
		t.Errorf("dist.yaml's collectors: exit %d\n%s", code, stdout)
	}
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	code, _, stderr = tmon(t, "replay", "-q", "--config", web, "--out", filepath.Join(dir, "o"), wiki)
	if code != 0 || strings.Count(stderr, "no class runs the tcp, rtt, ftp analyses") != 1 {
		t.Errorf("replay: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := tmon(t, "config", "--config", web); code != 2 || !strings.Contains(stderr, "--config needs --effective") {
		t.Errorf("config --config without --effective: %d %q", code, stderr)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("interval_s: 10\nclasses:\n  - name: a\n    idle_timeout_s: soon\n"), 0o644)
	if code, _, stderr := tmon(t, "config", "--effective", "--config", bad); code != 1 || stderr != "tmonbench config: "+bad+":4:5: classes[0].idle_timeout_s: want a number of seconds, got \"soon\"\n" {
		t.Errorf("bad YAML: %d %q", code, stderr)
	}
	// A filter the sieve refuses: the error alone, at the filter's line,
	// with no warning about the classes of a config that will not run.
	portt := filepath.Join(dir, "portt.yaml")
	os.WriteFile(portt, []byte("interval_s: 10\nclasses:\n  - name: web\n    filter: \"tcp portt 80\"\n"), 0o644)
	want := "tmonbench replay: " + portt + ":4:5: classes[0].filter: \"tcp portt 80\" (class web): expected 'and' or 'or' before \"portt\" at offset 4\n"
	if code, _, stderr := tmon(t, "replay", "-q", "--config", portt, "--out", filepath.Join(dir, "p"), wiki); code != 1 || stderr != want {
		t.Errorf("bad filter: %d\n%s\nwant\n%s", code, stderr, want)
	}
}

// TestRunJSONKeepsConfig (issue 9.9): run.json keeps the effective
// configuration's text, which parses back to the same configuration.
func TestRunJSONKeepsConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "i10.yaml")
	os.WriteFile(cfg, []byte("interval_s: 10\n"), 0o644)
	out := filepath.Join(dir, "o")
	wiki := filepath.Join("..", "..", "samples", "zeek_wikipedia.pcap")
	if code, _, stderr := tmon(t, "replay", "-q", "--config", cfg, "--out", out, wiki); code != 0 {
		t.Fatal(stderr)
	}
	m, err := store.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse([]byte(m.Config), "run.json")
	if err != nil || c.Hash() != m.ConfigHash || c.IntervalS != 10 || len(c.Classes) != len(config.Default().Classes) {
		t.Errorf("run.json config (%v, hash %s vs %s):\n%s", err, c.Hash(), m.ConfigHash, m.Config)
	}
}

// TestIntervalZeroIsDefault: --interval 0 is what interval_s: 0 is in a
// config, the default 60 s (config.DefaultIntervalS), even over a file's
// interval_s: 10; it was refused ("must be between 1 and 86400") while
// the file's 0 ran 60 s intervals.
func TestIntervalZeroIsDefault(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "i10.yaml")
	os.WriteFile(cfg, []byte("interval_s: 10\n"), 0o644)
	pcap := testsamples.Path(t, "lab", "ftp", "A.pcap")
	for _, c := range []struct {
		args []string
		want float64
	}{
		{[]string{"--interval", "0", pcap}, 60},
		{[]string{"--config", cfg, "--interval", "0", pcap}, 60},
		{[]string{"--config", cfg, pcap}, 10},
		{[]string{"--config", cfg, "--interval", "30", pcap}, 30},
	} {
		fs := pflag.NewFlagSet("replay", pflag.ContinueOnError)
		_, check := replayFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		a, err := check(io.Discard)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if a.cfg.IntervalS != c.want {
			t.Errorf("%q: interval_s %g, want %g", c.args, a.cfg.IntervalS, c.want)
		}
	}
}

// TestKeysCheckedAtLoad: tui.keys remaps the TUI refuses (a key of two
// actions, an unknown action) are refused by every command that loads the
// file, with the line; config --effective and replay without --tui
// accepted them and only tmonbench tui refused them.
func TestKeysCheckedAtLoad(t *testing.T) {
	dir := t.TempDir()
	pcap := testsamples.Path(t, "lab", "ftp", "A.pcap")
	for _, c := range []struct{ yaml, want string }{
		{"interval_s: 10\ntui:\n  keys:\n    help: [x]\n    quit: [x]\n", `k.yaml:5:5: tui.keys.quit: key "x" is bound to both help and quit`},
		{"tui:\n  keys:\n    quitt: [x]\n", `k.yaml:3:5: tui.keys.quitt: unknown key action "quitt" (known: back,`},
		// one key alone (the sixth trial's D5: "want a list such as [a, b], got "x"" came first)
		{"tui:\n  keys:\n    quitt: x\n", `k.yaml:3:5: tui.keys.quitt: unknown key action "quitt" (known: back,`},
	} {
		cfg := filepath.Join(dir, "k.yaml")
		os.WriteFile(cfg, []byte(c.yaml), 0o644)
		for _, args := range [][]string{{"config", "--effective", "--config", cfg}, {"replay", "-q", "--config", cfg, "--out", filepath.Join(dir, "o"), pcap}} {
			code, _, stderr := tmon(t, args...)
			if code == 0 || !strings.Contains(stderr, c.want) {
				t.Errorf("%s with %q: exit %d, stderr %q, want %q", args[0], c.yaml, code, stderr, c.want)
			}
		}
	}
}
