package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration text.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// ErrInvalid wraps every validation error; errors.Is(err, ErrInvalid).
var ErrInvalid = errors.New("config: invalid")

// Error is a validation error that names the YAML line and field.
type Error struct {
	File  string // file name, "<default>" for the embedded config
	Line  int    // 1-based line in the YAML text; 0 if unknown
	Field string // dotted path of the field, e.g. classes[2].granularity
	Msg   string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

// Config is the single configuration shared by probes and collector
// (design 1.6). The zero value is not usable: use Default, Load or Parse.
type Config struct {
	// IntervalS is the aggregation interval of counters and histograms,
	// in seconds of capture time (design 1.4: 10 s to 1 h). Default 60.
	IntervalS float64 `yaml:"interval_s"`
	// FlowTable bounds the probe's granular flow table.
	FlowTable FlowTable `yaml:"flow_table"`
	// Classes are the flow classes, in order; a packet may belong to
	// several. The class named "all" is always present (added if missing).
	Classes []Class `yaml:"classes"`

	file string
}

// FlowTable bounds the granular flow table of each probe (design 3.2).
type FlowTable struct {
	// MaxFlows is the most flows kept at once per probe; when full, the
	// least recently seen flow is evicted and an event counts it.
	MaxFlows int `yaml:"max_flows"`
}

// Granularity fields: the packet fields whose values split a class into
// granular flows (design 3.2: the <GranularFlow> qualifiers).
const (
	FieldIPVersion = "ip_version"
	FieldProtocol  = "protocol"
	FieldSrcAddr   = "src_addr"
	FieldDstAddr   = "dst_addr"
	FieldSrcPort   = "src_port"
	FieldDstPort   = "dst_port"
	FieldDSCP      = "dscp"
	FieldVLAN      = "vlan"
)

// Fields lists every granularity field in canonical order.
var Fields = []string{FieldIPVersion, FieldProtocol, FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort, FieldDSCP, FieldVLAN}

// Analyses a class may ask for (design 3.9, 3.11).
const (
	AnalysisCounters = "counters" // per-flow protocol counters (design 3.12)
	AnalysisSizes    = "sizes"    // IP size histogram per flow and interval
)

// Analyses lists every known analysis name.
var Analyses = []string{AnalysisCounters, AnalysisSizes}

// Class is one flow class: what to watch and how to split and analyse it.
type Class struct {
	// Name identifies the class in every table (flows.class).
	Name string `yaml:"name"`
	// Filter is a pcap-filter expression (engine/filter); empty = all IP.
	Filter string `yaml:"filter"`
	// Granularity lists the fields that split the class into flows, from
	// Fields. Default: the 5-tuple with IP version (one flow per direction).
	Granularity []string `yaml:"granularity"`
	// FoldPortsAbove folds ports above this value to 0 ("high") in flow
	// keys and names (design 7: srcIP:high>dstIP:161); 0 = no folding.
	FoldPortsAbove uint16 `yaml:"fold_ports_above"`
	// IdleTimeoutS expires a flow after this many seconds of capture time
	// without a packet. Default 300.
	IdleTimeoutS float64 `yaml:"idle_timeout_s"`
	// Analyses to run on the class's packets, from Analyses.
	Analyses []string `yaml:"analyses"`
	// SizeEdges are the upper bounds (bytes, ascending) of the IP size
	// histogram slices for the sizes analysis; a last slice takes the rest.
	SizeEdges []float64 `yaml:"size_edges"`

	line int
}

// Line returns the YAML line where the class starts (0 for defaults).
func (c *Class) Line() int { return c.line }

// Has reports whether the class runs the named analysis.
func (c *Class) Has(analysis string) bool {
	for _, a := range c.Analyses {
		if a == analysis {
			return true
		}
	}
	return false
}

// HasField reports whether the class splits flows by the named field.
func (c *Class) HasField(field string) bool {
	for _, f := range c.Granularity {
		if f == field {
			return true
		}
	}
	return false
}

// UnmarshalYAML records the class's line for error messages.
func (c *Class) UnmarshalYAML(n *yaml.Node) error {
	type plain Class
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*c = Class(p)
	c.line = n.Line
	return nil
}

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(defaultYAML, "<default>")
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error()) // programmer error
	}
	return c
}

