package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// summary is what a config runs: per class, its name, analyses and
// round-trip kinds.
func summary(c *Config) []string {
	var s []string
	for _, cl := range c.Classes {
		s = append(s, cl.Name+" "+strings.Join(cl.Analyses, ",")+" "+strings.Join(cl.RTT.Kinds, ","))
	}
	return s
}

// TestFileKeepsDefaults: "every field is optional" holds for a file with
// only interval_s: the default classes and analyses run, nothing is
// turned off, the interval is the file's. So does `{}` (a file with no
// setting at all is refused: TestEmptyRefused).
func TestFileKeepsDefaults(t *testing.T) {
	for _, text := range []string{"interval_s: 10\n", "{}\n", "# nothing but a comment\n{}\n", "flow_table: {max_flows: 1000}\n"} {
		c, err := Parse([]byte(text), "f.yaml")
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got, want := summary(c), summary(Default()); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: classes %q, want the default %q", text, got, want)
		}
		if !c.ClassesFromDefault() || len(c.Warnings()) != 0 {
			t.Errorf("%q: from default %v, warnings %q", text, c.ClassesFromDefault(), c.Warnings())
		}
	}
	c, _ := Parse([]byte("interval_s: 10\n"), "f.yaml")
	if c.IntervalS != 10 || c.FlowTable.MaxFlows != 1<<20 {
		t.Errorf("interval %v, max_flows %d", c.IntervalS, c.FlowTable.MaxFlows)
	}
}

// TestClassesReplaceDefaults: a file's classes replace the default ones as
// a whole (plus "all", counters only, when the file has none), and every
// analysis the default ran that no class runs any more is warned about,
// on one line.
func TestClassesReplaceDefaults(t *testing.T) {
	c, err := Parse([]byte("classes:\n  - name: web\n    filter: tcp port 80\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(c), []string{"all counters ", "web counters "}; !reflect.DeepEqual(got, want) {
		t.Errorf("classes %q, want %q", got, want)
	}
	want := "f.yaml: no class runs the tcp, rtt, ftp analyses the default configuration runs (no tcp_connections, rtt_samples, rtt_histograms, ftp_sessions, ftp_transfers rows): the file's classes replace the default ones; add them to a class's analyses, or leave classes: out to keep the default ones"
	if w := c.Warnings(); len(w) != 1 || w[0] != want {
		t.Errorf("want one line:\n%s\ngot %q", want, w)
	}
	// One analysis dropped: named with the line to add.
	c, _ = Parse([]byte("classes:\n  - name: all\n    analyses: [counters, tcp, rtt]\n"), "k.yaml")
	if w := c.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "k.yaml: no class runs the ftp analysis the default configuration runs (no ftp_sessions, ftp_transfers rows)") ||
		!strings.Contains(w[0], `add "ftp" to a class's analyses`) {
		t.Errorf("warnings %q", w)
	}
	// rtt kept, but only for dns: the other kinds are warned about.
	c, err = Parse([]byte("classes:\n  - name: all\n    analyses: [counters, tcp, rtt]\n    rtt: {kinds: [dns]}\n  - name: ftp\n    filter: tcp port 21\n    analyses: [ftp]\n"), "g.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 2 || !strings.Contains(w[0], "g.yaml: no rtt class matches the round trips icmp_echo, tcp_handshake, snmp, ntp") ||
		!strings.HasPrefix(w[1], "g.yaml: class ftp leaves counters out of its analyses") { // TestWarnsNoCounters
		t.Errorf("warnings %q", w)
	}
	// An empty kinds list matches every kind: nothing is lost.
	c, _ = Parse([]byte("classes:\n  - name: all\n    analyses: [counters, tcp, rtt, ftp]\n"), "h.yaml")
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	if w := Default().Warnings(); len(w) != 0 {
		t.Errorf("default warns %q", w)
	}
}

// TestEffectiveYAMLRoundTrip: the effective YAML parses back to the same
// configuration (same effective YAML, same hash), for the default and
// for the example configs.
func TestEffectiveYAMLRoundTrip(t *testing.T) {
	cfgs := []*Config{Default()}
	for _, f := range []string{"example.yaml", "oneway-lab.yaml"} {
		c, err := Load(filepath.Join("..", "..", "samples", f))
		if err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, c)
	}
	c, _ := Parse([]byte("interval_s: 10\n"), "interval.yaml")
	cfgs = append(cfgs, c)
	for _, c := range cfgs {
		y := c.EffectiveYAML()
		back, err := Parse(y, c.File())
		if err != nil {
			t.Fatalf("%s: effective YAML does not parse: %v\n%s", c.File(), err, y)
		}
		_, body, _ := strings.Cut(string(y), "\n")
		_, body2, _ := strings.Cut(string(back.EffectiveYAML()), "\n")
		if body != body2 || back.Hash() != c.Hash() {
			t.Errorf("%s: round trip differs:\n%s\n---\n%s", c.File(), body, body2)
		}
		if !strings.HasPrefix(string(y), "# effective configuration of "+c.File()) || !strings.Contains(string(y), "interval_s: ") || !strings.Contains(string(y), "name: all") {
			t.Errorf("%s: effective YAML:\n%s", c.File(), y)
		}
	}
	if !strings.Contains(string(Default().EffectiveYAML()), "classes: the default ones") {
		t.Error("the default's effective YAML does not say its classes are the default ones")
	}
}

