package config

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// How a file combines with the embedded default (documented in
// default.yaml and the README): every field a file leaves out keeps its
// default. Scalars and the fields of a class take their defaults one by
// one. The classes list is one field: a file without `classes:` runs the
// default classes; a file with `classes:` runs its own classes instead of
// the default ones (replaced as a whole, not merged by name), plus the
// class "all" when it has none (counters only). Warnings tells what that
// turns off.

// hasKey reports whether the top-level mapping of a YAML document has key.
func hasKey(root *yaml.Node, key string) bool { return valueOf(root, key) != nil }

// defaultClasses decodes the classes of the embedded default (before
// defaults are applied to them; applyDefaults does that for every class).
func defaultClasses() []Class {
	var d struct {
		Classes []Class `yaml:"classes"`
	}
	if err := yaml.Unmarshal(defaultYAML, &d); err != nil {
		panic("config: embedded default is invalid: " + err.Error()) // programmer error
	}
	for i := range d.Classes {
		d.Classes[i].line = 0 // lines of the default file mean nothing in the user's
	}
	return d.Classes
}

// ClassesFromDefault reports whether the classes are the embedded
// default's (the file has no classes: field, or there is no file).
func (c *Config) ClassesFromDefault() bool { return c.classesDefault }

// analysisSet returns the analyses and round-trip kinds the classes run.
func analysisSet(classes []Class) (analyses, kinds []string) {
	for _, cl := range classes {
		for _, a := range cl.Analyses {
			if !slices.Contains(analyses, a) {
				analyses = append(analyses, a)
			}
		}
		if !cl.Has(AnalysisRTT) {
			continue
		}
		ks := cl.RTT.Kinds
		if len(ks) == 0 {
			ks = RTTKinds
		}
		for _, k := range ks {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	return analyses, kinds
}

// AnalysisTables names, per analysis, the tables only it fills: for the
// warnings about analyses a file turns off, and for `query`'s note on a
// table left empty by them.
var AnalysisTables = map[string][]string{
	AnalysisCounters: {"flow_counters"},
	AnalysisSizes:    {"size_histograms"},
	AnalysisTCP:      {"tcp_connections"},
	AnalysisRTT:      {"rtt_samples", "rtt_histograms"},
	AnalysisFTP:      {"ftp_sessions", "ftp_transfers"},
	AnalysisOneway:   {"oneway_delays", "oneway_loss", "oneway_latency"},
}

// Warnings lists what this configuration turns off that the embedded
// default runs: one line for the analyses no class runs any more (a file
// with only a one-way class gets one line, not one per analysis), one for
// the round-trip kinds no rtt class matches, one for the classes whose
// analyses leave counters out. Every command that loads a file prints
// them once on stderr (config --effective, replay, probe, live, collector,
// bench: loadChecked; a new version of a watched file as config_warning
// events): a file's classes replace the default ones as a whole, so
// writing a class can silently drop TCP, RTT or FTP, and a class without
// counters writes fewer flow_counters rows than files of before
// 2026-12-06 did (design 3.9). First comes IntervalWarning, of the
// default classes too.
func (c *Config) Warnings() []string {
	var w []string
	if iw := c.IntervalWarning(); iw != "" {
		w = append(w, iw)
	}
	if c.classesDefault {
		return w
	}
	w = append(w, c.lostAnalyses()...)
	if nc := c.noCounters(); len(nc) > 0 && len(nc) < len(c.Classes) { // none: the line on lost analyses says it
		what, its := fmt.Sprintf("class %s leaves", nc[0]), "its"
		if len(nc) > 1 {
			what, its = fmt.Sprintf("classes %s leave", strings.Join(nc, ", ")), "their"
		}
		w = append(w, fmt.Sprintf("%s: %s counters out of %s analyses: no packet, byte or protocol counters in flow_counters for %s flows, only other analyses' metrics (until 2026-12-06 every class counted); add counters to %s analyses to keep them",
			c.file, what, its, its, its))
	}
	return w
}

// noCounters names the classes whose analyses leave counters out (an
// absent list is [counters]).
func (c *Config) noCounters() []string {
	var out []string
	for i := range c.Classes {
		if !c.Classes[i].Has(AnalysisCounters) {
			out = append(out, c.Classes[i].Name)
		}
	}
	return out
}

// lostAnalyses is Warnings' lines on the analyses and round-trip kinds
// the default runs that this configuration's classes do not.
func (c *Config) lostAnalyses() []string {
	defA, defK := analysisSet(Default().Classes)
	hasA, hasK := analysisSet(c.Classes)
	var w []string
	var lostA, tables []string
	for _, a := range defA {
		if !slices.Contains(hasA, a) {
			lostA = append(lostA, a)
			tables = append(tables, AnalysisTables[a]...)
		}
	}
	switch len(lostA) {
	case 0:
	case 1:
		w = append(w, fmt.Sprintf("%s: no class runs the %s analysis the default configuration runs (no %s rows): the file's classes replace the default ones; add %q to a class's analyses, or leave classes: out to keep the default ones",
			c.file, lostA[0], strings.Join(tables, ", "), lostA[0]))
	default:
		w = append(w, fmt.Sprintf("%s: no class runs the %s analyses the default configuration runs (no %s rows): the file's classes replace the default ones; add them to a class's analyses, or leave classes: out to keep the default ones",
			c.file, strings.Join(lostA, ", "), strings.Join(tables, ", ")))
	}
	var lostK []string
	for _, k := range defK {
		if slices.Contains(hasA, AnalysisRTT) && !slices.Contains(hasK, k) {
			lostK = append(lostK, k)
		}
	}
	if len(lostK) > 0 {
		w = append(w, fmt.Sprintf("%s: no rtt class matches the round trips %s the default configuration times: add them to a class's rtt.kinds (an empty kinds list matches every kind)",
			c.file, strings.Join(lostK, ", ")))
	}
	return w
}

// EffectiveYAML returns the configuration as it will run, every default
// applied, as YAML that Parse reads back to the same configuration: what
// `tmonbench config --effective` prints and run.json keeps.
func (c *Config) EffectiveYAML() []byte {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		panic("config: marshal: " + err.Error()) // plain data: cannot fail
	}
	flowLists(&n)
	allKinds(&n, c.Classes)
	var h bytes.Buffer
	fmt.Fprintf(&h, "# effective configuration of %s (every default applied", c.file)
	if c.classesDefault {
		h.WriteString("; classes: the default ones")
	}
	h.WriteString(")\n")
	enc := yaml.NewEncoder(&h)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		panic("config: marshal: " + err.Error())
	}
	enc.Close()
	return h.Bytes()
}

