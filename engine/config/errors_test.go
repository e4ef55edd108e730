package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorMessages: every refusal names the file, the line and the field
// ("c.yaml:LINE: FIELD: message", as README's "errors name the line and
// the field"), says what the field wants in words, not Go's types, and
// says what 0 stands for. Each row was found wrong by a tester (the
// comment says how); the whole message is compared.
func TestErrorMessages(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		// no line: the analysers' tables and reverse_dns were checked
		// without the document
		{"reassembly:\n  max_datagram_bytes: 10\n", "c.yaml:2:3: reassembly.max_datagram_bytes: must be between 576 and 65575 (0 or absent: 65575), got 10"},
		{"reassembly:\n  timeout_s: 30\n  max_fragments: -1\n", "c.yaml:3:3: reassembly.max_fragments: must be between 1 and 8192 (0 or absent: 256), got -1"},
		{"ftp_table:\n  linger_s: -3\n", "c.yaml:2:3: ftp_table.linger_s: must be more than 0 and at most 604800 seconds (0 or absent: 2), got -3"},
		{"tcp_table: {max_connections: -1}\n", "c.yaml:1:13: tcp_table.max_connections: must be between 1 and 16777216 (0 or absent: 65536), got -1"},
		{"enrich:\n  reverse_dns:\n    enabled: true\n    timeout_s: 90\n", "c.yaml:4:5: enrich.reverse_dns.timeout_s: must be above 0 and at most 60 (0 or absent: 2), got 90"},
		// no line: yaml.v3 names no line for a fault on the first one;
		// the columns are PyYAML 6.0.3's (its problem_mark: 1:1, 3:1,
		// 1:13): yaml.v3 gives none
		{"\tinterval_s: 10\n", "c.yaml:1:1: found character that cannot start any token (a tab: YAML indents with spaces only)"},
		{"interval_s: 10\nflow_table:\n\tmax_flows: 3\n", "c.yaml:3:1: found character that cannot start any token (a tab: YAML indents with spaces only)"},
		{"interval_s: `10`\n", "c.yaml:1:13: found character that cannot start any token"},
		// a number out of its Go type's range read "want a number"
		{"classes:\n  - name: a\n    fold_ports_above: 70000\n", "c.yaml:3:5: classes[0].fold_ports_above: must be between 0 and 65535 (0 or absent: no folding), got 70000"},
		{"classes:\n  - name: a\n    fold_ports_above: -1\n", "c.yaml:3:5: classes[0].fold_ports_above: must be between 0 and 65535 (0 or absent: no folding), got -1"},
		// Go's type names: "cannot unmarshal !!map into []config.Class"
		{"classes:\n  name: a\n", "c.yaml:2:3: classes: want a list of classes, got a mapping"},
		{"classes: 3\n", "c.yaml:1:1: classes: want a list of classes, got \"3\""},
		{"probes: {a: 1}\n", "c.yaml:1:1: probes: want a list of probes, got a mapping"},
		{"classes:\n  - name: a\n    analyses: [rtt]\n    rtt: {kinds: {a: 1}}\n", "c.yaml:4:11: classes[0].rtt.kinds: want a list such as [a, b], got a mapping"},
		{"flow_table: [1]\n", "c.yaml:1:1: flow_table: want settings (a mapping of name: value), got a list"},
		{"interval_s: [1]\n", "c.yaml:1:1: interval_s: want a number of seconds, got a list"},
		{"tui:\n  keys: [a]\n", "c.yaml:2:3: tui.keys: want a mapping of name: value, got a list"},
		{"enrich:\n  networks:\n    cidr: 10.0.0.0/8\n", "c.yaml:3:5: enrich.networks: want a list of networks, got a mapping"},
		// silent coercions: yaml.v3 truncates a fraction into an integer
		// field, and reads a quoted "yes" as true (while "10" is no number)
		{"flow_table:\n  max_flows: 2.7\n", "c.yaml:2:3: flow_table.max_flows: want a whole number, got 2.7"},
		{"reassembly:\n  max_fragments: 1.5\n", "c.yaml:2:3: reassembly.max_fragments: want a whole number, got 1.5"},
		{"classes:\n  - name: a\n    fold_ports_above: 1.5\n", "c.yaml:3:5: classes[0].fold_ports_above: want a whole number, got 1.5"},
		{"classes:\n  - name: a\n    fold_ports_above: 70000.0\n", "c.yaml:3:5: classes[0].fold_ports_above: must be between 0 and 65535 (0 or absent: no folding), got 70000.0"},
		// a flow table no machine holds was taken without a word: ~300 B
		// a flow (docs/memory.md) x 1e11 = 3e13 B = 27.3 TiB
		{"flow_table: {max_flows: 100000000000}\n", "c.yaml:1:14: flow_table.max_flows: must be between 1 and 67108864 (0 or absent: 1048576), got 100000000000 (~300 B a flow: 27.3 TiB)"},
		{"flow_table:\n  max_flows: .nan\n", "c.yaml:2:3: flow_table.max_flows: want a whole number, got .nan"},
		{"classes:\n  - name: a\n    upper_layer: \"yes\"\n", "c.yaml:3:5: classes[0].upper_layer: want true or false, got \"yes\" (a quoted text)"},
		{"enrich:\n  reverse_dns: {enabled: 'true'}\n", "c.yaml:2:17: enrich.reverse_dns.enabled: want true or false, got \"true\" (a quoted text)"},
		{"interval_s: \"10\"\n", "c.yaml:1:1: interval_s: want a number of seconds, got \"10\""},
		// settings of an analysis the class does not run were ignored
		// without a word (a new user's oneway: block without oneway in
		// analyses measured no delay; config --effective printed it with
		// signature_bits: 0 and timeout_s: 0)
		{"classes:\n  - name: o\n    filter: udp\n    oneway: {hops: [A, B]}\n", "c.yaml:4:5: classes[0].oneway: settings of the oneway analysis, which the class does not run (analyses: [counters]): add oneway to its analyses, or remove them"},
		{"classes:\n  - name: r\n    analyses: [counters, tcp]\n    rtt: {kinds: [dns]}\n", "c.yaml:4:5: classes[0].rtt: settings of the rtt analysis, which the class does not run (analyses: [counters, tcp]): add rtt to its analyses, or remove them"},
		{"classes:\n  - name: t\n    tcp: {boundary_only: true}\n", "c.yaml:3:5: classes[0].tcp: settings of the tcp analysis, which the class does not run (analyses: [counters]): add tcp to its analyses, or remove them"},
		{"classes:\n  - name: s\n    analyses: [counters]\n    size_edges: [100, 500]\n", "c.yaml:4:5: classes[0].size_edges: settings of the sizes analysis, which the class does not run (analyses: [counters]): add sizes to its analyses, or remove them"},
		// a field named twice in granularity was taken silently
		{"classes:\n  - name: w\n    granularity:\n      - src_addr\n      - src_addr\n", "c.yaml:4:9: classes[0].granularity: \"src_addr\" named twice"},
		// a network with host bits, as the filters refuse net 10.0.0.1/8
		{"enrich:\n  networks:\n    - activity: A\n      cidr: 10.0.0.1/8\n", "c.yaml:4:7: enrich.networks[0].cidr: non-network bits set in \"10.0.0.1/8\" (the network is 10.0.0.0/8)"},
		{"enrich:\n  networks:\n    - {cidr: \"2001:db8::1/32\", location: L}\n", "c.yaml:3:8: enrich.networks[0].cidr: non-network bits set in \"2001:db8::1/32\" (the network is 2001:db8::/32)"},
	} {
		_, err := Parse([]byte(c.yaml), "c.yaml")
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, err, c.want)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v does not wrap ErrInvalid", c.yaml, err)
		}
	}
}