// TestYAMLErrorLine: a value of the wrong type is reported at its line,
// with the field's path and what the field wants (not yaml.v3's
// "cannot unmarshal !!str" for a scalar); a syntax error is
// FILE:LINE:COL: (FILE:LINE: when its column is not known) and what is
// wrong, a file that is no mapping (a text, a list) FILE:LINE:.
func TestYAMLErrorLine(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"interval_s: ten\n", `f.yaml:1:1: interval_s: want a number of seconds, got "ten"`},
		{"interval_s: 10\nclasses:\n  - name: a\n    idle_timeout_s: soon\n", `f.yaml:4:5: classes[0].idle_timeout_s: want a number of seconds, got "soon"`},
		{"classes:\n  - name: a\n    analyses: [rtt]\n    rtt:\n      slices_ms: [1, x]\n", `f.yaml:5:22: classes[0].rtt.slices_ms[1]: want a number of milliseconds, got "x"`},
		{"flow_table:\n  max_flows: [1]\n", "f.yaml:2:3: flow_table.max_flows: want a number, got a list"},
		{"interval_s: \"abc\"\nclasses:\n  - name: a\n    upper_layer: maybe\n",
			"f.yaml: 2 errors:\n" +
				`f.yaml:1:1: interval_s: want a number of seconds, got "abc"` + "\n" +
				`f.yaml:4:5: classes[0].upper_layer: want true or false, got "maybe"`},
		// a syntax error: FILE:LINE:COL: what is wrong, the column of the
		// token at fault as PyYAML 6.0.3 (libyaml's scanner and parser,
		// which yaml.v3 ports) gives it, its problem_mark (python3 -c
		// "import yaml; yaml.safe_load(open('f.yaml'))"); yaml.v3 gives
		// none. A flow sequence left open: no column (PyYAML's is past
		// the line yaml.v3 names, 2:1 here), FILE:LINE: what
		{"interval_s: [1\n", "f.yaml:1: did not find expected ',' or ']'"},
		{"a: [1, 2\nb: 3\n", "f.yaml:1: did not find expected ',' or ']'"},
		// the fault on line 3 (yaml.v3 says line 1: the sequence it was
		// parsing begins on line 2, counted from 0), column 4: PyYAML 3:4
		{"classes:\n  - name: d\n   filter: \"udp\"\n", "f.yaml:3:4: did not find expected '-' indicator"},
		{"interval_s: 5\nclasses:\n  - name: d\n    filter: udp\n  - name: e\n   filter: tcp\n", "f.yaml:6:4: did not find expected '-' indicator"},
		// an unclosed quote on line 9 after a valid quoted filter over
		// lines 4-5: yaml.v3 says line 9; cutting the text inside the
		// filter on line 4 fails alike but names line 4 (a review: line 4
		// was reported); column 13, the quote never closed (PyYAML:
		// "while scanning a quoted scalar in line 9, column 13")
		{"interval_s: 10\nclasses:\n  - name: a\n    filter: \"tcp\n      or udp\"\n  - name: b\n    filter: udp\n  - name: c\n    filter: \"icmp\n", "f.yaml:9:13: found unexpected end of stream"},
		// a scanner error: yaml.v3's line was right, and stays; PyYAML
		// 4:5, the ':'
		{"a: 1\nb:\n  - x\n   y: 2\n", "f.yaml:4:5: mapping values are not allowed in this context"},
		{"classes:\n  - name: d\n    filter: udp\n      extra: 1\n", "f.yaml:4:12: mapping values are not allowed in this context"},
		// columns in characters: PyYAML 1:5 after a 2-byte é
		{"a: é: c\n", "f.yaml:1:5: mapping values are not allowed in this context"},
		// a tab where indentation goes: PyYAML 3:1
		{"classes:\n  - name: a\n\tfilter: udp\n", "f.yaml:3:1: found a tab character that violates indentation"},
		{"hi\n", "f.yaml:1: not a tmonbench configuration: want a YAML mapping of settings (interval_s: 60, classes: ...; tmonbench config prints the default)"},
		{"# settings\n\n- 1\n- 2\n", "f.yaml:3: not a tmonbench configuration: want a YAML mapping of settings (interval_s: 60, classes: ...; tmonbench config prints the default)"},
	} {
		_, err := Parse([]byte(c.text), "f.yaml")
		var e *Error
		if !errors.As(err, &e) || err.Error() != c.want || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want %s", c.text, err, c.want)
		}
	}
}