// RedactedKey is what a probe's key becomes in what a run records
// (RedactedYAML) and in Hash.
const RedactedKey = "redacted"

// redactKeys returns a copy of probes with every key replaced by
// RedactedKey (an empty key, no authentication, stays empty).
func redactKeys(probes []Probe) []Probe {
	out := slices.Clone(probes)
	for i := range out {
		if out[i].Key != "" {
			out[i].Key = RedactedKey
		}
	}
	return out
}

// RedactedYAML is EffectiveYAML with every probe's key replaced by
// RedactedKey: what a run records (run.json, a collector journal's switch
// records), files others may read. No digest of a key is written (an
// unsalted digest of a short key can be reversed by trying guesses), and
// Hash leaves the keys' text out too, so the recorded hash is the
// recorded text's: the file gives nothing to test a guessed key against.
// Parse reads it back to the same configuration but for the keys (a
// collector's journal needs none: keys are set apart, Collector.SetKeys).
func (c *Config) RedactedYAML() []byte {
	cc := *c
	cc.Probes = redactKeys(c.Probes)
	return cc.EffectiveYAML()
}

// flowLists writes lists of scalars on one line ([a, b, c]), as a person
// writes them.
func flowLists(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode {
		flat := true
		for _, c := range n.Content {
			flat = flat && c.Kind == yaml.ScalarNode
		}
		if flat {
			n.Style = yaml.FlowStyle
		}
	}
	for _, c := range n.Content {
		flowLists(c)
	}
}

// allKinds notes, on the empty rtt.kinds of each class of classes that
// runs the rtt analysis (the encoded configuration n), the kinds it times:
// every one (RTTKinds). The list stays empty, so the text reads back to
// the same configuration and hash; a trial read "kinds: []" as none.
func allKinds(n *yaml.Node, classes []Class) {
	seq := mapValue(n, "classes")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	for i, cn := range seq.Content {
		if i >= len(classes) || !classes[i].Has("rtt") || len(classes[i].RTT.Kinds) > 0 {
			continue
		}
		if k := mapValue(mapValue(cn, "rtt"), "kinds"); k != nil {
			k.LineComment = "# empty: every kind is timed: " + strings.Join(RTTKinds, ", ")
		}
	}
}