// TestWholeNumbersStillRead: what checkShape lets through decodes as
// before: 2.0 is 2, an unquoted YAML 1.1 yes is true, 0x10 is 16.
func TestWholeNumbersStillRead(t *testing.T) {
	c, err := Parse([]byte("flow_table:\n  max_flows: 2.0\nclasses:\n  - name: a\n    upper_layer: yes\n    fold_ports_above: 0x10\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.FlowTable.MaxFlows != 2 || !c.Classes[1].UpperLayer || c.Classes[1].FoldPortsAbove != 16 {
		t.Errorf("max_flows %d, upper_layer %v, fold_ports_above %d; want 2, true, 16", c.FlowTable.MaxFlows, c.Classes[1].UpperLayer, c.Classes[1].FoldPortsAbove)
	}
}

// TestMaxFlowsBound: the largest flow table (MaxMaxFlows, ~19 GiB at
// ~300 B a flow) is taken; one more flow is refused.
func TestMaxFlowsBound(t *testing.T) {
	if _, err := Parse([]byte("flow_table: {max_flows: 67108864}\n"), "c.yaml"); err != nil {
		t.Error(err)
	}
	if _, err := Parse([]byte("flow_table: {max_flows: 67108865}\n"), "c.yaml"); err == nil {
		t.Error("max_flows 67108865 taken")
	}
}

// TestEmptyRefused: a file with no setting (empty, blanks, only
// comments, an empty document) is refused by Load with one fault naming
// the file, where it ran the embedded default without a word (a new-user
// trial pointed --config at an empty file and never knew); `{}`, the
// default asked for on purpose, and a file of one setting are accepted.
// Parse, the text the engines and tests hand over, still takes an empty
// or comments-only text for the default.
func TestEmptyRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.yaml")
	want := path + ": empty: no setting, no class (only blanks or comments): write the settings that change the default, or leave the file out to run the default (tmonbench config prints it)"
	load := func(text string) (*Config, error) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return Load(path)
	}
	for _, text := range []string{"", "\n", "  \n\t\n", "# my settings\n\n# interval_s: 10\n", "---\n"} {
		_, err := load(text)
		var e *Error
		if !errors.As(err, &e) || err.Error() != want || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want %s", text, err, want)
		}
	}
	for _, text := range []string{"", "\n", "# my settings\n"} {
		if c, err := Parse([]byte(text), "e.yaml"); err != nil || len(c.Classes) != len(Default().Classes) {
			t.Errorf("Parse %q: %v, want the default classes", text, err)
		}
	}
	for _, text := range []string{"{}\n", "# fewer\ninterval_s: 10\n"} {
		if c, err := load(text); err != nil || len(c.Classes) != len(Default().Classes) {
			t.Errorf("%q: %v, want the default classes", text, err)
		}
	}
	if _, err := load("interval_s: [\n"); err == nil || strings.Contains(err.Error(), "empty") {
		t.Errorf("a syntax error: %v, want the syntax error", err)
	}
}