// Load reads and validates a YAML config file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, path)
}

// Parse decodes and validates YAML text; file names the source in errors.
// Unknown fields are errors (a typo must not silently do nothing).
func Parse(b []byte, file string) (*Config, error) {
	c := &Config{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return nil, &Error{File: file, Field: "yaml", Msg: strings.Join(te.Errors, "; ")}
		}
		return nil, fmt.Errorf("%s: %w: %v", file, ErrInvalid, err)
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	if c.IntervalS == 0 {
		c.IntervalS = 60
	}
	if c.FlowTable.MaxFlows == 0 {
		c.FlowTable.MaxFlows = 1 << 20
	}
	hasAll := false
	for i := range c.Classes {
		cl := &c.Classes[i]
		if cl.Name == "all" {
			hasAll = true
		}
		if cl.Granularity == nil {
			cl.Granularity = []string{FieldIPVersion, FieldProtocol, FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort}
		}
		if cl.IdleTimeoutS == 0 {
			cl.IdleTimeoutS = 300
		}
		if cl.Analyses == nil {
			cl.Analyses = []string{AnalysisCounters}
		}
		if cl.Has(AnalysisSizes) && cl.SizeEdges == nil {
			cl.SizeEdges = []float64{64, 128, 256, 512, 1024, 1500}
		}
	}
	if !hasAll {
		c.Classes = append([]Class{{
			Name:         "all",
			Granularity:  []string{FieldIPVersion, FieldProtocol, FieldSrcAddr, FieldDstAddr, FieldSrcPort, FieldDstPort},
			IdleTimeoutS: 300,
			Analyses:     []string{AnalysisCounters},
		}}, c.Classes...)
	}
}

// Validate checks every field; the error names the line and field.
func (c *Config) Validate() error {
	bad := func(line int, field, format string, a ...any) error {
		return &Error{File: c.file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if c.IntervalS < 1 || c.IntervalS > 86400 {
		return bad(0, "interval_s", "must be between 1 and 86400 seconds, got %g", c.IntervalS)
	}
	if c.FlowTable.MaxFlows < 1 {
		return bad(0, "flow_table.max_flows", "must be at least 1, got %d", c.FlowTable.MaxFlows)
	}
	if len(c.Classes) > 256 {
		return bad(0, "classes", "at most 256 classes, got %d", len(c.Classes))
	}
	names := map[string]int{}
	for i := range c.Classes {
		cl := &c.Classes[i]
		f := fmt.Sprintf("classes[%d]", i)
		if cl.Name == "" {
			return bad(cl.line, f+".name", "missing")
		}
		if j, dup := names[cl.Name]; dup {
			return bad(cl.line, f+".name", "%q already names classes[%d]", cl.Name, j)
		}
		names[cl.Name] = i
		for _, g := range cl.Granularity {
			if !contains(Fields, g) {
				return bad(cl.line, f+".granularity", "unknown field %q (known: %s)", g, strings.Join(Fields, ", "))
			}
		}
		for _, a := range cl.Analyses {
			if !contains(Analyses, a) {
				return bad(cl.line, f+".analyses", "unknown analysis %q (known: %s)", a, strings.Join(Analyses, ", "))
			}
		}
		if cl.IdleTimeoutS < 0 {
			return bad(cl.line, f+".idle_timeout_s", "must be positive, got %g", cl.IdleTimeoutS)
		}
		for k := 1; k < len(cl.SizeEdges); k++ {
			if cl.SizeEdges[k] <= cl.SizeEdges[k-1] {
				return bad(cl.line, f+".size_edges", "must be ascending")
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