// mapValue returns the value of key in mapping n (a document's root
// mapping when n is the document), nil when absent.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// lineRE finds the line number yaml.v3 puts in its error messages.
var lineRE = regexp.MustCompile(`^line (\d+): `)

// typeError turns yaml.v3's type errors ("line 3: cannot unmarshal !!str
// `ten` into float64") into an *Error naming the line and the field's
// dotted path, found in the document, and saying what the field wants
// ("want a number of seconds, got "ten""). Further errors follow, each
// with its line and field.
func typeError(file string, root *yaml.Node, msgs []string) *Error {
	e := &Error{File: file, Field: "yaml"}
	var rest []string
	for i, m := range msgs {
		line := 0
		if sub := lineRE.FindStringSubmatch(m); sub != nil {
			m = strings.TrimPrefix(m, sub[0])
			line, _ = strconv.Atoi(sub[1])
		}
		value := "" // the offending scalar, quoted `so` in the message
		if sub := valueRE.FindStringSubmatch(m); sub != nil {
			value = sub[1]
		}
		field := ""
		if line > 0 {
			field = pathAtLine(root, line, value, "")
		}
		if sub := typeRE.FindStringSubmatch(m); sub != nil && field != "" {
			if want := wantOf(sub[2], field); want != "" {
				m = fmt.Sprintf("want %s, got %q", want, sub[1])
			}
		}
		if i == 0 {
			e.Line = line
			if field != "" {
				e.Field = field
			}
			rest = append(rest, m)
			continue
		}
		if field != "" {
			m = field + ": " + m
		}
		if line > 0 {
			m = fmt.Sprintf("line %d: %s", line, m)
		}
		rest = append(rest, m)
	}
	e.Msg = strings.Join(rest, "; ")
	return e
}

// typeRE finds the value and the Go type of a yaml.v3 scalar type error.
var typeRE = regexp.MustCompile("^cannot unmarshal !!\\w+ `([^`]*)` into (\\S+)$")

// units names the unit of a field from the suffix of its name.
var units = []struct{ suffix, unit string }{
	{"_s", "seconds"}, {"_ms", "milliseconds"}, {"_us", "microseconds"}, {"_ns", "nanoseconds"}, {"_bytes", "bytes"}, {"_bits", "bits"},
}

// wantOf says what a field of Go type typ wants, in words ("a number of
// seconds" for interval_s); "" for types it has no words for.
func wantOf(typ, field string) string {
	switch {
	case strings.HasPrefix(typ, "float"), strings.HasPrefix(typ, "int"), strings.HasPrefix(typ, "uint"):
		name, _, _ := strings.Cut(field[strings.LastIndex(field, ".")+1:], "[")
		for _, u := range units {
			if strings.HasSuffix(name, u.suffix) {
				return "a number of " + u.unit
			}
		}
		return "a number"
	case typ == "bool":
		return "true or false"
	case strings.HasPrefix(typ, "[]"):
		return "a list such as [a, b]"
	}
	return ""
}

// valueRE finds the offending value in a yaml.v3 type error.
var valueRE = regexp.MustCompile("cannot unmarshal !!\\w+ `([^`]*)`")

// pathAtLine returns the dotted path (classes[1].rtt.kinds) of the deepest
// mapping key, or sequence item holding value, that starts on line; ""
// if none.
func pathAtLine(n *yaml.Node, line int, value, path string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if p := pathAtLine(c, line, value, path); p != "" {
				return p
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := k.Value
			if path != "" {
				sub = path + "." + k.Value
			}
			if p := pathAtLine(v, line, value, sub); p != "" {
				return p
			}
			if k.Line == line || v.Line == line {
				return sub
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			sub := fmt.Sprintf("%s[%d]", path, i)
			if p := pathAtLine(c, line, value, sub); p != "" {
				return p
			}
			if c.Line == line && c.Kind == yaml.ScalarNode && c.Value == value {
				return sub
			}
		}
	}
	return ""
}