// TestDefaultYAMLDocumentsMerge: the embedded default (printed by
// `tmonbench config`) says how a file combines with it.
func TestDefaultYAMLDocumentsMerge(t *testing.T) {
	s := string(DefaultYAML())
	for _, want := range []string{"Every field is optional", "replace", "config --effective"} {
		if !strings.Contains(s, want) {
			t.Errorf("default.yaml does not say %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "..", "samples", "example.yaml")); err != nil {
		t.Fatal(err)
	}
}

// TestSampleWarnings: the samples with only a one-way class (the README's
// oneway-lab and dist recipes) get one warning line, naming the three
// analyses they leave out.
func TestSampleWarnings(t *testing.T) {
	for _, name := range []string{"oneway-lab.yaml", "dist.yaml"} {
		path := filepath.Join("..", "..", "samples", name)
		c, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], path+": no class runs the tcp, rtt, ftp analyses the default configuration runs") {
			t.Errorf("%s: %q", name, w)
		}
	}
}

// TestRedactedYAML: what a run records holds no probe key nor any digest
// of one, parses back, and its hash (run.json's config_hash beside it) is
// the recorded text's, so the file gives nothing to test a guessed key
// against (a review recovered "secret-a" and "secret-b" from a
// three-word list when the hash covered the keys and each key had an
// unsalted SHA-256 prefix); a keyed probe still hashes apart from an
// unkeyed one.
func TestRedactedYAML(t *testing.T) {
	parse := func(y string) *Config {
		t.Helper()
		c, err := Parse([]byte(y), "k.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := parse("probes:\n  - {name: A, key: \"secret-a\"}\n  - {name: B, key: \"secret-b\"}\n")
	h := c.Hash()
	y := string(c.RedactedYAML())
	for _, secret := range []string{"secret-", "8766b9cb", "ff492ef7"} { // the keys, their SHA-256 prefixes (printf %s secret-a | sha256sum)
		if strings.Contains(y, secret) {
			t.Errorf("redacted YAML holds %q:\n%s", secret, y)
		}
	}
	if c.Probes[0].Key != "secret-a" || c.Hash() != h {
		t.Errorf("RedactedYAML changed the config: key %q", c.Probes[0].Key)
	}
	back := parse(y)
	if back.Probes[0].Key != RedactedKey || back.Probes[1].Key != RedactedKey {
		t.Errorf("keys recorded as %q, %q", back.Probes[0].Key, back.Probes[1].Key)
	}
	if back.Hash() != h {
		t.Errorf("the recorded text hashes to %s, the run's hash is %s: the hash depends on the keys", back.Hash(), h)
	}
	if other := parse("probes:\n  - {name: A, key: \"guess-1\"}\n  - {name: B, key: \"guess-2\"}\n"); other.Hash() != h {
		t.Errorf("other keys hash to %s, not %s", other.Hash(), h)
	}
	if unkeyed := parse("probes:\n  - {name: A}\n  - {name: B}\n"); unkeyed.Hash() == h {
		t.Errorf("unkeyed probes hash as keyed ones: %s", h)
	}
}

// TestEffectiveEmptyKinds: config --effective printed "kinds: []" for an
// rtt class without kinds, read as none by a trial, though empty means
// every kind (RTTOptions.Kinds): the line names the kinds timed, and the
// text still reads back to the same configuration and hash.
func TestEffectiveEmptyKinds(t *testing.T) {
	cfg, err := Parse([]byte("classes:\n  - name: d\n    filter: udp\n    analyses: [counters, rtt]\n  - name: e\n    filter: tcp\n    analyses: [counters]\n"), "k.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := string(cfg.EffectiveYAML())
	const want = "kinds: [] # empty: every kind is timed: icmp_echo, dns, snmp, ntp, tcp_handshake, tcp_ts\n"
	if strings.Count(out, want) != 1 { // class e runs no rtt: no note
		t.Errorf("effective YAML has %d lines %q, want 1:\n%s", strings.Count(out, want), want, out)
	}
	back, err := Parse([]byte(out), "k.yaml")
	if err != nil || back.Hash() != cfg.Hash() {
		t.Errorf("read back: %v, hash %s, want %s", err, back.Hash(), cfg.Hash())
	}
}

// TestWarnsNoCounters: a class whose analyses leave counters out writes no
// packet, byte or protocol counters for its flows (docs/configuration.md,
// TestCountersAnalysisOff), fewer flow_counters rows than such a file
// wrote before 2026-12-06: Warnings says so, in one line naming every
// such class, for every command that loads the file. Nothing said it at
// run time; a class without a list (counters) and the class all added
// for a file without one are not named (rest, all below).
func TestWarnsNoCounters(t *testing.T) {
	c, err := Parse([]byte("classes:\n  - name: web\n    filter: tcp\n    analyses: [tcp]\n  - name: dns\n    filter: udp port 53\n    analyses: []\n  - name: rest\n    filter: udp\n"), "n.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "n.yaml: classes web, dns leave counters out of their analyses: no packet, byte or protocol counters in flow_counters for their flows, only other analyses' metrics (until 2026-12-06 every class counted); add counters to their analyses to keep them"
	if w := c.Warnings(); len(w) != 2 || w[1] != want {
		t.Errorf("warnings %q\nwant the second\n%s", w, want)
	}
	// no class counts: the line on the analyses no class runs says it, once
	c, _ = Parse([]byte("classes:\n  - name: all\n    analyses: [tcp, rtt, ftp]\n"), "o.yaml")
	if w := c.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "o.yaml: no class runs the counters analysis the default configuration runs") {
		t.Errorf("warnings %q", w)
	}
}
